// The soak's app (npm run soak), run as `node --import supertrace/register soak-app.ts`:
// /ok/<token> answers 200, /fail/<token> throws, and the error handler answers the
// app's own 500; both bodies name the token and the request ID (test/soak/bodies.ts).
// /echo/<token> is a WebSocket that echoes every message.
import express, { type NextFunction, type Request, type Response } from 'express'
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { errorBody, failureMessage, okBody } from '../soak/bodies.ts'

class SoakFailure extends Error {
  readonly token: string
  constructor (token: string) {
    super(failureMessage(token))
    this.name = 'SoakFailure'
    this.token = token
  }
}

const requestIdOf = (req: Request): string => String(req.headers['x-request-id'])

const app = express()
app.get('/ok/:token', (req: Request<{ token: string }>, res: Response) => {
  res.type('text').send(okBody(req.params.token, requestIdOf(req)))
})
app.get('/fail/:token', (req: Request<{ token: string }>) => {
  throw new SoakFailure(req.params.token)
})
app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
  const token = err instanceof SoakFailure ? err.token : 'unknown'
  res.status(500).type('html').send(errorBody(token, requestIdOf(req)))
})

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`soak app listening on ${process.env.PORT}\n`))
server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on('error', () => socket.destroy())
  const key = req.headers['sec-websocket-key']
  if (!(req.url ?? '').startsWith('/echo/') || typeof key !== 'string') {
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    return
  }
  // RFC 6455 §4.2.2: the accept value proves the server read this handshake's key.
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`)
  echoFrames(socket, head)
})

/** Echoes each frame the client sends (RFC 6455 §5: client frames are masked, the server's are not); answers a close with a close. */
function echoFrames (socket: Duplex, head: Buffer): void {
  let pending = head
  const onData = (chunk: Buffer): void => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    for (;;) {
      const frame = readFrame(pending)
      if (frame === null) return
      pending = pending.subarray(frame.size)
      const opcode = frame.first & 0x0f
      if (opcode === 0x8) {
        socket.end(frameBytes(frame.first, frame.payload.subarray(0, 125)))
        return
      }
      socket.write(frameBytes(opcode === 0x9 ? (frame.first & 0xf0) | 0xa : frame.first, frame.payload))
    }
  }
  socket.on('data', onData)
  if (head.length > 0) onData(Buffer.alloc(0))
}

function readFrame (bytes: Buffer): { first: number, payload: Buffer, size: number } | null {
  if (bytes.length < 2) return null
  const first = bytes[0] as number
  const second = bytes[1] as number
  let length = second & 0x7f
  let offset = 2
  if (length === 126) {
    if (bytes.length < 4) return null
    length = bytes.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (bytes.length < 10) return null
    length = Number(bytes.readBigUInt64BE(2))
    offset = 10
  }
  const isMasked = (second & 0x80) !== 0
  const mask = isMasked ? bytes.subarray(offset, offset + 4) : null
  if (isMasked) offset += 4
  if (bytes.length < offset + length) return null
  const payload = Buffer.from(bytes.subarray(offset, offset + length))
  if (mask !== null) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number)
  return { first, payload, size: offset + length }
}

/** The soak sends short messages: a 7- or 16-bit length is enough. */
function frameBytes (first: number, payload: Buffer): Buffer {
  const header = payload.length < 126
    ? Buffer.from([first, payload.length])
    : Buffer.from([first, 126, payload.length >> 8, payload.length & 0xff])
  return Buffer.concat([header, payload])
}
