/**
 * OTLP exports as a real SDK sends them: spans made by the OpenTelemetry SDK's own tracer
 * and encoded by the serializers its OTLP exporters use (protobuf and OTLP/JSON), for the
 * request IDs a test chooses.
 */
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api'
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { randomBytes } from 'node:crypto'
import { proxySpanId } from '../../core/protocol.ts'

export type ExportEncoding = 'protobuf' | 'json'

export const CONTENT_TYPE: Readonly<Record<ExportEncoding, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' }

export interface RequestShape {
  /** The request's trace ID: the proxy's request ID. */
  readonly traceId: string
  /** The SERVER span's HTTP status. */
  readonly status: number
  /** An exception recorded on the SERVER span (a Python-like text unless `stacktrace` is given). */
  readonly exception?: { readonly type: string, readonly message: string, readonly stacktrace?: string, readonly attributes?: Readonly<Record<string, string>> }
  /** Client spans under the SERVER span (a query, a Redis call). */
  readonly children?: number
  readonly language?: string
  readonly service?: string
  /** Spans with no attributes: many of them in one export, as small as a real SDK sends spans. */
  readonly bare?: boolean
}

export function newRequestId (): string {
  return randomBytes(16).toString('hex')
}

/** The spans of one request, children first (as they end), then the SERVER span. */
export function requestSpans (shape: RequestShape): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': shape.service ?? 'shop', 'telemetry.sdk.language': shape.language ?? 'python' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  })
  const tracer = provider.getTracer('test')
  // The proxy's span is the parent, as its traceparent says.
  const parent = trace.setSpanContext(context.active(), { traceId: shape.traceId, spanId: proxySpanId(shape.traceId), traceFlags: TraceFlags.SAMPLED, isRemote: true })
  const server = tracer.startSpan('GET orders/<int:order_id>/', {
    kind: SpanKind.SERVER,
    attributes: shape.bare === true ? { 'http.response.status_code': shape.status } : { 'http.request.method': 'GET', 'url.path': '/orders/7/', 'url.query': 'coupon=SPRING&api_key=sk_live_0123456789', 'http.route': 'orders/<int:order_id>/', 'http.response.status_code': shape.status },
  }, parent)
  const inside = trace.setSpan(parent, server)
  for (let i = 0; i < (shape.children ?? 2); i++) {
    tracer.startSpan(i % 2 === 0 ? 'SELECT' : 'GET', { kind: SpanKind.CLIENT, attributes: shape.bare === true ? {} : i % 2 === 0 ? { 'db.system.name': 'sqlite', 'db.query.text': 'SELECT * FROM orders WHERE id = ?' } : { 'db.system.name': 'redis', 'db.query.text': 'GET order-total:7' } }, inside).end()
  }
  if (shape.exception !== undefined) {
    server.addEvent('exception', {
      'exception.type': shape.exception.type,
      'exception.message': shape.exception.message,
      'exception.stacktrace': shape.exception.stacktrace ?? `Traceback (most recent call last):\n  File "/app/shop/views.py", line 12, in discount_for\n    return DISCOUNTS[order.coupon]\n${shape.exception.type}: ${shape.exception.message}\n`,
      ...shape.exception.attributes,
    })
  }
  if (shape.status >= 500) server.setStatus({ code: SpanStatusCode.ERROR, message: `${shape.exception?.type ?? 'Error'}: ${shape.exception?.message ?? ''}` })
  server.end()
  return exporter.getFinishedSpans()
}

/**
 * A request that crosses two services, each exporting on its own: the app's SERVER span fails
 * after its CLIENT call to `prices`, whose own SERVER span (and a query under it) succeeded.
 */
export function twoServiceRequest (traceId: string): { readonly downstream: ReadableSpan[], readonly app: ReadableSpan[] } {
  const tracerOf = (service: string): { tracer: ReturnType<TracerProvider['getTracer']>, finished: () => ReadableSpan[] } => {
    const exporter = new InMemorySpanExporter()
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'telemetry.sdk.language': 'python' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] })
    return { tracer: provider.getTracer('test'), finished: () => exporter.getFinishedSpans() }
  }
  const [shop, prices] = [tracerOf('shop'), tracerOf('prices')]
  const fromProxy = trace.setSpanContext(context.active(), { traceId, spanId: proxySpanId(traceId), traceFlags: TraceFlags.SAMPLED, isRemote: true })
  const server = shop.tracer.startSpan('GET orders/<int:order_id>/', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 500 } }, fromProxy)
  const call = shop.tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'url.full': 'http://prices/quote/7' } }, trace.setSpan(fromProxy, server))
  const remote = trace.setSpanContext(context.active(), { ...call.spanContext(), isRemote: true })
  const quote = prices.tracer.startSpan('GET /quote/{id}', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 200 } }, remote)
  prices.tracer.startSpan('SELECT', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, trace.setSpan(remote, quote)).end()
  quote.end()
  call.end()
  server.addEvent('exception', { 'exception.type': 'KeyError', 'exception.message': "'SPRING'", 'exception.stacktrace': 'Traceback (most recent call last):\n  File "/app/shop/views.py", line 12, in discount_for\nKeyError: \'SPRING\'\n' })
  server.setStatus({ code: SpanStatusCode.ERROR })
  server.end()
  return { downstream: prices.finished(), app: shop.finished() }
}

/** One export request's body, as the SDK's OTLP exporter encodes it. */
export function tracesExport (spans: readonly ReadableSpan[], encoding: ExportEncoding): Uint8Array {
  const serializer = encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer
  const body = serializer.serializeRequest([...spans])
  if (body === undefined) throw new Error('the SDK serialized nothing')
  return body
}

/** A logs export, as the SDK's OTLP log exporter encodes it: `lines` logged inside the span `spanId` of trace `traceId`. */
export function logsExport (traceId: string, spanId: string, lines: ReadonlyArray<{ readonly body: string, readonly severityText: string, readonly attributes?: Readonly<Record<string, string>> }>, encoding: ExportEncoding): Uint8Array {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'shop', 'telemetry.sdk.language': 'python' }), processors: [new SimpleLogRecordProcessor({ exporter })] })
  const inSpan = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: TraceFlags.SAMPLED })
  for (const line of lines) provider.getLogger('test').emit({ context: inSpan, severityText: line.severityText, body: line.body, ...(line.attributes === undefined ? {} : { attributes: line.attributes }) })
  const serializer = encoding === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer
  const body = serializer.serializeRequest(exporter.getFinishedLogRecords())
  if (body === undefined) throw new Error('the SDK serialized nothing')
  return body
}

/** POSTs an export to a receiver's OTLP/HTTP endpoint. */
export async function postExport (baseUrl: string, path: '/v1/traces' | '/v1/logs', body: Uint8Array | string, headers: Record<string, string>): Promise<{ status: number, headers: Headers, body: Buffer }> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : Buffer.from(body) })
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) }
}
