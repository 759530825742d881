/**
 * `node bench/micro/otlp-decode.ts`: spans a second decoding an OTLP export of 512 spans
 * (about a hundred five-span requests as an instrumented web app makes them: the server span
 * with its HTTP attributes, a SQL query, two Redis commands and a template render; every fifth
 * request fails with an exception event), made by the real SDK and serialized by the
 * exporters' own serializers, with ingest/otlp's decoders. With `OTLP_PROTO_DIR` set to a
 * checkout of opentelemetry-proto, protobufjs decoding the same bytes (toObject, IDs as hex
 * strings aside) is measured beside it, as the rival the hand-written reader replaced. JSON on stdout.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { decodeTracesJson } from '../../ingest/otlp/json.ts'
import { decodeTracesProtobuf } from '../../ingest/otlp/protobuf.ts'
import { spread } from '../lib/stats.ts'

const SPANS = 512

async function appSpans (): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter()
  const resource = resourceFromAttributes({ 'service.name': 'shop', 'service.version': '1.4.2', 'telemetry.sdk.language': 'python', 'process.pid': 4242, 'host.name': 'web-1' })
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  const tracer = provider.getTracer('opentelemetry.instrumentation.django', '0.65b0')
  for (let request = 0; exporter.getFinishedSpans().length < SPANS; request++) {
    const server = tracer.startSpan('GET orders/<int:order_id>/', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET', 'url.scheme': 'https', 'url.path': `/orders/${request}/`, 'server.address': 'shop.example', 'server.port': 443,
        'client.address': '203.0.113.7', 'client.port': 51234 + request, 'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
        'network.protocol.version': '1.1', 'http.route': 'orders/<int:order_id>/', 'http.response.status_code': request % 5 === 0 ? 500 : 200,
      },
    })
    const inRequest = trace.setSpan(ROOT_CONTEXT, server)
    tracer.startSpan('SELECT', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'sqlite', 'db.name': 'shop.sqlite3', 'db.statement': 'SELECT "shop_order"."id", "shop_order"."coupon", "shop_order"."total" FROM "shop_order" WHERE "shop_order"."id" = %s LIMIT 21' } }, inRequest).end()
    for (const command of ['GET', 'EXISTS']) {
      tracer.startSpan(command, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis', 'db.statement': `${command} :1:django.contrib.sessions.cache${'k'.repeat(32)}`, 'net.peer.name': '127.0.0.1', 'net.peer.port': 6379, 'db.redis.database_index': 0 } }, inRequest).end()
    }
    tracer.startSpan('render orders/detail.html', { attributes: { 'template.name': 'orders/detail.html' } }, inRequest).end()
    if (request % 5 === 0) {
      server.recordException(Object.assign(new RuntimeError(`cannot price order ${request}`), { stack: PYTHON_TRACEBACK }))
      server.setStatus({ code: SpanStatusCode.ERROR, message: `RuntimeError: cannot price order ${request}` })
    }
    server.end()
  }
  await provider.forceFlush()
  return exporter.getFinishedSpans().slice(0, SPANS)
}

class RuntimeError extends Error {}
const PYTHON_TRACEBACK = `Traceback (most recent call last):
  File "/app/shop/views.py", line 12, in discount_for
    return DISCOUNTS[order.coupon]
KeyError: 'SPRING'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/django/core/handlers/exception.py", line 47, in inner
    response = get_response(request)
  File "/app/shop/views.py", line 21, in order_view
    raise RuntimeError(f"cannot price order {order_id}") from e
RuntimeError: cannot price order 7
`

let sink = 0
/** Spans a second, the median of rounds after warm-up. */
function spansPerSecond (decode: () => number): number {
  const rounds: number[] = []
  for (let round = 0; round < 12; round++) {
    const start = process.hrtime.bigint()
    let spans = 0
    for (let i = 0; i < 100; i++) spans += decode()
    rounds.push(spans / (Number(process.hrtime.bigint() - start) / 1e9))
    sink += spans
  }
  return Math.round(spread(rounds.slice(3)).median)
}

const spans = await appSpans()
const protobuf = ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array()
const jsonBytes = JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array()
const json = new TextDecoder().decode(jsonBytes)

const figures: Record<string, number> = {
  spansPerExport: spans.length,
  protobufBytes: protobuf.length,
  jsonBytes: jsonBytes.length,
  protobufSpansPerSecond: spansPerSecond(() => decodeTracesProtobuf(protobuf).spans.length),
  jsonSpansPerSecond: spansPerSecond(() => decodeTracesJson(json).spans.length),
  jsonFromBytesSpansPerSecond: spansPerSecond(() => decodeTracesJson(Buffer.from(jsonBytes.buffer, jsonBytes.byteOffset, jsonBytes.byteLength).toString('utf8')).spans.length),
}

const protoDir = process.env['OTLP_PROTO_DIR']
if (protoDir !== undefined) {
  const { default: protobufjs } = await import('protobufjs')
  const root = new protobufjs.Root()
  root.resolvePath = (_origin, target) => `${protoDir}/${target}`
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto')
  const request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
  const toObject = { longs: String, bytes: String, defaults: false }
  const spansOf = (message: unknown): number => ((message as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> }).resourceSpans
    .reduce((sum, resourceSpans) => sum + resourceSpans.scopeSpans.reduce((inScope, scope) => inScope + scope.spans.length, 0), 0))
  figures['protobufjsDecodeSpansPerSecond'] = spansPerSecond(() => spansOf(request.decode(protobuf)))
  figures['protobufjsToObjectSpansPerSecond'] = spansPerSecond(() => spansOf(request.toObject(request.decode(protobuf), toObject)))
}

process.stdout.write(`${JSON.stringify({ ...figures, sink: sink > 0 })}\n`)
