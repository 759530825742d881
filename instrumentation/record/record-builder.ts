/**
 * Turns a request's live spans and captured exceptions into a TraceRecord.
 * Runs only for failed requests. Every value is redacted and bounded (limits.ts),
 * what was cut is listed in `truncated`, and nothing here may throw into the app:
 * the processor catches and drops.
 */
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api'
import type { Span } from '@opentelemetry/sdk-trace'
import {
  encodeRecord,
  RECORD_VERSION,
  type AttributeValue,
  type Attributes,
  type RecordedException,
  type RecordedProcess,
  type RecordedSpan,
  type SpanKindName,
  type SpanStatusName,
  type TraceRecord,
} from '../../core/record.ts'
import type { Redactor } from '../../core/redact.ts'
import { recordException, type ExceptionContext } from './exceptions.ts'
import { recordFrames } from './frames.ts'
import { LIMITS, Truncation } from './limits.ts'
import { recordEnvironment } from './process-facts.ts'
import type { RedactionCache } from './redaction-cache.ts'
import { recordRequest, recordRequestFromSpan, type AppRequest } from './request-details.ts'
import type { FailedResponse, RequestSpans } from '../request-spans.ts'

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

/** What every record of this process shares. */
export interface RecordSources {
  readonly redactor: Redactor
  /** The same redactor's cache, for what every record carries again (the environment, source lines). */
  readonly redactionCache: RedactionCache
  readonly process: RecordedProcess
  readonly env: NodeJS.ProcessEnv
}

/** A record as the writer stores it, and its JSON. */
export interface EncodedRecord {
  readonly record: TraceRecord
  readonly json: string
}

/**
 * `response` is the 5xx being sent, when there is one; without it (a request that
 * failed with no response) method, URL and status come from the server span's attributes.
 */
export function buildRecord (request: RequestSpans, response: FailedResponse | undefined, complete: boolean, sources: RecordSources): EncodedRecord {
  const { redactor, redactionCache } = sources
  const truncation = new Truncation()
  const root = request.root
  const attrs = root.attributes
  const resource = root.resource.attributes
  const version = resource['service.version']
  const route = response?.route ?? (attrs['http.route'] === undefined ? undefined : String(attrs['http.route']))
  const context: ExceptionContext = { redactor, redactionCache, truncation }
  const spans = request.spans.map((span) => recordSpan(span, span === root && !root.ended && route !== undefined ? `${root.name} ${route}` : span.name, redactor, truncation))
  const record: TraceRecord = {
    v: RECORD_VERSION,
    requestId: request.requestId,
    complete,
    service: {
      name: String(resource['service.name'] ?? 'unknown_service'),
      ...(version === undefined ? {} : { version: String(version) }),
    },
    language: 'nodejs',
    time: complete ? hrToMs(root.endTime) : Date.now(),
    request: response === undefined
      ? recordRequestFromSpan(
        String(attrs['http.request.method'] ?? attrs['http.method'] ?? 'GET'),
        String(attrs['url.path'] === undefined ? attrs['http.target'] ?? '/' : `${String(attrs['url.path'])}${attrs['url.query'] === undefined ? '' : `?${String(attrs['url.query'])}`}`),
        route, redactor, truncation)
      : recordRequest(response.request, route, redactor, truncation),
    response: { status: response?.status ?? Number(attrs['http.response.status_code'] ?? attrs['http.status_code'] ?? 500) },
    process: sources.process,
    resource: boundAttributes(redactor.attributes(resource as Attributes), LIMITS.resourceAttributes, truncation, 'resource'),
    environment: recordEnvironment(sources.env, redactionCache, truncation),
    exceptions: exceptionsOf(request, context),
    spans,
    droppedSpans: request.droppedSpans,
    // Log lines come from OTLP logs (ingest/); this instrumentation does not read the app's logging.
    logs: [],
    truncated: truncation.paths,
  }
  return encodeFitted(record)
}

/**
 * Encoded once: checking the size needs the JSON, and the same JSON is stored (encoding
 * the record again took about 4% of the app's CPU for a failing request; docs/benchmarks.md).
 */
function encodeFitted (record: TraceRecord): EncodedRecord {
  const json = encodeRecord(record)
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most records are far under the limit without counting.
  if (json.length * 3 <= LIMITS.recordBytes || Buffer.byteLength(json) <= LIMITS.recordBytes) return { record, json }
  const fitted = fitRecord(record)
  return { record: fitted, json: encodeRecord(fitted) }
}

/**
 * Every part is within its limit, but many parts at their limits add up (tens of MB):
 * shrink until the JSON is at most LIMITS.recordBytes. Everything but the spans gets at
 * most half of it (first the other exceptions and the detail of the first one go, then
 * the environment and the resource); the spans fill the rest in start order, so the
 * root and the earliest spans stay. Each part is measured once, not the whole record
 * again and again.
 */
export function fitRecord (record: TraceRecord): TraceRecord {
  const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value))
  if (bytes(record) <= LIMITS.recordBytes) return record
  const truncated = new Set(record.truncated)
  let rest: TraceRecord = { ...record, spans: [] }
  if (bytes(rest) > LIMITS.recordBytes / 2) {
    rest = { ...rest, exceptions: rest.exceptions.slice(0, 1).map(withoutDetail) }
    truncated.add('exceptions').add('exceptions[0].frames')
  }
  if (bytes(rest) > LIMITS.recordBytes / 2) {
    rest = { ...rest, environment: [], resource: {} }
    truncated.add('environment').add('resource')
  }
  // Room left for the spans: each costs its JSON plus a comma; the truncation list may still grow by one entry.
  let room = LIMITS.recordBytes - bytes(rest) - 64
  let kept = 0
  for (const span of record.spans) {
    room -= bytes(span) + 1
    if (room < 0) break
    kept++
  }
  if (kept < record.spans.length) truncated.add('spans')
  return { ...rest, spans: record.spans.slice(0, kept), droppedSpans: record.droppedSpans + record.spans.length - kept, truncated: [...truncated] }
}

function withoutDetail (exception: RecordedException): RecordedException {
  const { cause, causeKind, errors, suppressed, ...rest } = exception
  return { ...rest, frames: exception.frames.map(({ context, locals, ...frame }) => frame) }
}

function exceptionsOf (request: RequestSpans, context: ExceptionContext): RecordedException[] {
  if (request.exceptions.length > 0) {
    // The last one recorded is the one that failed the request (earlier ones were handled: a Redis client's
    // rejected handshake, say); it comes first, the others follow in the order they were recorded.
    const ordered = [request.exceptions.at(-1), ...request.exceptions.slice(0, -1)].filter((e) => e !== undefined)
    return ordered.map(({ value, spanId }, i) => recordException(value, spanId, context, `exceptions[${i}]`))
  }
  // No thrown value was captured (another processor's span class, say): fall back on the events OpenTelemetry recorded.
  const { redactor, redactionCache, truncation } = context
  const fromEvents: RecordedException[] = []
  for (const span of request.spans) {
    for (const event of span.events) {
      if (event.name !== 'exception') continue
      const path = `exceptions[${fromEvents.length}]`
      const stack = String(event.attributes?.['exception.stacktrace'] ?? '')
      const redact = (text: string): string => redactor.text(text)
      fromEvents.push({
        type: String(event.attributes?.['exception.type'] ?? 'Error'),
        message: truncation.redactedText(String(event.attributes?.['exception.message'] ?? ''), LIMITS.messageChars, `${path}.message`, redact),
        stack: truncation.redactedText(stack, LIMITS.stackChars, `${path}.stack`, redact),
        frames: recordFrames(stack, redactionCache, truncation, path),
        spanId: span.spanContext().spanId,
      })
    }
  }
  return fromEvents
}

/** `name` differs from the span's own for a server span still open: it gets the name it will end with. */
function recordSpan (span: Span, name: string, redactor: Redactor, truncation: Truncation): RecordedSpan {
  const parent = span.parentSpanContext?.spanId
  const text = (value: string): string => truncation.redactedText(value, LIMITS.attributeChars, 'spans', (t) => redactor.text(t))
  return {
    spanId: span.spanContext().spanId,
    ...(parent === undefined ? {} : { parentSpanId: parent }),
    name: text(name),
    kind: KIND_NAMES[span.kind] ?? 'internal',
    startUs: hrToUs(span.startTime),
    durationUs: span.ended ? hrToUs(span.duration) : null,
    status: span.status.message === undefined
      ? { code: STATUS_NAMES[span.status.code] ?? 'unset' }
      : { code: STATUS_NAMES[span.status.code] ?? 'unset', message: text(span.status.message) },
    attributes: boundAttributes(redactor.attributes(span.attributes as Attributes), LIMITS.attributesPerSpan, truncation, 'spans'),
    events: truncation.list(span.events, LIMITS.eventsPerSpan, 'spans').map((event) => ({
      name: text(event.name),
      timeUs: hrToUs(event.time),
      // An `exception` event carries the whole stack: it gets the stack's limit, not an attribute's.
      attributes: boundAttributes(redactor.attributes((event.attributes ?? {}) as Attributes), LIMITS.attributesPerSpan, truncation, 'spans', LIMITS.stackChars),
    })),
  }
}

/** Attributes as OpenTelemetry allows them (already redacted), cut to the limits. */
function boundAttributes (attributes: Readonly<Record<string, unknown>>, max: number, truncation: Truncation, path: string, maxChars: number = LIMITS.attributeChars): Attributes {
  const bounded: Record<string, AttributeValue> = {}
  const entries = truncation.list(Object.entries(attributes), max, path)
  for (const [key, value] of entries) {
    if (typeof value === 'string') bounded[key] = truncation.text(value, maxChars, path)
    else if (typeof value === 'number' || typeof value === 'boolean') bounded[key] = value
    else if (Array.isArray(value)) {
      bounded[key] = truncation.list(value, LIMITS.attributeArrayItems, path)
        .map((v: unknown) => (typeof v === 'string' ? truncation.text(v, LIMITS.attributeChars, path) : typeof v === 'number' || typeof v === 'boolean' ? v : null))
    }
  }
  return bounded
}

function hrToMs (time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6
}

/** Whole microseconds, exact: an epoch time in them (about 2^51) is still an exact integer in a double. */
function hrToUs (time: HrTime): number {
  return time[0] * 1_000_000 + Math.round(time[1] / 1000)
}
