// A plain node:http app for the situations the example shop does not have:
// it echoes what it received, streams under the test's control, sends a 500
// whose record it stores only after the response has left (a slow writer), one
// whose body streams on after its record is stored, and one that sets cookies. It
// prints each request it receives, so a test knows a request is in flight.
import { createServer } from 'node:http'
import { RECORD_HEADER, RECORD_VERSION, RecordWriter } from 'supertrace'

const writer = new RecordWriter({ redisUrl: new URL(process.env.SUPERTRACE_REDIS_URL), ttlSeconds: 60 })
const heldStreams = new Map() // stream ID -> response waiting to be released

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app')
  process.stdout.write(`received ${url.pathname}${url.search}\n`)
  switch (url.pathname) {
    case '/hello':
      res.end('hello\n')
      return
    case '/fail':
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('the app failed\n')
      return
    case '/headers':
      res.setHeader('content-type', 'application/json')
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/'])
      res.end(JSON.stringify({ headers: req.headers, rawHeaders: req.rawHeaders }))
      return
    case '/stream':
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first\n')
      heldStreams.set(url.searchParams.get('id'), res)
      return
    case '/release':
      heldStreams.get(url.searchParams.get('id'))?.end('second\n')
      res.end('released\n')
      return
    case '/end-twice':
      // Allowed by Node: the second end() does nothing, and the body is the first one's.
      res.statusCode = 500
      res.end('the first end\n')
      res.end()
      return
    case '/end-with-bad-arguments':
      res.statusCode = 500
      try {
        res.end(123)
      } catch {
        res.end('caught\n')
      }
      return
    case '/late-record': {
      res.writeHead(500, { 'content-type': 'text/plain', [RECORD_HEADER]: '1' })
      res.end('late\n')
      res.on('finish', () => setTimeout(() => { void storeRecord(req, 'written after the 500 left') }, Number(url.searchParams.get('delay') ?? 300)))
      return
    }
    case '/streamed-500': {
      // The record is stored first, then the body follows in `chunks` pieces `gap` ms apart: a page made as
      // soon as the record is there would be made while the body is still arriving.
      res.writeHead(500, { 'content-type': 'text/plain', [RECORD_HEADER]: '1' })
      const chunks = Number(url.searchParams.get('chunks') ?? 5)
      const gap = Number(url.searchParams.get('gap') ?? 40)
      void storeRecord(req, 'stored before the body was sent').then(async () => {
        for (let i = 1; i <= chunks; i++) {
          res.write(`chunk ${i} of ${chunks}\n`)
          await new Promise((resolve) => setTimeout(resolve, gap))
        }
        res.end('the end\n')
      })
      return
    }
    case '/fail-with-cookies':
      // A 500 that sets the cookies a framework sets on an error page: a fresh CSRF token and a flash message.
      res.writeHead(500, [
        'Content-Type', 'text/plain',
        'Set-Cookie', 'csrftoken=k3Yf9; Path=/; SameSite=Lax',
        'X-Powered-By', 'plain-app',
        'Set-Cookie', 'flash=Your%20order%20could%20not%20be%20saved; Path=/; HttpOnly',
      ])
      res.end('the app failed\n')
      return
    default:
      res.writeHead(404).end()
  }
})

/** Stores a complete record of `req` with one exception, as the instrumentation would. */
function storeRecord (req, message) {
  return writer.write({
    v: RECORD_VERSION,
    requestId: req.headers['x-request-id'],
    complete: true,
    service: { name: 'plain-app' },
    language: 'nodejs',
    time: Date.now(),
    request: { source: 'app', method: req.method, url: req.url, query: [], headers: [], cookies: [] },
    response: { status: 500 },
    process: { runtime: `Node.js ${process.version}`, hostname: 'test', pid: process.pid, cwd: process.cwd() },
    resource: {},
    environment: [],
    exceptions: [{ type: 'Error', message, stack: `Error: ${message}`, frames: [] }],
    spans: [],
    droppedSpans: 0,
    logs: [],
    truncated: [],
  })
}

// WebSocket-style upgrades: `/echo` switches protocols and echoes bytes back, `/reset` switches and resets
// the connection at the first bytes (an app that crashes mid-socket); anything else is refused with 404.
server.on('upgrade', (req, socket) => {
  if (req.url !== '/echo' && req.url !== '/reset') {
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    return
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-seen-request-id: ${req.headers['x-request-id']}\r\n\r\n`)
  if (req.url === '/reset') socket.once('data', () => socket.resetAndDestroy())
  else socket.pipe(socket)
})

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`plain app listening on ${process.env.PORT}\n`))
