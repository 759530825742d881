/**
 * An app as the page-after-record bench needs it: GET /fail answers 500 at once and, EXPORT_DELAY_MS
 * later (a batch processor's delay), exports the request's spans (made by the real SDK) to
 * OTEL_EXPORTER_OTLP_ENDPOINT, then prints when the receiver answered, on the machine's clock.
 */
import { createServer } from 'node:http'
import { CONTENT_TYPE, postExport, requestSpans, tracesExport } from '../../test/helpers/otlp.ts'

const DELAY_MS = Number(process.env.EXPORT_DELAY_MS ?? '100')

createServer((req, res) => {
  const traceId = /^00-([0-9a-f]{32})-/.exec(req.headers.traceparent ?? '')?.[1]
  res.writeHead(500, { 'content-type': 'text/plain' })
  res.end('Internal Server Error\n')
  if (traceId === undefined) return
  const body = tracesExport(requestSpans({ traceId, status: 500, exception: { type: 'KeyError', message: "'SPRING'" } }), 'protobuf')
  setTimeout(() => {
    void postExport(process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '', '/v1/traces', body, { 'content-type': CONTENT_TYPE.protobuf })
      .then(() => { console.log(`exported ${traceId} answered at ${(performance.timeOrigin + performance.now()).toFixed(3)}`) })
  }, DELAY_MS)
}).listen(Number(process.env.PORT), '127.0.0.1', () => { console.log('listening') })
