/**
 * Turns a request's live spans and captured exceptions into a TraceRecord.
 * Runs only for failed requests. Every value is bounded in size, and nothing
 * here may throw into the app: the processor catches and drops.
 */
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api'
import type { Span } from '@opentelemetry/sdk-trace'
import type { IncomingMessage } from 'node:http'
import {
  RECORD_VERSION,
  type AttributeValue,
  type Attributes,
  type RecordedException,
  type RecordedSpan,
  type SpanKindName,
  type SpanStatusName,
  type TraceRecord,
} from '../core/record.ts'
import type { RequestSpans } from './request-spans.ts'
import { parseStack } from './stack.ts'

/** Strings longer than this are cut, as Django trims values at 4096 characters. */
const MAX_STRING = 4096
const MAX_ARRAY = 64

const KIND_NAMES: Record<SpanKind, SpanKindName> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
}

const STATUS_NAMES: Record<SpanStatusCode, SpanStatusName> = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
}

export interface FailedResponse {
  readonly status: number
  readonly request: Pick<IncomingMessage, 'method' | 'url'>
  /** The route template (`/orders/:id`), when the framework's instrumentation has matched one. */
  readonly route: string | undefined
}

/**
 * `response` is the 5xx being sent, when there is one; without it (a request that
 * failed with no response, or the later rewrite) method, URL and status come from
 * the server span's attributes.
 */
export function buildRecord (request: RequestSpans, response: FailedResponse | undefined, complete: boolean): TraceRecord {
  const root = request.root
  const attrs = root.attributes
  const resource = root.resource.attributes
  const version = resource['service.version']
  const route = response?.route ?? attrs['http.route']
  return {
    v: RECORD_VERSION,
    requestId: request.requestId,
    complete,
    service: {
      name: String(resource['service.name'] ?? 'unknown_service'),
      ...(version === undefined ? {} : { version: String(version) }),
    },
    time: complete ? hrToMs(root.endTime) : Date.now(),
    request: {
      method: response?.request.method ?? String(attrs['http.request.method'] ?? attrs['http.method'] ?? 'GET'),
      url: cut(response?.request.url ?? String(attrs['url.path'] ?? attrs['http.target'] ?? '/')),
      ...(route === undefined ? {} : { route: String(route) }),
    },
    response: { status: response?.status ?? Number(attrs['http.response.status_code'] ?? attrs['http.status_code'] ?? 500) },
    exceptions: exceptionsOf(request),
    spans: request.spans.map((span) => recordSpan(span, span === root && !root.ended && route !== undefined ? `${root.name} ${String(route)}` : span.name)),
    droppedSpans: request.droppedSpans,
  }
}

function exceptionsOf (request: RequestSpans): RecordedException[] {
  if (request.exceptions.length > 0) return request.exceptions.map(({ value, spanId }) => recordException(value, spanId))
  // No thrown value was captured (another processor's span class, say): fall back on the events OpenTelemetry recorded.
  const fromEvents: RecordedException[] = []
  for (const span of request.spans) {
    for (const event of span.events) {
      if (event.name !== 'exception') continue
      const stack = String(event.attributes?.['exception.stacktrace'] ?? '')
      fromEvents.push({
        type: String(event.attributes?.['exception.type'] ?? 'Error'),
        message: cut(String(event.attributes?.['exception.message'] ?? '')),
        stack: cut(stack),
        frames: parseStack(stack),
        spanId: span.spanContext().spanId,
      })
    }
  }
  return fromEvents
}

function recordException (value: unknown, spanId: string): RecordedException {
  if (value instanceof Error) {
    const stack = typeof value.stack === 'string' ? value.stack : `${value.name}: ${value.message}`
    return { type: value.name, message: cut(value.message), stack: cut(stack, 16 * MAX_STRING), frames: parseStack(stack), spanId }
  }
  return { type: typeof value, message: cut(String(value)), stack: '', frames: [], spanId }
}

/** `name` differs from the span's own for a server span still open: it gets the name it will end with. */
function recordSpan (span: Span, name: string): RecordedSpan {
  const parent = span.parentSpanContext?.spanId
  return {
    spanId: span.spanContext().spanId,
    ...(parent === undefined ? {} : { parentSpanId: parent }),
    name: cut(name),
    kind: KIND_NAMES[span.kind] ?? 'internal',
    start: hrToMs(span.startTime),
    duration: span.ended ? hrToMs(span.duration) : null,
    status: span.status.message === undefined
      ? { code: STATUS_NAMES[span.status.code] ?? 'unset' }
      : { code: STATUS_NAMES[span.status.code] ?? 'unset', message: cut(span.status.message) },
    attributes: boundAttributes(span.attributes),
    events: span.events.map((event) => ({ name: cut(event.name), time: hrToMs(event.time), attributes: boundAttributes(event.attributes ?? {}) })),
  }
}

function boundAttributes (attributes: Readonly<Record<string, unknown>>): Attributes {
  const bounded: Record<string, AttributeValue> = {}
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string') bounded[key] = cut(value)
    else if (typeof value === 'number' || typeof value === 'boolean') bounded[key] = value
    else if (Array.isArray(value)) bounded[key] = value.slice(0, MAX_ARRAY).map((v: unknown) => (typeof v === 'string' ? cut(v) : typeof v === 'number' || typeof v === 'boolean' ? v : null))
  }
  return bounded
}

function cut (value: string, max = MAX_STRING): string {
  return value.length <= max ? value : `${value.slice(0, max)}… [${value.length - max} more characters]`
}

function hrToMs (time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6
}
