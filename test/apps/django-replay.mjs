// Stands in for the Django site the recorded exports of ../shared/otlp-samples/python-django
// came from: GET /orders/7/ answers 500 with Django's own production 500 page, and sends the
// export the real Python SDK made for that request to OTEL_EXPORTER_OTLP_ENDPOINT, as the
// SDK's batch processor would (EXPORT_DELAY_MS after the 500), with this request's trace ID
// and parent span ID (from `traceparent`) in place of the recorded ones. Byte for byte
// otherwise: every other field is as the SDK encoded it.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const SAMPLE = readFileSync(process.env.SAMPLE_FILE)
const RECORDED_TRACE_ID = Buffer.from('4bf92f3577b34da6a3ce929d0e0e0007', 'hex')
const RECORDED_PARENT_ID = Buffer.from('00f067aa0ba902b7', 'hex')
const DELAY_MS = Number(process.env.EXPORT_DELAY_MS ?? '0')

function replaced (bytes, from, to) {
  const out = Buffer.from(bytes)
  for (let at = out.indexOf(from); at !== -1; at = out.indexOf(from, at + from.length)) to.copy(out, at)
  return out
}

createServer((req, res) => {
  const [, traceId, parentId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-/.exec(req.headers.traceparent ?? '') ?? []
  if (req.url !== '/orders/7/') {
    res.end('ok\n')
    return
  }
  res.writeHead(500, { 'content-type': 'text/html; charset=utf-8', 'x-frame-options': 'DENY' })
  res.end('\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n')
  if (traceId === undefined) return
  const body = replaced(replaced(SAMPLE, RECORDED_TRACE_ID, Buffer.from(traceId, 'hex')), RECORDED_PARENT_ID, Buffer.from(parentId, 'hex'))
  setTimeout(() => {
    fetch(`${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
      .then((answer) => { if (!answer.ok) console.error(`the export was answered ${answer.status}`) }, (err) => { console.error(err) })
  }, DELAY_MS)
}).listen(Number(process.env.PORT), '127.0.0.1', () => { console.log('listening') })
