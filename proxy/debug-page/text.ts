/**
 * The plain-text report (text/plain, and "copy traceback"): a readable traceback
 * for a terminal, with no markup. Frames read as V8 prints them, innermost first,
 * with source context under the app's own frames.
 */
import { visibleControls } from './escape.ts'
import { chain, formatTime, formatUs, frameLocation, hostText, relationText, type DebugReport, type FrameView, type LogView, type OriginalView, type OriginNames, type ProxyRequestView, type SpanView, type UpstreamFailureView } from './report.ts'
import type { Pairs } from '../../core/record.ts'

export function renderText (report: DebugReport): string {
  const out: string[] = [...summaryLines(report), '']
  if (report.upstreamFailure !== null) out.push(...upstreamLines(report.upstreamFailure), '')
  if (report.missingRecord !== null) out.push(`No record from the app: ${report.missingRecord}`, '')
  out.push(...tracebackLines(report, 'all'))
  if (report.request !== null) {
    const r = report.request
    out.push('', 'Request')
    if (r.source === 'spans') out.push(`  ${SPANS_SOURCE_NOTE}`)
    out.push(`  ${r.method} ${r.url}`)
    if (r.route !== undefined) out.push(`  Route: ${r.route}`)
    out.push(...pairBlock('Query', r.query))
    if (r.source === 'app') out.push(...pairBlock('Headers', r.headers), ...pairBlock('Cookies', r.cookies))
    if (r.body !== undefined) out.push(`  Body${r.body.contentType === undefined ? '' : ` (${r.body.contentType})`}:`, indent(r.body.text, 4))
    if (r.source === 'spans') out.push('', ...proxyViewLines(report.proxyView))
  }
  if (report.spans.length > 0) out.push('', `Trace (${report.spans.length} spans, ${formatUs(report.traceDurationUs)})`, ...traceLines(report.spans, report.droppedSpans).map((l) => `  ${l}`))
  if (report.logs.length > 0) out.push('', `Log lines (${report.logs.length})`, ...logLines(report.logs).map((l) => `  ${l}`))
  if (report.original !== null) out.push('', ...originalLines(report.original))
  if (report.resource.length > 0 || report.environment.length > 0) out.push('', 'Environment', ...pairBlock('Resource', report.resource), ...pairBlock('Variables', report.environment))
  if (report.truncated.length > 0) out.push('', 'Cut to keep this report bounded', ...report.truncated.map((t) => `  - ${t}`))
  return visibleControls(out.join('\n')) + '\n'
}

/** The upstream failure in a few lines, for the text and Markdown reports alike. */
export function upstreamLines (u: UpstreamFailureView): string[] {
  return [`No response from the app: ${u.explanation}`, `  Everyone else got: ${u.status}`, `  Upstream: ${u.upstream}`, ...(u.setting === undefined ? [] : [`  Timeout setting: ${u.setting}`]), `  Error: ${u.code}: ${u.cause}`]
}

function summaryLines (report: DebugReport): string[] {
  const s = report.summary
  const rows: Array<[string, string | undefined]> = [
    ['Exception', s.type === undefined ? undefined : `${s.type}: ${s.message ?? ''}`],
    ['Raised at', s.raisedAt === undefined ? undefined : `${s.raisedAt.function ?? '<anonymous>'} (${frameLocation(s.raisedAt)})`],
    ['Request', `${s.method} ${s.url}`],
    ['Route', s.route],
    ['Status', String(s.status)],
    ['Time', s.time === undefined ? undefined : formatTime(s.time)],
    ['Request ID', `${s.requestId} (= trace ID)`],
    ['Service', s.service],
    ['Runtime', s.runtime],
    ['Host', hostText(s)],
    ['Commit', s.commit],
  ]
  return [s.title, ...rows.flatMap(([name, value]) => value === undefined ? [] : [`${`${name}:`.padEnd(12)}${value}`])]
}

/**
 * A record without an exception: nothing reached the instrumentation. Either the app sent the 500
 * itself, or the error went through a framework that was loaded where no patch could reach it.
 */
export const NO_EXCEPTION_CAPTURED = 'No exception was captured. Either the app answered 500 without throwing, or it threw inside a framework supertrace could not patch: one loaded by a path instead of its package name (`require(\'../express\')`), vendored or bundled. To check, start the app with OTEL_LOG_LEVEL=debug: each module patched is logged (`Applying instrumentation patch … module: \'express\'`).'

/** What the request part says when the record's request comes from the app's spans. */
export const SPANS_SOURCE_NOTE = 'The request details come from the app\'s spans: OpenTelemetry\'s export (OTLP) carries no headers, cookies or body.'
export const PROXY_VIEW_HEADING = 'The request as the proxy saw it'
/** Said in place of the proxy's view when it has none: it keeps its views in memory (superuser/proxy-views.ts). */
export const PROXY_VIEW_MISSING = 'This proxy did not see the request (another replica did, or this one has restarted or forgotten it since): it keeps what it saw of a request in its own memory only, for a few minutes.'

/** The request as the proxy saw it, or why it has no view of it (the "on its way" page shows it too). */
export function proxyViewLines (view: ProxyRequestView | null): string[] {
  if (view === null) return [PROXY_VIEW_HEADING, `  ${PROXY_VIEW_MISSING}`]
  return [PROXY_VIEW_HEADING, `  ${view.method} ${view.url}`, ...pairBlock('Headers', view.headers), ...pairBlock('Cookies', view.cookies)]
}

/** The line that stands for the frames a short traceback leaves out, named after the app's language. */
export function hiddenFramesNote (count: number, origins: OriginNames): string {
  return `    (${count} frame${count === 1 ? '' : 's'} from ${origins.library} and ${origins.runtime} not shown)`
}

/** The exceptions as V8-style tracebacks; `frames` picks every frame or only the app's. */
function tracebackLines (report: DebugReport, frames: 'all' | 'app'): string[] {
  if (report.exceptions.length === 0) return report.record === null ? [] : [NO_EXCEPTION_CAPTURED]
  const out: string[] = []
  for (const item of chain(report.exceptions)) {
    const pad = '  '.repeat(item.depth)
    const relation = relationText(item)
    if (relation !== '') out.push('', pad + relation, '')
    out.push(...indent(`${item.exception.type}: ${item.exception.message}`, pad.length).split('\n'))
    const shown = frames === 'all' ? item.exception.frames : item.exception.frames.filter((f) => f.origin === 'app')
    for (const frame of shown) out.push(...frameLines(frame, frame.origin === 'app').map((l) => pad + l))
    if (frames === 'app' && shown.length < item.exception.frames.length) out.push(pad + hiddenFramesNote(item.exception.frames.length - shown.length, report.origins))
  }
  return out
}

export function frameLines (frame: FrameView, withContext: boolean): string[] {
  const name = frame.function === undefined ? frameLocation(frame) : `${frame.function} (${frameLocation(frame)})`
  const out = [`    at ${frame.async === true ? 'async ' : ''}${name}${frame.isRaisedAt ? '   <- raised here' : ''}`]
  if (!withContext) return out
  if (frame.context !== undefined && frame.context.length > 0) {
    const width = String(Math.max(...frame.context.map((l) => l.line))).length
    for (const line of frame.context) out.push(`      ${line.line === frame.line ? '>' : ' '} ${String(line.line).padStart(width)} | ${line.text}`)
  }
  if (frame.locals !== undefined && frame.locals.length > 0) {
    out.push('        Local variables:')
    for (const v of frame.locals) out.push(`          ${v.name} = ${v.value.replace(/\n/g, '\n            ')}`)
  }
  return out
}

/** The waterfall as text: offset, duration, status, the span nested under its parent, and what it did. */
export function traceLines (spans: readonly SpanView[], dropped: number): string[] {
  const out: string[] = []
  for (const v of spans) {
    const s = v.span
    const status = s.status.code === 'error' ? `error${s.status.message === undefined ? '' : `: ${s.status.message}`}` : ''
    out.push(`${`+${formatUs(v.offsetUs)}`.padStart(11)} ${(s.durationUs === null ? 'open' : formatUs(s.durationUs)).padStart(10)}  ${'  '.repeat(v.depth)}${s.name}${s.service === undefined ? '' : `  (${s.service})`}${status === '' ? '' : `  [${status}]`}${v.isFailing ? '  <- failing' : ''}`)
    if (v.operation !== undefined) out.push(`${' '.repeat(24)}${'  '.repeat(v.depth)}  ${v.operation}`)
  }
  if (dropped > 0) out.push(`(${dropped} more spans were left out of the record)`)
  return out
}

/** The app's own response, as a visitor who is not a superuser got it (the "on its way" page shows it too). */
export function originalLines (o: OriginalView): string[] {
  const out = ['What the user saw', `  ${o.status}${o.statusMessage === undefined ? '' : ` ${o.statusMessage}`}`, ...pairBlock('Headers', o.headers)]
  if (o.bodyPreview !== '') out.push(`  Body${o.isBodyCut ? ' (cut off: the app closed the connection mid-body)' : o.isBodyComplete ? '' : ' (still arriving)'}${o.decodedFrom === undefined ? '' : ` (${o.decodedFrom}-coded, shown decoded)`}:`, indent(o.bodyPreview, 4))
  return out
}

/** The log lines as text: time from the request's start, severity, body, and the span it was logged in. */
export function logLines (logs: readonly LogView[]): string[] {
  return logs.map((l) => `${`+${formatUs(l.offsetUs)}`.padStart(11)}  ${l.severity.padEnd(7)}  ${l.body.replace(/\n/g, `\n${' '.repeat(22)}`)}${l.spanName === undefined ? '' : `  (in ${l.spanName})`}`)
}

function pairBlock (title: string, pairs: Pairs): string[] {
  if (pairs.length === 0) return []
  return [`  ${title}:`, ...pairs.map(([name, value]) => `    ${name}: ${value.replace(/\n/g, '\n      ')}`)]
}

function indent (text: string, by: number): string {
  const pad = ' '.repeat(by)
  return text.split('\n').map((l) => pad + l).join('\n')
}
