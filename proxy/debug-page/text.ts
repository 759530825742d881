/**
 * The plain-text report (text/plain, and "copy traceback"): a readable traceback
 * for a terminal, with no markup. Frames read as V8 prints them, innermost first,
 * with source context under the app's own frames.
 */
import { visibleControls } from './escape.ts'
import { chain, formatMs, formatTime, frameLocation, relationText, type DebugReport, type FrameView, type OriginalView, type SpanView, type UpstreamFailureView } from './report.ts'
import type { Pairs } from '../../core/record.ts'

export function renderText (report: DebugReport): string {
  const out: string[] = [...summaryLines(report), '']
  if (report.upstreamFailure !== null) out.push(...upstreamLines(report.upstreamFailure), '')
  if (report.missingRecord !== null) out.push(`No record from the app: ${report.missingRecord}`, '')
  out.push(...tracebackLines(report, 'all'))
  if (report.request !== null) {
    out.push('', 'Request', `  ${report.request.method} ${report.request.url}`)
    if (report.request.route !== undefined) out.push(`  Route: ${report.request.route}`)
    out.push(...pairBlock('Query', report.request.query), ...pairBlock('Headers', report.request.headers), ...pairBlock('Cookies', report.request.cookies))
    if (report.request.body !== undefined) out.push(`  Body${report.request.body.contentType === undefined ? '' : ` (${report.request.body.contentType})`}:`, indent(report.request.body.text, 4))
  }
  if (report.spans.length > 0) out.push('', `Trace (${report.spans.length} spans, ${formatMs(report.traceDuration)})`, ...traceLines(report.spans, report.droppedSpans).map((l) => `  ${l}`))
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
    ['Node', s.node],
    ['Host', s.hostname === undefined ? undefined : `${s.hostname}, pid ${s.pid ?? '?'}`],
    ['Commit', s.commit],
  ]
  return [s.title, ...rows.flatMap(([name, value]) => value === undefined ? [] : [`${`${name}:`.padEnd(12)}${value}`])]
}

/**
 * A record without an exception: nothing reached the instrumentation. Either the app sent the 500
 * itself, or the error went through a framework that was loaded where no patch could reach it.
 */
export const NO_EXCEPTION_CAPTURED = 'No exception was captured. Either the app answered 500 without throwing, or it threw inside a framework supertrace could not patch: one loaded by a path instead of its package name (`require(\'../express\')`), vendored or bundled. To check, start the app with OTEL_LOG_LEVEL=debug: each module patched is logged (`Applying instrumentation patch … module: \'express\'`).'

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
    if (frames === 'app' && shown.length < item.exception.frames.length) out.push(`${pad}    (${item.exception.frames.length - shown.length} frame${item.exception.frames.length - shown.length === 1 ? '' : 's'} from node_modules and Node internals not shown)`)
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
    out.push(`${`+${formatMs(v.offset)}`.padStart(11)} ${(s.duration === null ? 'open' : formatMs(s.duration)).padStart(10)}  ${'  '.repeat(v.depth)}${s.name}${status === '' ? '' : `  [${status}]`}${v.isFailing ? '  <- failing' : ''}`)
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

export function pairBlock (title: string, pairs: Pairs): string[] {
  if (pairs.length === 0) return []
  return [`  ${title}:`, ...pairs.map(([name, value]) => `    ${name}: ${value.replace(/\n/g, '\n      ')}`)]
}

function indent (text: string, by: number): string {
  const pad = ' '.repeat(by)
  return text.split('\n').map((l) => pad + l).join('\n')
}
