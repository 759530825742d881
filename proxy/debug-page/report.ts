/**
 * The debug report: everything a page shows, gathered once from the bounded record
 * and the app's original response into plain data. The HTML, text, Markdown and JSON
 * renderers only format it; none of them decides what is shown.
 */
import { fileURLToPath } from 'node:url'
import { REDACTED, type Pairs, type RecordedException, type RecordedLog, type RecordedSpan, type StackFrame, type TraceRecord } from '../../core/record.ts'
import { cutMarker, cutText } from '../../core/record.ts'
import { LIMITS } from '../limits.ts'
import { boundRecord } from './bound-record.ts'
import { redactRecord, type PageRedaction } from './redaction.ts'

export type { PageRedaction }

/** The app's own 500, as the proxy received it: what a visitor who is not a superuser got. */
export interface OriginalResponse {
  readonly status: number
  readonly statusMessage: string | undefined
  readonly headers: Pairs
  /** The first bytes of the body (at most LIMITS.originalBodyBytes). */
  readonly body: Buffer
  /** How many body bytes had arrived when the page was made. */
  readonly bodyBytes: number
  readonly isBodyComplete: boolean
  /** The app broke off the body (closed its connection mid-body): the visitor got a cut response. */
  readonly isBodyCut?: boolean
  /** The start of the body with its Content-Encoding undone (gzip, deflate, br), when the proxy could undo it. */
  readonly decodedBody?: Buffer
}

/** The app gave no response the proxy could relay: what failed, for a superuser's page. */
export interface UpstreamFailureView {
  /** 502 or 504: what everyone else got. */
  readonly status: number
  /** One sentence: what failed and, for a timeout, which setting bounded it. */
  readonly explanation: string
  /** The error code supertrace logged it under (ST_UPSTREAM, ST_UPSTREAM_TIMEOUT). */
  readonly code: string
  /** undici's own description of the failure, e.g. `UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error`. */
  readonly cause: string
  /** SUPERTRACE_UPSTREAM: where the request was going. */
  readonly upstream: string
  /** The timeout setting that ended the wait, with its value; absent when no timeout was involved. */
  readonly setting?: string
}

/** The request as the proxy received it from the browser, before it was forwarded. */
export interface ProxyRequestView {
  readonly method: string
  readonly url: string
  readonly headers: Pairs
  readonly cookies: Pairs
}

export interface PageInput {
  readonly requestId: string
  /** The request as the proxy saw it: used when there is no record. */
  readonly request: { readonly method: string, readonly url: string }
  /**
   * The request as the proxy saw it, in full, when the proxy still has it: shown when the record's
   * request comes from the app's spans, which carry no headers, cookies or body.
   */
  readonly proxyView?: ProxyRequestView
  readonly status: number
  readonly record: TraceRecord | null
  /** Why there is no record, when there is none. */
  readonly missingRecord: string | null
  /** Absent on a later lookup: the proxy then no longer has the app's response. */
  readonly original: OriginalResponse | null
  /** Set when the proxy made the status because the app gave no response (502, 504). */
  readonly upstreamFailure?: UpstreamFailureView
}

export interface PageOptions {
  /** SUPERTRACE_SOURCE_URL: `https://…/{commit}/{file}#L{line}`. */
  readonly sourceUrl: string | undefined
  readonly redaction: PageRedaction
  /** SUPERTRACE_PAGES_PREFIX: where the record can be opened again. */
  readonly pagesPrefix: string
}

export interface FrameView extends StackFrame {
  /** The file as shown: relative to the app's working directory when under it. */
  readonly shownFile: string
  /** A link to the source at the deployed commit, for app frames when SUPERTRACE_SOURCE_URL is set. */
  readonly link?: string
  /** The innermost app frame of the first exception: where it was raised. */
  readonly isRaisedAt: boolean
}

export interface ExceptionView {
  readonly type: string
  readonly message: string
  readonly stack: string
  readonly frames: readonly FrameView[]
  readonly spanId?: string
  readonly cause?: ExceptionView
  /** How `cause` led to this one: raised from it, or raised while it was being handled. */
  readonly causeKind: 'cause' | 'context'
  readonly errors: readonly ExceptionView[]
  readonly suppressed: readonly ExceptionView[]
}

export interface SpanView {
  readonly span: RecordedSpan
  /** Nesting under its parent: 0 for a root. */
  readonly depth: number
  /** Microseconds since the request's first span started. */
  readonly offsetUs: number
  /** Microseconds it lasted; for a span still open, until the last known moment. */
  readonly shownDurationUs: number
  readonly isFailing: boolean
  /** The database statement, outgoing call or Redis command it stands for, in one line. */
  readonly operation?: string
}

/** A line the app logged during the request. */
export interface LogView {
  /** Microseconds since the request's first span started (without spans, since the first line). */
  readonly offsetUs: number
  readonly severity: string
  readonly body: string
  /** The name of the span it was logged in, when that span is in the record. */
  readonly spanName?: string
}

/** What the frames of a language are called on the page: its dependencies, and its runtime's own code folded away. */
export interface OriginNames {
  /** Where its dependencies live (`node_modules`, `site-packages`). */
  readonly library: string
  /** Its runtime's own code (`Node internals`, `the JDK`). */
  readonly runtime: string
  /** The tag on one such frame. */
  readonly runtimeTag: string
}

/** By `telemetry.sdk.language`; Node's words are those the page has always used. */
const ORIGIN_NAMES: ReadonlyMap<string, OriginNames> = new Map([
  ['nodejs', { library: 'node_modules', runtime: 'Node internals', runtimeTag: 'node' }],
  ['python', { library: 'site-packages', runtime: 'the Python standard library', runtimeTag: 'stdlib' }],
  ['java', { library: 'dependencies', runtime: 'the JDK', runtimeTag: 'jdk' }],
  ['go', { library: 'modules', runtime: 'the Go standard library', runtimeTag: 'stdlib' }],
  ['ruby', { library: 'gems', runtime: 'the Ruby standard library', runtimeTag: 'stdlib' }],
  ['dotnet', { library: 'packages', runtime: 'the .NET runtime', runtimeTag: 'runtime' }],
  ['php', { library: 'vendor', runtime: 'PHP internals', runtimeTag: 'php' }],
])
const OTHER_ORIGIN_NAMES: OriginNames = { library: 'libraries', runtime: 'the runtime', runtimeTag: 'runtime' }

export function originNames (language: string): OriginNames {
  return ORIGIN_NAMES.get(language) ?? OTHER_ORIGIN_NAMES
}

export interface OriginalView {
  readonly status: number
  readonly statusMessage: string | undefined
  readonly headers: Pairs
  /** The body as text, or a line saying what it is when it is not text. */
  readonly bodyPreview: string
  readonly bodyBytes: number
  readonly isBodyComplete: boolean
  readonly isBodyCut: boolean
  /** The body's Content-Encoding, when the preview shows it decoded. */
  readonly decodedFrom?: string
}

export interface Summary {
  readonly title: string
  readonly type: string | undefined
  readonly message: string | undefined
  readonly raisedAt: FrameView | undefined
  readonly method: string
  readonly url: string
  /** The URL's path, without the query: what the title names. */
  readonly path: string
  readonly route: string | undefined
  readonly status: number
  readonly time: number | undefined
  readonly requestId: string
  readonly service: string | undefined
  /** The app's runtime and its version (`Node.js v26.10.0`, `CPython 3.11.2`). */
  readonly runtime: string | undefined
  readonly hostname: string | undefined
  readonly pid: number | undefined
  readonly commit: string | undefined
}

export interface DebugReport {
  readonly summary: Summary
  readonly missingRecord: string | null
  readonly upstreamFailure: UpstreamFailureView | null
  readonly exceptions: readonly ExceptionView[]
  readonly request: TraceRecord['request'] | null
  /** The request as the proxy saw it, redacted and cut: only when the record's request comes from spans. */
  readonly proxyView: ProxyRequestView | null
  /** How the app's frames are named, after its language. */
  readonly origins: OriginNames
  readonly spans: readonly SpanView[]
  /** The trace's length in microseconds (for the waterfall's scale). */
  readonly traceDurationUs: number
  readonly droppedSpans: number
  readonly logs: readonly LogView[]
  readonly original: OriginalView | null
  readonly resource: Pairs
  readonly environment: Pairs
  /** What the app and the page cut, one note each. */
  readonly truncated: readonly string[]
  /** The record was written before the request had ended (some spans still open): where the complete one can be read. */
  readonly laterRecord: string | null
  /** The bounded record (what JSON serves and the page offers to download), or null. */
  readonly record: TraceRecord | null
}

export function buildReport (input: PageInput, options: PageOptions): DebugReport {
  const record = input.record === null ? null : redactRecord(boundRecord(input.record), options.redaction)
  const exceptions = record === null ? [] : record.exceptions.map((e, i) => exceptionView(e, record, options, i === 0))
  const raisedAt = firstRaisedAt(exceptions[0])
  const first = exceptions[0]
  const method = record?.request.method ?? input.request.method
  const url = record?.request.url ?? cutText(options.redaction.url(input.request.url), LIMITS.urlChars)
  const { spans, traceStartUs, traceDurationUs } = record === null ? { spans: [], traceStartUs: 0, traceDurationUs: 0 } : spanViews(record)
  const runtime = record?.process.runtime
  return {
    summary: {
      title: `${first?.type ?? input.status} at ${pathOf(url)}`,
      type: first?.type,
      message: first?.message,
      raisedAt,
      method,
      url,
      path: pathOf(url),
      route: record?.request.route,
      status: input.status,
      time: record?.time,
      requestId: input.requestId,
      service: record === null ? undefined : `${record.service.name}${record.service.version === undefined ? '' : ` ${record.service.version}`}`,
      runtime: runtime === '' ? undefined : runtime,
      hostname: record?.process.hostname,
      pid: record?.process.pid,
      commit: record?.process.commit,
    },
    missingRecord: input.missingRecord,
    upstreamFailure: input.upstreamFailure ?? null,
    exceptions,
    request: record?.request ?? null,
    proxyView: record?.request.source === 'spans' && input.proxyView !== undefined ? proxyRequestView(input.proxyView, options.redaction) : null,
    origins: originNames(record?.language ?? 'nodejs'),
    spans,
    traceDurationUs,
    droppedSpans: record?.droppedSpans ?? 0,
    logs: record === null ? [] : logViews(record.logs, record.spans, spans.length === 0 ? undefined : traceStartUs),
    original: input.original === null ? null : originalView(input.original, options.redaction),
    resource: record === null ? [] : Object.entries(record.resource).map(([name, value]) => [name, Array.isArray(value) ? JSON.stringify(value) : String(value)] as const),
    environment: record?.environment ?? [],
    truncated: record?.truncated ?? [],
    laterRecord: record === null || record.complete ? null : `${options.pagesPrefix}/requests/${record.requestId}`,
    record,
  }
}

/** The path of a URL that may be absolute or a path with a query. */
export function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function exceptionView (exception: RecordedException, record: TraceRecord, options: PageOptions, isFirst: boolean): ExceptionView {
  const raisedIndex = isFirst ? exception.frames.findIndex((f) => f.origin === 'app') : -1
  return {
    type: exception.type,
    message: exception.message,
    stack: exception.stack,
    frames: exception.frames.map((f, i) => frameView(f, record, options, i === raisedIndex)),
    ...(exception.spanId === undefined ? {} : { spanId: exception.spanId }),
    ...(exception.cause === undefined ? {} : { cause: exceptionView(exception.cause, record, options, false) }),
    causeKind: exception.causeKind ?? 'cause',
    errors: (exception.errors ?? []).map((e) => exceptionView(e, record, options, false)),
    suppressed: (exception.suppressed ?? []).map((e) => exceptionView(e, record, options, false)),
  }
}

/** Where it was raised: the innermost app frame, or the innermost frame when none is the app's. */
function firstRaisedAt (exception: ExceptionView | undefined): FrameView | undefined {
  return exception?.frames.find((f) => f.isRaisedAt) ?? exception?.frames[0]
}

function frameView (frame: StackFrame, record: TraceRecord, options: PageOptions, isRaisedAt: boolean): FrameView {
  const relative = relativeToCwd(frame.file, record.process.cwd ?? '')
  const link = frame.origin === 'app' && relative !== undefined ? sourceLink(options.sourceUrl, relative, frame.line, record.process.commit) : undefined
  return { ...frame, shownFile: relative ?? frame.file, isRaisedAt, ...(link === undefined ? {} : { link }) }
}

/** `file:///app/src/a.js` or `/app/src/a.js` under cwd `/app` → `src/a.js`; undefined when not under cwd. */
function relativeToCwd (file: string, cwd: string): string | undefined {
  let path = file
  if (file.startsWith('file://')) {
    try {
      path = fileURLToPath(file)
    } catch {
      return undefined
    }
  }
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`
  return cwd !== '' && path.startsWith(base) ? path.slice(base.length) : undefined
}

/** The template with {file}, {line} and {commit} filled in; no link when the template needs a commit the record lacks. */
function sourceLink (template: string | undefined, file: string, line: number, commit: string | undefined): string | undefined {
  if (template === undefined) return undefined
  if (template.includes('{commit}') && commit === undefined) return undefined
  return template
    .replaceAll('{file}', file.split('/').map(encodeURIComponent).join('/'))
    .replaceAll('{line}', String(line))
    .replaceAll('{commit}', encodeURIComponent(commit ?? ''))
}

function spanViews (record: TraceRecord): { spans: SpanView[], traceStartUs: number, traceDurationUs: number } {
  const spans = record.spans
  if (spans.length === 0) return { spans: [], traceStartUs: 0, traceDurationUs: 0 }
  let start = Infinity
  let end = -Infinity
  for (const s of spans) {
    start = Math.min(start, s.startUs)
    end = Math.max(end, s.startUs + (s.durationUs ?? 0), record.time * 1000)
  }
  const failingId = failingSpanId(record)
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string, RecordedSpan[]>()
  const roots: RecordedSpan[] = []
  for (const s of spans) {
    if (s.parentSpanId === undefined || !ids.has(s.parentSpanId) || s.parentSpanId === s.spanId) roots.push(s)
    else children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s])
  }
  const byStart = (a: RecordedSpan, b: RecordedSpan): number => a.startUs - b.startUs
  const out: SpanView[] = []
  const seen = new Set<string>()
  const visit = (s: RecordedSpan, depth: number): void => {
    if (seen.has(s.spanId)) return // a cycle or a repeated ID: show each span once
    seen.add(s.spanId)
    out.push({
      span: s,
      depth: Math.min(depth, LIMITS.spanDepth),
      offsetUs: s.startUs - start,
      shownDurationUs: s.durationUs ?? Math.max(0, end - s.startUs),
      isFailing: s.spanId === failingId,
      ...operationOf(s),
    })
    for (const child of (children.get(s.spanId) ?? []).sort(byStart)) visit(child, depth + 1)
  }
  for (const root of roots.sort(byStart)) visit(root, 0)
  // Spans caught in a parent cycle are reachable from no root: shown at the top level.
  for (const s of spans) if (!seen.has(s.spanId)) visit(s, 0)
  return { spans: out, traceStartUs: start, traceDurationUs: Math.max(end - start, 1) }
}

/** Each line with its time from `startUs` (the first span's start; without spans, the first line's time) and the name of the span it was logged in. */
function logViews (logs: readonly RecordedLog[], spans: readonly RecordedSpan[], startUs: number | undefined): LogView[] {
  const origin = startUs ?? logs[0]?.timeUs ?? 0
  const names = new Map(spans.map((s) => [s.spanId, s.name]))
  return logs.map((log) => {
    const spanName = log.spanId === undefined ? undefined : names.get(log.spanId)
    return { offsetUs: log.timeUs - origin, severity: log.severity, body: log.body, ...(spanName === undefined ? {} : { spanName }) }
  })
}

/** The proxy's own view under the same rules as the record's request (Cookie and secrets by name hidden), cut to the same limits. */
function proxyRequestView (view: ProxyRequestView, redaction: PageRedaction): ProxyRequestView {
  const cut = (pairs: Pairs): Pairs => redaction.pairs(pairs.slice(0, LIMITS.pairs)).map(([name, value]) => [cutText(name, 256), cutText(value, LIMITS.pairValueChars)] as const)
  return { method: cutText(view.method, 32), url: cutText(redaction.url(view.url), LIMITS.urlChars), headers: cut(view.headers), cookies: cut(view.cookies) }
}

/** The span the first exception was recorded on; else the last-started span that ended in error. */
function failingSpanId (record: TraceRecord): string | undefined {
  const recorded = record.exceptions[0]?.spanId
  if (recorded !== undefined && record.spans.some((s) => s.spanId === recorded)) return recorded
  let failing: RecordedSpan | undefined
  for (const s of record.spans) if (s.status.code === 'error' && (failing === undefined || s.startUs >= failing.startUs)) failing = s
  return failing?.spanId
}

function attr (span: RecordedSpan, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = span.attributes[name]
    if (value !== undefined && value !== null) return Array.isArray(value) ? value.join(' ') : String(value)
  }
  return undefined
}

/** One readable line for a database statement, Redis command or outgoing HTTP call (OTel semantic conventions, old and new names). */
function operationOf (span: RecordedSpan): { operation?: string } {
  const statement = attr(span, 'db.query.text', 'db.statement')
  const system = attr(span, 'db.system.name', 'db.system')
  if (statement !== undefined) return { operation: `${system === undefined ? '' : `${system}: `}${statement.replace(/\s+/g, ' ').trim()}` }
  const url = attr(span, 'url.full', 'http.url')
  if (span.kind === 'client' && url !== undefined) {
    const method = attr(span, 'http.request.method', 'http.method') ?? ''
    const status = attr(span, 'http.response.status_code', 'http.status_code')
    return { operation: `${method} ${url}${status === undefined ? '' : ` → ${status}`}`.trim() }
  }
  if (system !== undefined) return { operation: `${system}: ${attr(span, 'db.operation.name', 'db.operation') ?? span.name}` }
  return {}
}

const TEXTUAL = /^(text\/|application\/(json|xml|xhtml\+xml|javascript|problem\+json)|[^;]*\+(json|xml))/i

export function originalView (original: OriginalResponse, redaction: PageRedaction): OriginalView {
  // Set-Cookie is never shown, whatever the rules say: it is the visitor's session, not the app's error.
  const headers = redaction.pairs(original.headers).map(([name, value]) => name.toLowerCase() === 'set-cookie' ? [name, REDACTED] as const : [name, value] as const)
  const type = header(original.headers, 'content-type')
  const encoding = header(original.headers, 'content-encoding')
  const isEncoded = encoding !== undefined && encoding.toLowerCase() !== 'identity'
  // A coded body is shown decoded when the proxy could undo the coding, never as the compressed bytes.
  const decodedFrom = isEncoded && original.decodedBody !== undefined ? encoding : undefined
  let bodyPreview: string
  if (original.bodyBytes === 0) bodyPreview = ''
  else if (isEncoded && decodedFrom === undefined) bodyPreview = `(${original.bodyBytes} bytes, ${encoding}-encoded)`
  else if (type !== undefined && !TEXTUAL.test(type)) bodyPreview = `(${original.bodyBytes} bytes of ${type})`
  else {
    const body = original.decodedBody ?? original.body
    const shown = body.subarray(0, LIMITS.originalBodyBytes)
    bodyPreview = redaction.bodyText(shown.toString('utf8'))
    if (decodedFrom !== undefined) {
      if (original.decodedBody !== undefined && original.decodedBody.length >= LIMITS.originalBodyBytes) bodyPreview += cutMarker(null)
    } else if (original.bodyBytes > shown.length) bodyPreview += cutMarker(original.bodyBytes - shown.length, 'bytes')
  }
  return {
    status: original.status,
    statusMessage: original.statusMessage,
    headers,
    bodyPreview,
    bodyBytes: original.bodyBytes,
    isBodyComplete: original.isBodyComplete,
    isBodyCut: original.isBodyCut === true,
    ...(decodedFrom === undefined ? {} : { decodedFrom }),
  }
}

/** Response headers as name–value pairs, from a flat [name, value, …] list. */
export function headerPairs (headers: readonly string[]): Pairs {
  const out: Array<readonly [string, string]> = []
  for (let i = 0; i < headers.length; i += 2) out.push([headers[i] as string, headers[i + 1] as string])
  return out
}

/** The first value of header `name` (lowercased), whatever its spelling. */
export function header (pairs: Pairs, name: string): string | undefined {
  return pairs.find(([n]) => n.toLowerCase() === name)?.[1]
}

export type Relation = 'first' | 'another' | 'member' | 'caused' | 'context' | 'suppressed'

export interface ChainItem {
  readonly exception: ExceptionView
  /** How it follows the item before it. */
  readonly relation: Relation
  /** Nesting: AggregateError members and suppressed exceptions are one deeper than theirs. */
  readonly depth: number
  /** For `caused` and `context`: the exception shown just above, which caused this one or was being handled. */
  readonly causedBy?: ExceptionView
  /** For `suppressed`: the exception that suppressed it. */
  readonly suppressedBy?: ExceptionView
  /** For `member` and `suppressed`: its place in the list, from 1, and the list's size. */
  readonly member?: { readonly index: number, readonly of: number }
}

/**
 * Every exception of the report in reading order, as Python and Django print them:
 * a cause chain from the root cause up ("The above exception was the direct cause
 * of the following exception"), each AggregateError followed by its members and
 * each exception by those it suppressed. The root cause comes first in every
 * language, so Python's sentences are used for all of them: Java's "Caused by:"
 * reads the other way round.
 */
export function chain (exceptions: readonly ExceptionView[]): ChainItem[] {
  const out: ChainItem[] = []
  const walk = (e: ExceptionView, relation: Relation, depth: number, extra: Pick<ChainItem, 'member' | 'suppressedBy'> = {}): void => {
    const links = [e]
    for (let c = e.cause; c !== undefined; c = c.cause) links.push(c)
    for (let k = links.length - 1; k >= 0; k--) {
      const exception = links[k] as ExceptionView
      const causedBy = links[k + 1]
      if (k === links.length - 1) out.push({ exception, relation, depth, ...extra })
      else out.push({ exception, relation: exception.causeKind === 'context' ? 'context' : 'caused', depth, ...(causedBy === undefined ? {} : { causedBy }) })
      exception.errors.forEach((m, i) => walk(m, 'member', depth + 1, { member: { index: i + 1, of: exception.errors.length } }))
      exception.suppressed.forEach((m, i) => walk(m, 'suppressed', depth + 1, { member: { index: i + 1, of: exception.suppressed.length }, suppressedBy: exception }))
    }
  }
  exceptions.forEach((e, i) => walk(e, i === 0 ? 'first' : 'another', 0))
  return out
}

/** The sentence that introduces an exception after the first, the same in every format. */
export function relationText (item: ChainItem): string {
  const above = item.causedBy === undefined ? '' : ` (${item.causedBy.type}: ${oneLine(item.causedBy.message, 120)})`
  switch (item.relation) {
    case 'first': return ''
    case 'caused': return `The above exception${above} was the direct cause of the following exception:`
    case 'context': return `During handling of the above exception${above}, another exception occurred:`
    case 'member': return `AggregateError member ${item.member?.index ?? '?'} of ${item.member?.of ?? '?'}:`
    case 'suppressed': return `Suppressed by ${item.suppressedBy?.type ?? 'the exception above'} (${item.member?.index ?? '?'} of ${item.member?.of ?? '?'}):`
    case 'another': return 'Another exception was recorded during the same request:'
  }
}

/** A value on one line, cut for a sentence or a list. */
export function oneLine (text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`
}

/** A span's time, from microseconds: `380 µs`, `1.25 ms`, `12.3 ms`, `1520 ms`. */
export function formatUs (us: number): string {
  const ms = us / 1000
  if (Math.abs(ms) < 1) return `${Math.round(us)} µs`
  if (Math.abs(ms) < 10) return `${ms.toFixed(2)} ms`
  if (Math.abs(ms) < 100) return `${ms.toFixed(1)} ms`
  return `${Math.round(ms)} ms`
}

/** `web-7f9c, pid 4242`, or what the record knows of it; undefined when it knows neither. */
export function hostText (summary: Summary): string | undefined {
  const pid = summary.pid === undefined ? undefined : `pid ${summary.pid}`
  return summary.hostname === undefined ? pid : pid === undefined ? summary.hostname : `${summary.hostname}, ${pid}`
}

/** An epoch-milliseconds time as ISO 8601 UTC; the raw number when it is no date. */
export function formatTime (ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}

/** `src/orders.js:61:20`, or `shop/views.py:61` for a frame without a column. */
export function frameLocation (frame: FrameView): string {
  return `${frame.shownFile}:${frame.line}${frame.column === undefined ? '' : `:${frame.column}`}`
}
