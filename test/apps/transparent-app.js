// A plain node:http app that reports what crossed the proxy: every request it got
// (method, URL, raw headers, body size, whether the body was cut, the TCP port it
// came from, so connections can be counted), and how far a large upload or download has got, so
// that tests can prove streaming and backpressure from the app's side.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'

/** The byte pattern of every large body: 64 KiB, repeated. */
const PATTERN = Buffer.alloc(64 * 1024, 'supertrace streams bodies without holding them. ')

const requests = [] // the last 200 requests, oldest first
let uploadBytes = 0
let downloadBytes = 0
let releaseUpload = null // set while an upload waits for /release-upload
const sse = [] // open event streams

function record (req) {
  const entry = { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, remotePort: req.socket.remotePort, bodyBytes: 0, complete: false, aborted: false }
  requests.push(entry)
  if (requests.length > 200) requests.shift()
  return entry
}

function json (res, value) {
  const body = JSON.stringify(value)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app')
  if (url.pathname === '/_state') {
    json(res, { requests, uploadBytes, downloadBytes })
    return
  }
  const entry = record(req)
  const hash = createHash('sha256')
  const startReading = () => {
    req.on('data', (chunk) => {
      entry.bodyBytes += chunk.length
      uploadBytes += chunk.length
      hash.update(chunk)
    })
  }
  req.on('end', () => { entry.complete = true })
  req.on('aborted', () => { entry.aborted = true })
  req.on('close', () => { if (!entry.complete) entry.aborted = true })
  switch (url.pathname) {
    case '/upload':
      uploadBytes = 0
      // ?hold: the app reads nothing until /release-upload, as a slow app would.
      if (url.searchParams.has('hold')) releaseUpload = startReading
      else startReading()
      req.on('end', () => json(res, { bytes: entry.bodyBytes, sha256: hash.digest('hex'), headers: req.headers }))
      return
    case '/release-upload':
      releaseUpload?.()
      releaseUpload = null
      req.resume()
      res.end('released\n')
      return
    case '/download': {
      // ?bytes=N of the pattern, as fast as the proxy takes them; ?chunked: no Content-Length.
      const total = Number(url.searchParams.get('bytes'))
      downloadBytes = 0
      res.writeHead(200, url.searchParams.has('chunked') ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/octet-stream', 'content-length': total })
      const pump = () => {
        while (downloadBytes < total) {
          const chunk = PATTERN.subarray(0, Math.min(PATTERN.length, total - downloadBytes))
          downloadBytes += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
      req.resume()
      return
    }
    case '/echo-body':
      startReading()
      req.on('end', () => json(res, { bytes: entry.bodyBytes, sha256: hash.digest('hex'), headers: req.headers }))
      return
    case '/events':
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write('data: event 1\n\n')
      sse.push(res)
      req.resume()
      return
    case '/next-event': {
      const n = Number(url.searchParams.get('n'))
      for (const stream of sse) {
        if (n === 0) stream.end()
        else stream.write(`data: event ${n}\n\n`)
      }
      if (n === 0) sse.length = 0
      res.end('sent\n')
      return
    }
    case '/resource':
      // The same headers for GET and HEAD; Node sends no body for HEAD.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1234, etag: '"v1"', 'x-resource': 'yes' })
      res.end(req.method === 'HEAD' ? undefined : 'r'.repeat(1234))
      req.resume()
      return
    case '/no-content':
      res.writeHead(204, { 'x-after-delete': 'done' })
      res.end()
      req.resume()
      return
    case '/not-modified':
      res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' })
      res.end()
      req.resume()
      return
    case '/response-headers':
      // Raw pairs: names spelled as frameworks spell them, repeated names, interleaved, plus hop-by-hop ones and one that Connection names.
      res.writeHead(200, [
        'X-Powered-By', 'Express',
        'Set-Cookie', 'a=1; Path=/',
        'X-Multi', 'first',
        'Set-Cookie', 'b=2; Path=/; HttpOnly',
        'Connection', 'x-app-hop',
        'X-App-Hop', 'not for the client',
        'Keep-Alive', 'timeout=5',
        'Proxy-Connection', 'keep-alive',
        'Upgrade', 'h2c',
        'Trailer', 'x-checksum',
        'X-Multi', 'second',
        'Set-Cookie', 'c=3',
        'content-type', 'text/plain',
        'ETag', 'W/"3-abc"',
      ]) // no Content-Length: chunked, since Node allows a Trailer header only then
      res.end('ok\n')
      req.resume()
      return
    default:
      // Anything else: what the app received, as JSON.
      req.resume()
      req.on('end', () => json(res, { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders }))
  }
})

// `/echo` switches protocols and echoes every byte back; anything else is refused with 404.
server.on('upgrade', (req, socket) => {
  if (req.url !== '/echo') {
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    return
  }
  record(req)
  socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n')
  socket.pipe(socket)
})

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`transparent app listening on ${process.env.PORT}\n`))
