/**
 * The record of a failed request, made from its trace's OTLP spans and log lines: what
 * the Node instrumentation records from inside the app, here from what any language's
 * standard OpenTelemetry exports. Every value is redacted (foreign SDKs redact nothing)
 * and bounded before it reaches Redis, and what was cut is listed in `truncated`.
 *
 * What OTLP does not carry stays empty and says so: headers, cookies and body
 * (`request.source: 'spans'`; the proxy shows its own view of the request beside), the
 * environment, the working directory.
 */
import { RECORD_VERSION, type AttributeValue, type Attributes, type Pairs, type RecordedException, type RecordedLog, type RecordedProcess, type RecordedRequest, type RecordedSpan, type StackFrame, type TraceRecord } from '../../core/record.ts'
import { proxySpanId } from '../../core/protocol.ts'
import type { Redactor } from '../../core/redact.ts'
import { boundAttributes, encodeFitted, Truncation, type AttributeBounds, type EncodedRecord } from '../../core/record-bounds.ts'
import { LIMITS } from '../limits.ts'
import type { OtlpLogRecord, OtlpSpan, OtlpSpanEvent } from '../otlp/model.ts'
import { parseForeignException } from '../stacks/parse.ts'
import { richFrames, RICH_FRAMES_ATTRIBUTE } from './rich-frames.ts'

/** Attributes that already have a place of their own in the record: the exception's text is under `exceptions`. */
const SHOWN_ELSEWHERE = new Set(['exception.stacktrace', RICH_FRAMES_ATTRIBUTE])

const ATTRIBUTES: AttributeBounds = { attributes: LIMITS.attributesPerSpan, arrayItems: LIMITS.attributeArrayItems, chars: LIMITS.attributeChars }

/** OTLP's severity numbers (1–24) by range, for a log line that names no severity. */
const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const

/** The HTTP status a span answered, under the stable or the older semantic-convention name. */
export function httpStatusOf (span: Pick<OtlpSpan, 'attributes'>): number | undefined {
  const status = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code']
  const number = typeof status === 'string' ? Number(status) : status
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined
}

/** A SERVER span failed: error status, a 5xx, or an exception recorded on it. */
export function isFailedServerSpan (span: OtlpSpan): boolean {
  if (span.kind !== 'server') return false
  return span.status.code === 'error' || (httpStatusOf(span) ?? 0) >= 500 || span.events.some(isExceptionEvent)
}

function isExceptionEvent (event: OtlpSpanEvent): boolean {
  return event.name === 'exception'
}

/** A log record that carries an exception (where OpenTelemetry is moving exceptions to). */
function isExceptionLog (log: OtlpLogRecord): boolean {
  return typeof log.attributes['exception.type'] === 'string' || typeof log.attributes['exception.message'] === 'string'
}

/** The proxy's SERVER span for the request: its parent is the span the proxy put in `traceparent`, or none (no proxy in front). */
export function isRequestsOwnSpan (span: OtlpSpan): boolean {
  return span.kind === 'server' && (span.parentSpanId === undefined || span.parentSpanId === proxySpanId(span.traceId))
}

/**
 * The failed SERVER span the record is about: the request's own, else one whose parent is not
 * in the trace (a proxy that is not supertrace's), else the first failed one; undefined when none failed.
 */
export function entrySpanOf (spans: readonly OtlpSpan[]): OtlpSpan | undefined {
  const ids = new Set(spans.map((s) => s.spanId))
  const failed = spans.filter(isFailedServerSpan)
  return failed.find(isRequestsOwnSpan) ?? failed.find((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)) ?? failed[0]
}

export function buildForeignRecord (traceId: string, entry: OtlpSpan, spans: readonly OtlpSpan[], logs: readonly OtlpLogRecord[], redactor: Redactor): EncodedRecord {
  const truncation = new Truncation()
  const resource = entry.resource.attributes
  const service = String(resource['service.name'] ?? 'unknown_service')
  const version = resource['service.version']
  const language = String(resource['telemetry.sdk.language'] ?? '')
  const ids = new Set(spans.map((s) => s.spanId))
  const ordered = [...spans].sort((a, b) => a.startUs - b.startUs)
  const kept = truncation.list(ordered, LIMITS.spans, 'spans')
  return encodeFitted({
    v: RECORD_VERSION,
    requestId: traceId,
    // Every span OTLP carries has ended; spans exported later update the record.
    complete: true,
    service: { name: service, ...(version === undefined ? {} : { version: String(version) }) },
    language,
    time: Math.round(entry.endUs / 1000),
    request: requestOf(entry, redactor, truncation),
    response: { status: httpStatusOf(entry) ?? 500 },
    process: processOf(resource, language),
    resource: boundAttributes(redactor.attributes(resource), ATTRIBUTES, truncation, 'resource'),
    environment: [],
    exceptions: exceptionsOf(entry, ordered, logs, language, redactor, truncation),
    spans: kept.map((span) => recordSpan(span, ids, service, redactor, truncation)),
    droppedSpans: ordered.length - kept.length,
    logs: logLinesOf(logs, redactor, truncation),
    truncated: truncation.paths,
  }, LIMITS.recordBytes)
}

function requestOf (entry: OtlpSpan, redactor: Redactor, truncation: Truncation): RecordedRequest {
  const a = entry.attributes
  const method = String(a['http.request.method'] ?? a['http.method'] ?? 'GET')
  const path = a['url.path'] ?? pathOf(a['http.target'] ?? a['url.full'] ?? a['http.url'])
  const query = a['url.query'] ?? queryOf(a['http.target'] ?? a['url.full'] ?? a['http.url'])
  const url = `${typeof path === 'string' ? path : '/'}${typeof query === 'string' && query !== '' ? `?${query}` : ''}`
  const route = a['http.route']
  return {
    source: 'spans',
    method: truncation.text(method, 64, 'request.method'),
    url: truncation.text(redactor.url(url), LIMITS.attributeChars, 'request.url'),
    ...(typeof route === 'string' ? { route: truncation.text(route, LIMITS.attributeChars, 'request.route') } : {}),
    query: typeof query === 'string' ? queryPairs(query, redactor) : [],
    // Headers an SDK was told to capture (OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST).
    headers: redactor.pairs(capturedHeaders(a)),
    cookies: [],
  }
}

/** `/a/b?x=1` or `http://host/a/b?x=1` → `/a/b`. */
function pathOf (target: AttributeValue | undefined): string | undefined {
  if (typeof target !== 'string') return undefined
  const withoutOrigin = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '')
  const end = withoutOrigin.search(/[?#]/)
  return (end === -1 ? withoutOrigin : withoutOrigin.slice(0, end)) || '/'
}

function queryOf (target: AttributeValue | undefined): string | undefined {
  if (typeof target !== 'string') return undefined
  const q = target.indexOf('?')
  if (q === -1) return undefined
  const hash = target.indexOf('#', q)
  return target.slice(q + 1, hash === -1 ? undefined : hash)
}

function queryPairs (query: string, redactor: Redactor): Pairs {
  const pairs = new URLSearchParams(query)
  return redactor.pairs([...pairs].slice(0, 100))
}

function capturedHeaders (attributes: Attributes): Array<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = []
  for (const [key, value] of Object.entries(attributes)) {
    if (!key.startsWith('http.request.header.')) continue
    const name = key.slice('http.request.header.'.length)
    for (const item of Array.isArray(value) ? value : [value]) headers.push([name, String(item)])
  }
  return headers
}

function processOf (resource: Attributes, language: string): RecordedProcess {
  const runtimeName = resource['process.runtime.name'] ?? resource['process.runtime.description']
  const runtimeVersion = resource['process.runtime.version']
  const runtime = runtimeName === undefined
    ? [language === '' ? 'unknown runtime' : language, resource['telemetry.sdk.version'] === undefined ? '' : `OpenTelemetry SDK ${String(resource['telemetry.sdk.version'])}`].filter((part) => part !== '').join(', ')
    : `${String(runtimeName)}${runtimeVersion === undefined ? '' : ` ${String(runtimeVersion)}`}`
  const hostname = resource['host.name']
  const pid = resource['process.pid']
  return {
    runtime,
    ...(typeof hostname === 'string' ? { hostname } : {}),
    ...(typeof pid === 'number' ? { pid } : {}),
  }
}

/**
 * Every exception the trace recorded, once each: the request's own SERVER span's first (the
 * one that failed the request), then the others as they happened. An exception that passed
 * through several spans (Java records it on each) is kept once.
 */
function exceptionsOf (entry: OtlpSpan, spans: readonly OtlpSpan[], logs: readonly OtlpLogRecord[], language: string, redactor: Redactor, truncation: Truncation): RecordedException[] {
  const found: Array<{ readonly attributes: Attributes, readonly spanId: string | undefined, readonly timeUs: number, readonly isEntry: boolean }> = []
  for (const span of spans) {
    for (const event of span.events) if (isExceptionEvent(event)) found.push({ attributes: event.attributes, spanId: span.spanId, timeUs: event.timeUs, isEntry: span === entry })
  }
  for (const log of logs) if (isExceptionLog(log)) found.push({ attributes: log.attributes, spanId: log.spanId, timeUs: log.timeUs, isEntry: log.spanId === entry.spanId })
  // The entry span's last exception failed the request; the rest follow in time order.
  found.sort((a, b) => a.timeUs - b.timeUs)
  const lastOfEntry = found.findLastIndex((e) => e.isEntry)
  const ordered = lastOfEntry === -1 ? [...found].reverse() : [found[lastOfEntry], ...found.filter((_, i) => i !== lastOfEntry)]
  const seen = new Set<string>()
  const exceptions: RecordedException[] = []
  for (const item of ordered) {
    if (item === undefined) continue
    const a = item.attributes
    const type = String(a['exception.type'] ?? '')
    const message = String(a['exception.message'] ?? '')
    const stacktrace = String(a['exception.stacktrace'] ?? '')
    const key = `${type}\u0000${message}\u0000${stacktrace}`
    if (seen.has(key)) continue
    seen.add(key)
    if (exceptions.length === LIMITS.exceptions) {
      truncation.mark('exceptions')
      break
    }
    const path = `exceptions[${exceptions.length}]`
    const parsed = parseForeignException({ language, type: type === '' ? 'Error' : type, message, stacktrace })
    const rich = richFrames(a[RICH_FRAMES_ATTRIBUTE], truncation, path)
    exceptions.push({
      ...redactException(parsed, redactor, truncation, path),
      ...(rich === undefined ? {} : { frames: rich.map((frame) => redactFrame(frame, redactor)) }),
      ...(item.spanId === undefined ? {} : { spanId: item.spanId }),
    })
  }
  return exceptions
}

/** Message, stack and source lines by shape, at every level of the chain. */
function redactException (exception: RecordedException, redactor: Redactor, truncation: Truncation, path: string): RecordedException {
  const text = (t: string): string => redactor.text(t)
  const { cause, suppressed, errors, ...own } = exception
  return {
    ...own,
    message: truncation.redactedText(own.message, LIMITS.messageChars, `${path}.message`, text),
    stack: truncation.redactedText(own.stack, LIMITS.stackChars, `${path}.stack`, text),
    frames: own.frames.map((frame) => redactFrame(frame, redactor)),
    ...(cause === undefined ? {} : { cause: redactException(cause, redactor, truncation, `${path}.cause`) }),
    ...(suppressed === undefined ? {} : { suppressed: suppressed.map((s, i) => redactException(s, redactor, truncation, `${path}.suppressed[${i}]`)) }),
    ...(errors === undefined ? {} : { errors: errors.map((e, i) => redactException(e, redactor, truncation, `${path}.errors[${i}]`)) }),
  }
}

function redactFrame (frame: StackFrame, redactor: Redactor): StackFrame {
  const { context, locals } = frame
  return {
    ...frame,
    ...(context === undefined ? {} : { context: context.map((line) => ({ line: line.line, text: redactor.text(line.text) })) }),
    ...(locals === undefined ? {} : { locals: locals.map((local) => ({ name: local.name, value: redactor.named(local.name, local.value) })) }),
  }
}

function recordSpan (span: OtlpSpan, ids: ReadonlySet<string>, service: string, redactor: Redactor, truncation: Truncation): RecordedSpan {
  const text = (value: string): string => truncation.redactedText(value, LIMITS.attributeChars, 'spans', (t) => redactor.text(t))
  const spanService = span.resource.attributes['service.name']
  return {
    spanId: span.spanId,
    // A parent outside the trace (the proxy's span) is no span the page can draw.
    ...(span.parentSpanId === undefined || !ids.has(span.parentSpanId) ? {} : { parentSpanId: span.parentSpanId }),
    name: text(span.name),
    kind: span.kind,
    ...(typeof spanService === 'string' && spanService !== service ? { service: spanService } : {}),
    startUs: span.startUs,
    durationUs: Math.max(0, span.endUs - span.startUs),
    status: span.status.message === undefined || span.status.message === ''
      ? { code: span.status.code }
      : { code: span.status.code, message: text(span.status.message) },
    attributes: boundAttributes(redactor.attributes(span.attributes), ATTRIBUTES, truncation, 'spans'),
    events: truncation.list(span.events, LIMITS.eventsPerSpan, 'spans').map((event) => ({
      name: text(event.name),
      timeUs: event.timeUs,
      attributes: boundAttributes(redactor.attributes(withoutShownElsewhere(event.attributes)), ATTRIBUTES, truncation, 'spans'),
    })),
  }
}

function withoutShownElsewhere (attributes: Attributes): Attributes {
  if (!Object.keys(attributes).some((key) => SHOWN_ELSEWHERE.has(key))) return attributes
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !SHOWN_ELSEWHERE.has(key)))
}

function logLinesOf (logs: readonly OtlpLogRecord[], redactor: Redactor, truncation: Truncation): RecordedLog[] {
  const ordered = [...logs].sort((a, b) => a.timeUs - b.timeUs)
  return truncation.list(ordered, LIMITS.logsPerTrace, 'logs').map((log) => ({
    timeUs: log.timeUs,
    severity: log.severityText !== '' ? truncation.text(log.severityText, 32, 'logs') : severityName(log.severityNumber),
    body: truncation.redactedText(log.body, LIMITS.logBodyChars, 'logs', (t) => redactor.text(t)),
    ...(log.spanId === undefined ? {} : { spanId: log.spanId }),
    attributes: boundAttributes(redactor.attributes(log.attributes), ATTRIBUTES, truncation, 'logs'),
  }))
}

function severityName (severityNumber: number): string {
  if (severityNumber < 1 || severityNumber > 24) return ''
  return SEVERITY_NAMES[Math.floor((severityNumber - 1) / 4)] ?? ''
}
