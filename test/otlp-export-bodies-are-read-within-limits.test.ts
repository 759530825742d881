/**
 * An exporter POSTs its export over real HTTP; the receiver's body reader gives the bytes,
 * inflated from gzip, or a named error: a gzip bomb stops at the cap with little memory.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createGzip, gzipSync } from 'node:zlib'
import { readExportBody, type BodyLimits } from '../ingest/otlp/body.ts'

const LIMITS: BodyLimits = { maxWireBytes: 1024 * 1024, maxInflatedBytes: 16 * 1024 * 1024 }

/** What the reader gave for one POST: the bytes, or the error's name and code. */
type Outcome = { readonly bytes: Buffer } | { readonly error: string, readonly code: string }

/** Starts a server whose handler reads each body with `readExportBody`, and POSTs `body` to it. */
async function post (body: Buffer | ((write: (chunk: Buffer) => boolean) => Promise<void>), headers: IncomingHttpHeaders, limits = LIMITS): Promise<Outcome> {
  let outcome: Promise<Outcome> | undefined
  const server = createServer((req, res) => {
    outcome = readExportBody(req, limits).then((result) => {
      res.writeHead(Buffer.isBuffer(result) ? 200 : 400, { connection: 'close' }).end()
      return Buffer.isBuffer(result) ? { bytes: result } : { error: result.name, code: result.code }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const client = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf', ...headers } })
    client.on('error', () => {}) // the server may answer and close before the whole body is sent
    const answered = once(client, 'response').catch(() => undefined)
    if (Buffer.isBuffer(body)) client.end(body)
    else await body((chunk) => client.write(chunk)).then(() => client.end(), () => client.destroy())
    await answered
    assert.ok(outcome !== undefined, 'the server got the request')
    return await outcome
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

const EXPORT = Buffer.from('\n\u0003abc'.repeat(1000))

test('an export sent as is, or gzipped, reads as its bytes', async () => {
  assert.deepEqual(await post(EXPORT, {}), { bytes: EXPORT })
  assert.deepEqual(await post(EXPORT, { 'content-encoding': 'identity' }), { bytes: EXPORT })
  assert.deepEqual(await post(gzipSync(EXPORT), { 'content-encoding': 'gzip' }), { bytes: EXPORT })
  assert.deepEqual(await post(gzipSync(EXPORT), { 'content-encoding': 'GZIP' }), { bytes: EXPORT })
})

test('a gzip bomb (1 GiB of zeros) stops at the inflated cap with ExportTooLargeError, holding little memory', async () => {
  const zeros = Buffer.alloc(1024 * 1024)
  const gzip = createGzip({ level: 9 })
  const chunks: Buffer[] = []
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk))
  for (let i = 0; i < 1024; i++) if (!gzip.write(zeros)) await once(gzip, 'drain')
  gzip.end()
  await once(gzip, 'end')
  const bomb = Buffer.concat(chunks)
  assert.ok(bomb.length < LIMITS.maxWireBytes, `the bomb is ${bomb.length} bytes on the wire`)
  const rssBefore = process.memoryUsage().rss

  const outcome = await post(bomb, { 'content-encoding': 'gzip' })

  assert.deepEqual(outcome, { error: 'ExportTooLargeError', code: 'ST_OTLP_TOO_LARGE' })
  const grownMiB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024
  assert.ok(grownMiB < 128, `RSS grew by ${grownMiB.toFixed(0)} MiB while inflating 1 GiB`)
})

test('a body larger than the wire cap is refused with ExportTooLargeError, by its Content-Length or as it streams', async () => {
  const tooLarge = Buffer.alloc(LIMITS.maxWireBytes + 1)
  assert.deepEqual(await post(tooLarge, {}), { error: 'ExportTooLargeError', code: 'ST_OTLP_TOO_LARGE' })
  const streamed = async (write: (chunk: Buffer) => boolean): Promise<void> => {
    for (let sent = 0; sent <= LIMITS.maxWireBytes; sent += 64 * 1024) write(Buffer.alloc(64 * 1024))
  }
  assert.deepEqual(await post(streamed, { 'transfer-encoding': 'chunked' }), { error: 'ExportTooLargeError', code: 'ST_OTLP_TOO_LARGE' })
  assert.deepEqual(await post(EXPORT, {}, { maxWireBytes: LIMITS.maxWireBytes, maxInflatedBytes: 100 }), { error: 'ExportTooLargeError', code: 'ST_OTLP_TOO_LARGE' }, 'an uncompressed body is held to the inflated cap too')
})

test('an encoding other than gzip or identity is refused with UnsupportedEncodingError, and a corrupt gzip with DecodeError', async () => {
  for (const encoding of ['br', 'deflate', 'gzip, gzip', 'zstd']) {
    assert.deepEqual(await post(EXPORT, { 'content-encoding': encoding }), { error: 'UnsupportedEncodingError', code: 'ST_OTLP_ENCODING' }, encoding)
  }
  const gzipped = gzipSync(EXPORT)
  assert.deepEqual(await post(gzipped.subarray(0, gzipped.length >> 1), { 'content-encoding': 'gzip' }), { error: 'DecodeError', code: 'ST_OTLP_DECODE' })
  assert.deepEqual(await post(EXPORT, { 'content-encoding': 'gzip' }), { error: 'DecodeError', code: 'ST_OTLP_DECODE' })
})

test('an exporter whose connection breaks mid-body gives ExportAbortedError', async () => {
  const breaksOff = async (write: (chunk: Buffer) => boolean): Promise<void> => {
    write(Buffer.alloc(1000))
    await new Promise((resolve) => setTimeout(resolve, 50))
    throw new Error('the exporter goes away')
  }
  assert.deepEqual(await post(breaksOff, { 'content-length': '5000' }), { error: 'ExportAbortedError', code: 'ST_OTLP_ABORTED' })
})
