// A Node app with its own, standard OpenTelemetry and no supertrace code: NodeSDK exports
// traces and logs over OTLP as OTEL_EXPORTER_OTLP_PROTOCOL says (http/json, http/protobuf,
// grpc) to OTEL_EXPORTER_OTLP_ENDPOINT, as any app exporting to a Collector does.
// GET /orders/:id reads Redis (a span of its own), logs a line, and fails pricing the
// order: the error handler records the exception on the request's span and answers 500.
const { NodeSDK } = require('@opentelemetry/sdk-node')
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis')

const sdk = new NodeSDK({ instrumentations: [new HttpInstrumentation(), new IORedisInstrumentation()], metricReaders: [] })
sdk.start()

const http = require('node:http')
const { Redis } = require('ioredis')
const { logs, SpanStatusCode, trace } = require('@opentelemetry/api')

const redis = new Redis(process.env.REDIS_URL)
const log = logs.getLogger('shop')
const DISCOUNTS = { WELCOME10: 0.1 }

function discountFor (order) {
  return DISCOUNTS[order.coupon].rate // the failing line: no discount is named SPRING
}

const server = http.createServer(async (req, res) => {
  const match = /^\/orders\/(\d+)$/.exec(req.url)
  if (match === null) {
    res.end('ok\n')
    return
  }
  try {
    await redis.get(`order-total:${match[1]}`)
    log.emit({ severityText: 'INFO', severityNumber: 9, body: `pricing order ${match[1]}` })
    res.end(`order ${match[1]}: ${discountFor({ coupon: 'SPRING' })}\n`)
  } catch (err) {
    const span = trace.getActiveSpan()
    span?.recordException(err)
    span?.setStatus({ code: SpanStatusCode.ERROR, message: err.message })
    res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' })
    res.end('<h1>Server Error (500)</h1>\n')
  }
})
server.listen(Number(process.env.PORT), '127.0.0.1', () => { console.log('listening') })
process.on('SIGTERM', () => { server.close(); redis.disconnect(); sdk.shutdown().finally(() => process.exit(0)) })
