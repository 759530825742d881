// A node:http app for the shutdown tests: it prints each request it receives (so a
// test knows the request is in flight), streams a body until the test releases it,
// and answers a 500 at once.
import { createServer } from 'node:http'

const held = new Map() // stream ID -> response waiting to be released

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app')
  process.stdout.write(`received ${url.pathname}${url.search}\n`)
  switch (url.pathname) {
    case '/hello':
      res.end('hello\n')
      return
    case '/stream':
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first\n')
      held.set(url.searchParams.get('id'), res)
      return
    case '/release':
      held.get(url.searchParams.get('id'))?.end('second\n')
      res.end('released\n')
      return
    case '/fail':
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('the app failed\n')
      return
    default:
      res.writeHead(404).end()
  }
})

// `/echo` switches protocols and echoes bytes back, as a WebSocket endpoint would.
server.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n')
  socket.pipe(socket)
})

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`drain app listening on ${process.env.PORT}\n`))
