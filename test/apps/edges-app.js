// A plain node:http app whose failures sit at the edges of 500 interception and of
// forwarding: long, compressed, empty and cut 500s, other 5xx, a connection reset
// before any answer, an answer that never comes, and a 200 that dies mid-body.
import { createServer } from 'node:http'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { RECORD_HEADER } from 'supertrace'

export const SORRY = '<!doctype html><title>Sorry</title><h1>Sorry, something went wrong on our side.</h1>\n'

/** `bytes` bytes of a repeating, recognisable pattern. */
function pattern (bytes) {
  return Buffer.alloc(bytes, 'the long 500 body. ')
}

/** Writes `body` in 64 KiB pieces, waiting for room, then ends. */
async function writeInPieces (res, body) {
  for (let i = 0; i < body.length; i += 65_536) {
    if (!res.write(body.subarray(i, i + 65_536))) await new Promise((resolve) => res.once('drain', resolve))
  }
  res.end()
}

let served = 0 // requests answered so far, for tests that must know the proxy has its response

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app')
  if (url.pathname === '/served') {
    res.end(String(served))
    return
  }
  res.on('finish', () => { served++ })
  const q = url.searchParams
  switch (url.pathname) {
    case '/long-500': {
      // ?bytes=N; ?chunked=1 sends no Content-Length.
      const body = pattern(Number(q.get('bytes')))
      const headers = { 'content-type': 'text/plain', [RECORD_HEADER]: '1' }
      if (q.get('chunked') !== '1') headers['content-length'] = body.length
      res.writeHead(500, headers)
      void writeInPieces(res, body)
      return
    }
    case '/gzip-500':
    case '/br-500': {
      const coded = url.pathname === '/gzip-500' ? gzipSync(SORRY) : brotliCompressSync(SORRY)
      res.writeHead(500, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': url.pathname === '/gzip-500' ? 'gzip' : 'br', 'content-length': coded.length, vary: 'Accept-Encoding' })
      res.end(coded)
      return
    }
    case '/status': {
      // ?code=503: that status, with a small body (Node leaves it out for HEAD).
      res.writeHead(Number(q.get('code')), { 'content-type': 'text/plain', 'x-app': 'edges' })
      res.end(`status ${q.get('code')} from the app\n`)
      return
    }
    case '/empty-500':
      // ?framing=length: Content-Length: 0; ?framing=chunked: no Content-Length, an empty chunked body;
      // ?framing=close: no Content-Length and no Transfer-Encoding, the body ends with the connection.
      if (q.get('framing') === 'length') {
        res.writeHead(500, { 'content-length': 0, 'x-app': 'edges' }).end()
        return
      }
      req.socket.end(q.get('framing') === 'chunked'
        ? 'HTTP/1.1 500 Internal Server Error\r\nx-app: edges\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'
        : 'HTTP/1.1 500 Internal Server Error\r\nx-app: edges\r\nconnection: close\r\n\r\n')
      return
    case '/cut-500':
      // 100 bytes of the body, then the connection is destroyed; ?framing=length promises 1000.
      // The record it announces never comes, so a superuser's page waits (SUPERTRACE_TRACE_WAIT_MS) past the cut.
      res.writeHead(500, { 'content-type': 'text/plain', [RECORD_HEADER]: '1', ...(q.get('framing') === 'length' ? { 'content-length': 1000 } : {}) })
      res.write(Buffer.alloc(100, 'c'))
      setTimeout(() => req.socket.destroy(), 50)
      return
    case '/reset':
      req.socket.destroy()
      return
    case '/never':
      return // no answer at all: the proxy's SUPERTRACE_UPSTREAM_TIMEOUT_MS ends it
    case '/dies-mid-200':
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('the start of a 200\n')
      setTimeout(() => req.socket.destroy(), 50)
      return
    case '/stalls-mid-200':
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('the start of a 200\n')
      return // the rest never comes: the proxy's SUPERTRACE_UPSTREAM_BODY_TIMEOUT_MS ends it
    case '/announced-500':
      // Announces a record that never comes: a superuser's request waits SUPERTRACE_TRACE_WAIT_MS for it.
      res.writeHead(500, { 'content-type': 'text/plain', [RECORD_HEADER]: '1' })
      res.end('announced\n')
      return
    default:
      res.writeHead(404).end()
  }
})

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`edges app listening on ${process.env.PORT}\n`))
