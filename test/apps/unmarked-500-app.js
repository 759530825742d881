// An app whose failures leave by OpenTelemetry's exporter, as a Django or Java app's do: every
// request gets the app's own 500, with no record marker, and the app writes no record itself (the
// test stores one as supertrace ingest would). It prints the trace ID of each request's traceparent,
// the ID an SDK would export its spans under, so the test knows the record's key.
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  const traceId = String(req.headers.traceparent ?? '').split('-')[1]
  process.stdout.write(`failing ${req.url} in trace ${traceId}\n`)
  res.writeHead(500, { 'Content-Type': 'text/html; charset=utf-8', 'X-Frame-Options': 'DENY', Vary: 'Cookie' })
  res.end('<!doctype html>\n<title>Server Error (500)</title>\n<h1>Server Error (500)</h1>\n')
})

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`unmarked app listening on ${process.env.PORT}\n`))
