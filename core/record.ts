/**
 * The record of one failed request: written to Redis by the instrumentation,
 * read by the proxy to build the debug page. This module is the format's one
 * definition; docs/record.md describes it field by field (a test keeps the two in step).
 *
 * A change of shape is a new RECORD_VERSION, and `decodeRecord` keeps reading the
 * previous version for at least one TTL, so a proxy and an app upgraded at
 * different times still understand each other.
 */
import { RecordFormatError } from './errors.ts'
import { isRequestId } from './protocol.ts'

export const RECORD_VERSION = 4

export type AttributeValue = string | number | boolean | ReadonlyArray<string | number | boolean | null>
export type Attributes = Readonly<Record<string, AttributeValue>>

/**
 * Where a frame's code comes from: the app's own, a dependency (`node_modules`, site-packages,
 * gems, the Go module cache, vendor/), or the language's runtime itself (`node:`, the JDK,
 * GOROOT, the Python standard library). Version 3 called the runtime's `node`.
 */
export type FrameOrigin = 'app' | 'library' | 'runtime'

export interface SourceLine {
  readonly line: number
  readonly text: string
}

/** A local variable of a frame: its name and a bounded, redacted preview of its value. */
export interface LocalVariable {
  readonly name: string
  readonly value: string
}

export interface StackFrame {
  /** The function as the runtime names it (`Router.handle`, `<anonymous>`, `shop.views.order_view`); absent for top-level code. */
  readonly function?: string
  /** A path or URL (`file:///app/server.js`, `node:internal/…`, `/app/shop/views.py`, `Orders.java`); the original source's when a source map applies. */
  readonly file: string
  readonly line: number
  /** Absent where the stack text gives none (Python, Java, Ruby, Go, .NET, PHP). */
  readonly column?: number
  readonly origin: FrameOrigin
  /** V8 printed the frame as `at async …`. */
  readonly async?: boolean
  /** Up to seven lines around `line` (three before, three after), read in the app when the record was made; for a foreign stack, the line the stack text carries. */
  readonly context?: readonly SourceLine[]
  /** The frame's local variables, when SUPERTRACE_CAPTURE_LOCALS is on and they could be captured. */
  readonly locals?: readonly LocalVariable[]
}

export interface RecordedException {
  /** `err.name` for an Error (`TypeError`), or `typeof` for a thrown non-Error; for another language, its `exception.type` (`KeyError`, `java.lang.IllegalStateException`). */
  readonly type: string
  readonly message: string
  /** The stack as the runtime printed it (`err.stack`; for another language, its `exception.stacktrace`). */
  readonly stack: string
  /** The stack parsed, innermost frame first (for every language: Python's and Ruby's texts list it last, and are reversed). */
  readonly frames: readonly StackFrame[]
  /** The span it was recorded on, when OpenTelemetry recorded it. */
  readonly spanId?: string
  /** `err.cause` (Java's "Caused by:", Python's `__cause__` or `__context__`), recorded the same way, to a bounded depth. */
  readonly cause?: RecordedException
  /**
   * How `cause` led to this exception: `cause`, it was raised from it (`err.cause`, Java's
   * "Caused by:", Python's "direct cause", .NET's inner exception); `context`, it was raised
   * while `cause` was being handled (Python's "During handling of the above exception").
   * Absent means `cause`. New in version 4.
   */
  readonly causeKind?: 'cause' | 'context'
  /** The members of an `AggregateError`, each recorded the same way. */
  readonly errors?: readonly RecordedException[]
  /** Java's suppressed exceptions ("Suppressed:"), each recorded the same way. New in version 4. */
  readonly suppressed?: readonly RecordedException[]
}

/** Name–value pairs in their original order; a name may repeat (two `Accept` headers, `?a=1&a=2`). */
export type Pairs = ReadonlyArray<readonly [string, string]>

export interface RecordedRequest {
  /**
   * Who saw the request: `app`, the instrumentation inside it (headers, cookies and body as the
   * app read them); `spans`, only its spans' attributes, as OTLP carries them (no headers,
   * cookies or body: the proxy shows its own view of the request beside). New in version 4.
   */
  readonly source: 'app' | 'spans'
  readonly method: string
  /** Path and query as the app received them, secrets in the query replaced. */
  readonly url: string
  /** The route template (`/orders/:id`), when the framework matched one. */
  readonly route?: string
  readonly query: Pairs
  /** Every header but `Cookie`, which is split into `cookies`. */
  readonly headers: Pairs
  readonly cookies: Pairs
  /** The body, when the app read one (a parsed form or JSON, or text), cut at a limit. */
  readonly body?: { readonly contentType?: string, readonly text: string }
}

/** Facts about the app's process that only the app knows; for another language, what its resource says (absent when it says nothing). */
export interface RecordedProcess {
  /** The runtime and its version (`Node.js v26.10.0`, `CPython 3.11.2`). Version 3 had `node` (`v26.10.0`). */
  readonly runtime: string
  readonly hostname?: string
  readonly pid?: number
  /** The app's working directory: app frames are shown relative to it. */
  readonly cwd?: string
  /** The deployed commit, when known (SUPERTRACE_COMMIT or a common CI variable). */
  readonly commit?: string
}

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer'
export type SpanStatusName = 'unset' | 'ok' | 'error'

export interface RecordedSpanEvent {
  readonly name: string
  /** Epoch microseconds (version 3: `time`, in milliseconds). */
  readonly timeUs: number
  readonly attributes: Attributes
}

export interface RecordedSpan {
  readonly spanId: string
  /** Absent on the request's root span. */
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: SpanKindName
  /** The service that made the span, when it is not the record's (a trace crosses services). New in version 4. */
  readonly service?: string
  /** Epoch microseconds (version 3: `start`, in milliseconds, which snapped a short request's bars to whole milliseconds). */
  readonly startUs: number
  /** Microseconds; `null` while the span was still open when the record was made (version 3: `duration`, in milliseconds). */
  readonly durationUs: number | null
  readonly status: { readonly code: SpanStatusName, readonly message?: string }
  readonly attributes: Attributes
  readonly events: readonly RecordedSpanEvent[]
}

/** A line the app logged while the request ran (an OTLP log record with the request's trace ID). New in version 4. */
export interface RecordedLog {
  /** Epoch microseconds. */
  readonly timeUs: number
  /** The severity as the app named it (`ERROR`, `warning`), or from its number when it gave no name; `''` when neither. */
  readonly severity: string
  /** The body as text, redacted and cut. */
  readonly body: string
  /** The span it was logged in, when known. */
  readonly spanId?: string
  readonly attributes: Attributes
}

export interface TraceRecord {
  readonly v: typeof RECORD_VERSION
  /** The request ID, which is the request's W3C trace ID. */
  readonly requestId: string
  /**
   * `false`: written while the 500 was being sent (some spans still open);
   * `true`: rewritten once every span of the request had ended.
   */
  readonly complete: boolean
  readonly service: { readonly name: string, readonly version?: string }
  /**
   * The app's language, as OpenTelemetry's `telemetry.sdk.language` names it (`nodejs`,
   * `python`, `java`, `go`, `ruby`, `dotnet`, `php`, …): how its frames and stacks read. New in version 4.
   */
  readonly language: string
  /** Epoch milliseconds at which the failing response was produced. */
  readonly time: number
  readonly request: RecordedRequest
  readonly response: { readonly status: number }
  readonly process: RecordedProcess
  /** The OpenTelemetry resource's attributes, redacted. */
  readonly resource: Attributes
  /** The app's environment variables, redacted, sorted by name. */
  readonly environment: Pairs
  /** Every distinct exception recorded during the request: the last recorded (the one that failed the request) first, then the others as recorded. Empty when none was captured. */
  readonly exceptions: readonly RecordedException[]
  /** The request's spans in start order, capped (see `droppedSpans`). */
  readonly spans: readonly RecordedSpan[]
  /** How many spans were left out to keep the record bounded. */
  readonly droppedSpans: number
  /** What the app logged while the request ran, in time order, capped. New in version 4. */
  readonly logs: readonly RecordedLog[]
  /** What was cut to keep the record within its limits (`"spans"`, `"exceptions[0].frames"`, …); empty when nothing was. */
  readonly truncated: readonly string[]
}

/**
 * The small record of a failure that repeats an earlier one (same exception type, message
 * shape, innermost app frame and route, within a minute: see instrumentation/storage/repeats.ts).
 * It keeps only what differs per request; the proxy shows the full record of `sameAs` in
 * its place (`resolveRepeat`). A few hundred bytes instead of tens of KB, so an error storm
 * stays cheap for Redis. New in version 3.
 */
export interface RepeatRecord {
  readonly v: typeof RECORD_VERSION
  readonly requestId: string
  /** The request whose full record this failure repeats. It outlives this record (the writer gives this one no longer a TTL). */
  readonly sameAs: string
  /** Epoch milliseconds at which the failing response was produced. */
  readonly time: number
  /** The request line only: the path and query are redacted and cut as in a full record, at 512 characters. */
  readonly request: { readonly method: string, readonly url: string, readonly route?: string }
  readonly response: { readonly status: number }
  /** This request's own exception (the one that failed it), redacted, its message cut at 512 characters; absent when none was captured. */
  readonly exception?: { readonly type: string, readonly message: string }
}

/** What a record key holds: a full record or, for a repeated failure, a pointer to one. */
export type StoredRecord = TraceRecord | RepeatRecord

export function isRepeat (stored: StoredRecord): stored is RepeatRecord {
  return 'sameAs' in stored
}

/** A Node frame's origin: Node's own code (`node:…`, `internal/…`, `<anonymous>`), a dependency under `node_modules`, or the app's. */
export function frameOrigin (file: string): FrameOrigin {
  if (file.startsWith('node:') || file.startsWith('internal/') || !/[/\\]/.test(file)) return 'runtime'
  if (/[/\\]node_modules[/\\]/.test(file)) return 'library'
  return 'app'
}

/** The one placeholder for a redacted value: fixed length, so a secret's length does not show. */
export const REDACTED = '********************'

/**
 * The one marker of a cut, on both sides: it ends a value cut short and says how much was
 * left out (`count` more characters or bytes, or "the rest" when the total is not known),
 * so a reader never takes a cut value for the whole.
 */
export function cutMarker (count: number | null, unit: 'characters' | 'bytes' = 'characters'): string {
  return count === null ? ' … [the rest cut]' : ` … [${count} more ${unit} cut]`
}

/** `value` cut to at most `max` characters, never inside a surrogate pair, and marked. */
export function cutText (value: string, max: number): string {
  if (value.length <= max) return value
  const end = max > 0 && isHighSurrogate(value.charCodeAt(max - 1)) ? max - 1 : max
  return value.slice(0, end) + cutMarker(value.length - end)
}

function isHighSurrogate (code: number): boolean {
  return code >= 0xD800 && code <= 0xDBFF
}

export function encodeRecord (record: StoredRecord): string {
  return JSON.stringify(record)
}

/**
 * Parses a stored full record. Throws `RecordFormatError` on anything that is not a record
 * of a version this build reads, rather than guessing at a shape it does not know, and
 * on a repeat (read those with `decodeStored`).
 */
export function decodeRecord (json: string): TraceRecord {
  const stored = decodeStored(json)
  if (isRepeat(stored)) throw new RecordFormatError(`the stored record is a repeat of request ${stored.sameAs}, not a full record`)
  return stored
}

/** Parses what a record key holds: a full record (of version 1 to 4) or a repeat (version 3 or 4), in the version 4 shape. */
export function decodeStored (json: string): StoredRecord {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new RecordFormatError('the stored record is not JSON', { cause })
  }
  if (!isObject(value)) throw new RecordFormatError('the stored record is not a JSON object')
  const record = upgraded(value)
  if (record.v !== RECORD_VERSION) throw new RecordFormatError(`record version ${JSON.stringify(record.v)} is not one this proxy reads (1 to ${RECORD_VERSION})`)
  const problem = 'sameAs' in record ? repeatProblem(record) : firstProblem(record)
  if (problem !== undefined) throw new RecordFormatError(`the stored record is malformed: ${problem}`)
  return record as unknown as StoredRecord
}

/**
 * What the debug page shows for a repeat: what the full record of the request it repeats
 * knows about the code and the process (the failing exception's frames and source lines,
 * the environment, the resource), under the repeat's own request ID, time, request line,
 * status and exception message, with a note saying so. Nothing of the other request's own
 * is shown: not its message, locals, causes, spans, headers, cookies, query or body.
 * `full` is undefined when that record has expired or cannot be read: the page then shows
 * what the repeat itself holds.
 */
export function resolveRepeat (repeat: RepeatRecord, full: TraceRecord | undefined): TraceRecord {
  const note = full === undefined
    ? `repeat of request ${repeat.sameAs}, whose record is gone: only this request's line, status and exception message were stored`
    : `repeat of request ${repeat.sameAs}: this request failed the same way (same exception, message shape, app frame and route), so only its request line, status and exception message were stored; the frames, source lines and environment shown are from that request's record, its spans and local variables are left out`
  const template = full?.exceptions[0]
  const own = repeat.exception
  const exceptions: RecordedException[] = own === undefined
    ? []
    : [{
        type: own.type,
        message: own.message,
        // The stack's first line is the other request's message; the frames below it are the same code.
        stack: `${own.type}: ${own.message}${framesOf(template?.stack ?? '')}`,
        frames: (template?.frames ?? []).map(({ locals, ...frame }) => frame),
      }]
  return {
    v: RECORD_VERSION,
    requestId: repeat.requestId,
    complete: true,
    service: full?.service ?? { name: 'unknown_service' },
    // A repeat names no language or runtime of its own; '' is "unknown", and with no record there are no frames to read by it.
    language: full?.language ?? '',
    time: repeat.time,
    request: { source: full?.request.source ?? 'app', ...repeat.request, query: [], headers: [], cookies: [] },
    response: repeat.response,
    process: full?.process ?? { runtime: '' },
    resource: full?.resource ?? {},
    environment: full?.environment ?? [],
    exceptions,
    spans: [],
    droppedSpans: 0,
    logs: [],
    truncated: [note],
  }
}

/**
 * An older record in the version 4 shape, each version's upgrade after the one before:
 * 1 → 2 fills what version 1 lacked, 2 → 3 changed nothing of a full record (version 3
 * added repeats), 3 → 4 renames and converts. What is no object where one belongs is
 * left as it is, for the checks that follow to refuse.
 */
function upgraded (value: Record<string, unknown>): Record<string, unknown> {
  if (value.v === 1) return upgradeVersion3(upgradeVersion1(value))
  if (value.v === 2 || (value.v === 3 && !('sameAs' in value))) return upgradeVersion3(value)
  // A version 3 repeat has the version 4 shape.
  if (value.v === 3) return { ...value, v: RECORD_VERSION }
  return value
}

/**
 * Version 1 (before source context, locals, causes, request details, process,
 * resource and environment) in the version 3 shape: what it lacks is empty. Its
 * frames get their origin from their file, as the instrumentation gives it.
 */
function upgradeVersion1 (r: Record<string, unknown>): Record<string, unknown> {
  const upgradeException = (e: unknown): unknown => !isObject(e) || !Array.isArray(e.frames)
    ? e
    : { ...e, frames: e.frames.map((f: unknown) => isObject(f) && typeof f.file === 'string' ? { ...f, origin: frameOrigin(f.file) } : f) }
  return {
    ...r,
    request: isObject(r.request) ? { query: [], headers: [], cookies: [], ...r.request } : r.request,
    // Version 1 knew nothing of the process; version 4 leaves unknown facts out, and every earlier record is Node's.
    process: { node: '' },
    resource: {},
    environment: [],
    truncated: [],
    exceptions: Array.isArray(r.exceptions) ? r.exceptions.map(upgradeException) : r.exceptions,
  }
}

/**
 * Version 3 (only ever written by the Node instrumentation) in the version 4 shape:
 * milliseconds become microseconds under their new names, `node` frames and
 * `process.node` become the runtime's, and the new fields get what a Node app's
 * record has: `language` `nodejs`, the request as the app saw it, no log lines.
 */
function upgradeVersion3 (r: Record<string, unknown>): Record<string, unknown> {
  const { node, ...facts } = isObject(r.process) ? r.process : {}
  return {
    ...r,
    v: RECORD_VERSION,
    language: 'nodejs',
    request: isObject(r.request) ? { source: 'app', ...r.request } : r.request,
    process: isObject(r.process) && isString(node) ? { ...facts, runtime: node === '' ? 'Node.js' : `Node.js ${String(node)}` } : r.process,
    exceptions: Array.isArray(r.exceptions) ? r.exceptions.map((e) => upgradeException3(e, 0)) : r.exceptions,
    spans: Array.isArray(r.spans) ? r.spans.map(upgradeSpan3) : r.spans,
    logs: [],
  }
}

/** Bounded as the checks are, so that a chain nested thousands deep is refused by them, not overflowing here. */
function upgradeException3 (e: unknown, depth: number): unknown {
  if (!isObject(e) || depth > MAX_EXCEPTION_NESTING) return e
  const nested = (n: unknown): unknown => upgradeException3(n, depth + 1)
  return {
    ...e,
    ...(Array.isArray(e.frames) ? { frames: e.frames.map((f: unknown) => isObject(f) && f.origin === 'node' ? { ...f, origin: 'runtime' } : f) } : {}),
    ...(e.cause === undefined ? {} : { cause: nested(e.cause) }),
    ...(Array.isArray(e.errors) ? { errors: e.errors.map(nested) } : {}),
  }
}

function upgradeSpan3 (s: unknown): unknown {
  if (!isObject(s)) return s
  const { start, duration, events, ...span } = s
  return {
    ...span,
    startUs: msToUs(start),
    durationUs: duration === null ? null : msToUs(duration),
    events: Array.isArray(events) ? events.map(upgradeEvent3) : events,
  }
}

function upgradeEvent3 (e: unknown): unknown {
  if (!isObject(e)) return e
  const { time, ...event } = e
  return { ...event, timeUs: msToUs(time) }
}

/** Milliseconds as whole microseconds; anything else as it is, for the checks to refuse. */
function msToUs (ms: unknown): unknown {
  return typeof ms === 'number' ? Math.round(ms * 1000) : ms
}

type Check = (value: unknown) => boolean
const isString: Check = (v) => typeof v === 'string'
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v)
const isArrayOf = (check: Check): Check => (v) => Array.isArray(v) && v.every(check)
const optional = (check: Check): Check => (v) => v === undefined || check(v)
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v)
const isSpanId: Check = (v) => typeof v === 'string' && /^[0-9a-f]{16}$/.test(v)
const isScalar: Check = (v) => typeof v === 'string' || typeof v === 'boolean' || isNumber(v)
/** OpenTelemetry's attribute values: a scalar, or a list of scalars and nulls. Anything else could slip past the page's limits and redaction. */
const isAttributes: Check = (v) => isObject(v) && Object.values(v).every((a) => isScalar(a) || isArrayOf((i) => i === null || isScalar(i))(a))
/** Far more than the instrumentation writes (a cause chain of 5, AggregateError members one level down). */
const MAX_EXCEPTION_NESTING = 32
const FRAME_ORIGINS: readonly FrameOrigin[] = ['app', 'library', 'runtime']
const CAUSE_KINDS: ReadonlyArray<NonNullable<RecordedException['causeKind']>> = ['cause', 'context']
const REQUEST_SOURCES: ReadonlyArray<RecordedRequest['source']> = ['app', 'spans']
const SPAN_KINDS: readonly SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer']
const SPAN_STATUSES: readonly SpanStatusName[] = ['unset', 'ok', 'error']

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The `    at …` lines of a V8 stack, without the message above them ('' for another runtime's stack). */
function framesOf (stack: string): string {
  const at = stack.indexOf('\n    at ')
  return at < 0 ? '' : stack.slice(at)
}

function repeatProblem (r: Record<string, unknown>): string | undefined {
  if (!isString(r.requestId) || !isRequestId(r.requestId as string)) return 'requestId'
  if (!isString(r.sameAs) || !isRequestId(r.sameAs as string)) return 'sameAs'
  if (!isNumber(r.time)) return 'time'
  if (!isObject(r.request) || !isString(r.request.method) || !isString(r.request.url) || !optional(isString)(r.request.route)) return 'request'
  if (!isObject(r.response) || !isNumber(r.response.status)) return 'response.status'
  if (!optional((e) => isObject(e) && isString(e.type) && isString(e.message))(r.exception)) return 'exception'
  return undefined
}

/** The fields the proxy renders, checked for type; the page treats everything else as text. */
function firstProblem (r: Record<string, unknown>): string | undefined {
  if (!isString(r.requestId) || !isRequestId(r.requestId as string)) return 'requestId'
  if (!isObject(r.service) || !isString(r.service.name) || !optional(isString)(r.service.version)) return 'service'
  if (!isString(r.language)) return 'language'
  if (!isNumber(r.time)) return 'time'
  const isPairs: Check = isArrayOf((p) => Array.isArray(p) && p.length === 2 && isString(p[0]) && isString(p[1]))
  const isBody: Check = (b) => isObject(b) && isString(b.text) && optional(isString)(b.contentType)
  if (!isObject(r.request) || !oneOf(REQUEST_SOURCES)(r.request.source) || !isString(r.request.method) || !isString(r.request.url) || !optional(isString)(r.request.route) ||
    !optional(isBody)(r.request.body)) return 'request'
  if (!isPairs(r.request.query) || !isPairs(r.request.headers) || !isPairs(r.request.cookies)) return 'request pairs'
  if (!isObject(r.process) || !isString(r.process.runtime) || !optional(isString)(r.process.hostname) || !optional(isNumber)(r.process.pid) ||
    !optional(isString)(r.process.cwd) || !optional(isString)(r.process.commit)) return 'process'
  if (!isAttributes(r.resource) || !isPairs(r.environment)) return 'resource or environment'
  if (!isArrayOf(isString)(r.truncated) || !isNumber(r.droppedSpans)) return 'truncated or droppedSpans'
  if (!isObject(r.response) || !isNumber(r.response.status)) return 'response.status'
  const isSourceLine: Check = (l) => isObject(l) && isNumber(l.line) && isString(l.text)
  const isLocal: Check = (l) => isObject(l) && isString(l.name) && isString(l.value)
  const isFrame: Check = (f) => isObject(f) && optional(isString)(f.function) && isString(f.file) && isNumber(f.line) && optional(isNumber)(f.column) &&
    oneOf(FRAME_ORIGINS)(f.origin) && optional((a) => typeof a === 'boolean')(f.async) && optional(isArrayOf(isSourceLine))(f.context) && optional(isArrayOf(isLocal))(f.locals)
  // Nesting is bounded here, so a record nested thousands deep is refused instead of overflowing the stack.
  const isExceptionAt = (depth: number): Check => (e) => depth <= MAX_EXCEPTION_NESTING && isObject(e) && isString(e.type) && isString(e.message) &&
    isString(e.stack) && isArrayOf(isFrame)(e.frames) && optional(isSpanId)(e.spanId) &&
    optional(isExceptionAt(depth + 1))(e.cause) && optional(oneOf(CAUSE_KINDS))(e.causeKind) &&
    optional(isArrayOf(isExceptionAt(depth + 1)))(e.errors) && optional(isArrayOf(isExceptionAt(depth + 1)))(e.suppressed)
  if (!isArrayOf(isExceptionAt(0))(r.exceptions)) return 'exceptions'
  const isEvent: Check = (e) => isObject(e) && isString(e.name) && isNumber(e.timeUs) && isAttributes(e.attributes)
  const isSpan: Check = (s) => isObject(s) && isSpanId(s.spanId) && optional(isSpanId)(s.parentSpanId) && isString(s.name) && oneOf(SPAN_KINDS)(s.kind) &&
    optional(isString)(s.service) && isNumber(s.startUs) && (s.durationUs === null || isNumber(s.durationUs)) && isObject(s.status) && oneOf(SPAN_STATUSES)(s.status.code) && optional(isString)(s.status.message) &&
    isAttributes(s.attributes) && isArrayOf(isEvent)(s.events)
  if (!isArrayOf(isSpan)(r.spans)) return 'spans'
  const isLog: Check = (l) => isObject(l) && isNumber(l.timeUs) && isString(l.severity) && isString(l.body) && optional(isSpanId)(l.spanId) && isAttributes(l.attributes)
  if (!isArrayOf(isLog)(r.logs)) return 'logs'
  return undefined
}
