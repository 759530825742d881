// An Express app for the memory tests, run with --expose-gc: short requests that
// succeed or fail, streams (server-sent events) that clients abandon, a request that
// makes thousands of spans, WebSocket-style upgrades, and /heap, which collects
// garbage and reports the heap in use.
import { trace } from '@opentelemetry/api'
import express from 'express'

const tracer = trace.getTracer('long-lived-app')
const app = express()
app.get('/ok', (req, res) => res.send('ok'))
app.get('/fail', () => {
  throw new Error('a short request failed')
})
app.get('/events', (req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  const timer = setInterval(() => tracer.startActiveSpan('tick', (span) => {
    res.write(`data: ${Date.now()}\n\n`)
    span.end()
  }), 5)
  req.on('close', () => clearInterval(timer))
})
app.get('/many-spans', (req, res) => {
  for (let i = 0; i < Number(req.query.n); i++) tracer.startSpan(`step ${i}`).end()
  res.status(500).send('failed after many steps')
})
app.get('/heap', (req, res) => {
  globalThis.gc()
  globalThis.gc()
  res.json({ heapUsed: process.memoryUsage().heapUsed })
})

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('long-lived listening\n'))
server.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n')
  socket.pipe(socket)
})
