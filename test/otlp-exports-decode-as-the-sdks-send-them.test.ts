/**
 * A Node app's spans and logs, made with the real OpenTelemetry SDK and serialized by the
 * exporters' own serializers (protobuf as exporter-*-otlp-proto sends, JSON as
 * exporter-*-otlp-http sends), decode to exactly what the app made.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, trace, TraceFlags, type AnyValue, type HrTime } from '@opentelemetry/api'
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import type { AttributeValue } from '../core/record.ts'
import { decodeLogsJson, decodeTracesJson } from '../ingest/otlp/json.ts'
import type { DecodedLogs, DecodedTraces, OtlpLogRecord, OtlpSpan } from '../ingest/otlp/model.ts'
import { decodeLogsProtobuf, decodeTracesProtobuf } from '../ingest/otlp/protobuf.ts'

type Wire = 'protobuf' | 'json'

const TRACES: Record<Wire, (spans: ReadableSpan[]) => DecodedTraces> = {
  protobuf: (spans) => decodeTracesProtobuf(serialized(ProtobufTraceSerializer.serializeRequest(spans))),
  json: (spans) => decodeTracesJson(new TextDecoder().decode(serialized(JsonTraceSerializer.serializeRequest(spans)))),
}
const LOGS: Record<Wire, (logs: ReadableLogRecord[]) => DecodedLogs> = {
  protobuf: (logs) => decodeLogsProtobuf(serialized(ProtobufLogsSerializer.serializeRequest(logs))),
  json: (logs) => decodeLogsJson(new TextDecoder().decode(serialized(JsonLogsSerializer.serializeRequest(logs)))),
}

function serialized (bytes: Uint8Array | undefined): Uint8Array {
  assert.ok(bytes !== undefined, 'the serializer made no export')
  return bytes
}

/** What the app sets, and what the decoder gives back from each wire: a map as JSON text, bytes as hex, an integer past 2^53 exactly as text where the wire carries it exactly. */
const ATTRIBUTES: ReadonlyArray<readonly [string, AnyValue, AttributeValue, AttributeValue?]> = [
  ['http.route', '/orders/:id', '/orders/:id'],
  ['http.response.status_code', 500, 500],
  ['retry.offset', -12, -12],
  ['sampling.ratio', 0.25, 0.25],
  ['cache.hit', false, false],
  ['db.params', ['7', 'SPRING'], ['7', 'SPRING']],
  ['order.lines', [1, 2, 3], [1, 2, 3]],
  ['feature.flags', [true, false], [true, false]],
  ['sparse', ['a', null, 'b'], ['a', null, 'b']],
  ['order', { id: 7, coupon: 'SPRING', lines: [1, 2], note: { gift: true } }, '{"id":7,"coupon":"SPRING","lines":[1,2],"note":{"gift":true}}'],
  ['nested.lists', [[1, 2], ['a']], '[[1,2],["a"]]'],
  ['digest', new Uint8Array([0xde, 0xad, 0xbe, 0xef]), 'deadbeef'],
  ['greeting', 'naïve ☃ 𝄞 — ünïcödé', 'naïve ☃ 𝄞 — ünïcödé'],
  ['counter.big', 2 ** 60, '1152921504606846976', 2 ** 60],
  ['counter.negative', -(2 ** 60), '-1152921504606846976', -(2 ** 60)],
]

const appAttributes = Object.fromEntries(ATTRIBUTES.map(([key, value]) => [key, value]))
const decodedAttributes = (wire: Wire): Record<string, AttributeValue> =>
  Object.fromEntries(ATTRIBUTES.map(([key, , decoded, fromJson]) => [key, wire === 'json' && fromJson !== undefined ? fromJson : decoded]))

const micros = ([seconds, nanos]: HrTime): number => seconds * 1_000_000 + Math.floor(nanos / 1000)

const KIND_NAMES = { [SpanKind.INTERNAL]: 'internal', [SpanKind.SERVER]: 'server', [SpanKind.CLIENT]: 'client', [SpanKind.PRODUCER]: 'producer', [SpanKind.CONSUMER]: 'consumer' } as const

const resource = resourceFromAttributes({ 'service.name': 'shop', 'service.version': '1.4.2', 'telemetry.sdk.language': 'nodejs', 'process.pid': 4242 })

/** A proxy's traceparent: the request's trace ID and the proxy's span, as supertrace's proxy sends them. */
const PROXY_CONTEXT = { traceId: '4bf92f3577b34da6a3ce929d0e0e0007', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true }

/** A failing request's spans: the server span (parent: the proxy's), a child of every other kind, an exception and a custom event. */
async function failingRequest (): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  const tracer = provider.getTracer('shop')
  const server = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, attributes: appAttributes }, trace.setSpanContext(ROOT_CONTEXT, PROXY_CONTEXT))
  const inRequest = trace.setSpan(ROOT_CONTEXT, server)
  for (const kind of [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    tracer.startSpan(`${KIND_NAMES[kind]} work`, { kind, attributes: { 'work.kind': kind } }, inRequest).end()
  }
  server.addEvent('cache miss', { 'cache.key': 'order:7', 'cache.ttl': 30 }, [1_760_000_000, 123_456_789])
  const error = new RangeError('cannot price order 7')
  server.recordException(error)
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'RangeError: cannot price order 7' })
  server.end()
  await provider.forceFlush()
  return exporter.getFinishedSpans()
}

/** What the decoder must give for a span the SDK made, but for the two fields a wire decides (`wireBytes`, and the shared resource object). */
function expectedSpan (span: ReadableSpan, wire: Wire): Omit<OtlpSpan, 'wireBytes' | 'resource'> {
  const ids = span.spanContext()
  const parentSpanId = span.parentSpanContext?.spanId
  const status = span.status.message === undefined ? { code: 'error' as const } : { code: 'error' as const, message: span.status.message }
  return {
    traceId: ids.traceId,
    spanId: ids.spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name: span.name,
    kind: KIND_NAMES[span.kind],
    startUs: micros(span.startTime),
    endUs: micros(span.endTime),
    status: span.status.code === SpanStatusCode.ERROR ? status : { code: 'unset' },
    attributes: span.kind === SpanKind.SERVER ? decodedAttributes(wire) : { 'work.kind': span.kind },
    events: span.events.map((event) => ({ name: event.name, timeUs: micros(event.time), attributes: { ...event.attributes } as Record<string, AttributeValue> })),
  }
}

for (const wire of ['protobuf', 'json'] as const) {
  test(`a Node app's failing request, exported as OTLP/${wire}, decodes to exactly the spans it made`, async () => {
    const made = await failingRequest()
    const decoded = TRACES[wire](made)

    assert.equal(decoded.rejected, 0)
    assert.equal(decoded.rejectedReason, '')
    assert.equal(decoded.spans.length, 5)
    for (const [i, span] of decoded.spans.entries()) {
      const { wireBytes, resource: spanResource, ...rest } = span
      assert.deepEqual(rest, expectedSpan(made[i]!, wire), `span ${made[i]!.name}`)
      assert.deepEqual(spanResource.attributes, made[i]!.resource.attributes)
      assert.ok(wireBytes > 0)
    }
    const server = decoded.spans.find((span) => span.kind === 'server')
    assert.equal(server?.traceId, PROXY_CONTEXT.traceId)
    assert.equal(server?.parentSpanId, PROXY_CONTEXT.spanId)
    assert.deepEqual(server?.status, { code: 'error', message: 'RangeError: cannot price order 7' })
    const exception = server?.events.find((event) => event.name === 'exception')
    assert.equal(exception?.attributes['exception.type'], 'RangeError')
    assert.equal(exception?.attributes['exception.message'], 'cannot price order 7')
    assert.match(String(exception?.attributes['exception.stacktrace']), /^RangeError: cannot price order 7\n {4}at failingRequest/)
    assert.equal(server?.events.find((event) => event.name === 'cache miss')?.timeUs, 1_760_000_000_123_456)
    assert.equal(server?.resource.attributes['service.name'], 'shop')
  })

  test(`a Node app's logs, exported as OTLP/${wire}, decode with their trace context, severity, body and attributes`, async () => {
    const exporter = new InMemoryLogRecordExporter()
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] })
    const logger = provider.getLogger('shop')
    const inSpan = trace.setSpanContext(ROOT_CONTEXT, { ...PROXY_CONTEXT, isRemote: false })
    logger.emit({ context: inSpan, severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'cannot price order 7', attributes: appAttributes, eventName: 'exception' })
    logger.emit({ context: inSpan, severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: { order: 7, coupons: ['SPRING'], raw: new Uint8Array([1, 255]) } })
    logger.emit({ severityNumber: SeverityNumber.INFO, body: 42 })
    await provider.forceFlush()
    const made = exporter.getFinishedLogRecords()

    const decoded = LOGS[wire](made)

    assert.equal(decoded.rejected, 0)
    assert.deepEqual(decoded.logs.map(({ wireBytes, resource: logResource, ...rest }) => rest), [
      { traceId: PROXY_CONTEXT.traceId, spanId: PROXY_CONTEXT.spanId, timeUs: micros(made[0]!.hrTime), severityNumber: 17, severityText: 'ERROR', body: 'cannot price order 7', eventName: 'exception', attributes: decodedAttributes(wire) },
      { traceId: PROXY_CONTEXT.traceId, spanId: PROXY_CONTEXT.spanId, timeUs: micros(made[1]!.hrTime), severityNumber: 13, severityText: 'WARN', body: '{"order":7,"coupons":["SPRING"],"raw":"01ff"}', attributes: {} },
      { timeUs: micros(made[2]!.hrTime), severityNumber: 9, severityText: '', body: '42', attributes: {} },
    ] satisfies Array<Omit<OtlpLogRecord, 'wireBytes' | 'resource'>>)
    assert.deepEqual(decoded.logs[0]?.resource.attributes, made[0]?.resource.attributes)
  })
}

test('spans of one export whose IDs are malformed are left out and counted; the rest of the export is kept', async () => {
  const made = await failingRequest()
  const withIds = (span: ReadableSpan, ids: { traceId?: string, spanId?: string }): ReadableSpan =>
    Object.create(span, { spanContext: { value: () => ({ ...span.spanContext(), ...ids }) } }) as ReadableSpan
  const malformed = [
    withIds(made[0]!, { traceId: '0'.repeat(32) }),
    withIds(made[1]!, { spanId: '0'.repeat(16) }),
    withIds(made[2]!, { traceId: 'abcd' }),
    withIds(made[3]!, { spanId: '00f067aa0ba902b700' }),
  ]
  for (const wire of ['protobuf', 'json'] as const) {
    const decoded = TRACES[wire]([...malformed, made[4]!])

    assert.deepEqual(decoded.spans.map((span) => span.spanId), [made[4]!.spanContext().spanId], wire)
    assert.equal(decoded.rejected, 4, wire)
    assert.equal(decoded.rejectedReason, '1 span: trace ID all zeros; 1 span: span ID all zeros; 1 span: trace ID of the wrong length; 1 span: span ID of the wrong length', wire)
  }
})
