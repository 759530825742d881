/**
 * The Markdown report (text/markdown, and "copy as Markdown"): compact, made to be
 * pasted into an issue or a chat with an assistant: the summary, the app's own
 * frames with their source, the request and the spans. Every value from the app or
 * the request sits in a code span or a fenced block, fenced longer than any run of
 * backticks inside it, so none of it is read as Markdown or HTML.
 */
import { visibleControls } from './escape.ts'
import { chain, formatTime, frameLocation, relationText, type DebugReport, type ProxyRequestView } from './report.ts'
import { frameLines, hiddenFramesNote, logLines, PROXY_VIEW_HEADING, PROXY_VIEW_MISSING, SPANS_SOURCE_NOTE, traceLines, upstreamLines } from './text.ts'
import type { Pairs } from '../../core/record.ts'

export function renderMarkdown (report: DebugReport): string {
  const s = report.summary
  const out: string[] = [`## ${code(s.type ?? String(s.status))} at ${code(s.path)}`, '']
  if (s.message !== undefined) out.push(fence(s.message, 'text'), '')
  const facts: Array<[string, string | undefined]> = [
    ['Raised at', s.raisedAt === undefined ? undefined : `${code(s.raisedAt.function ?? '<anonymous>')} in ${code(frameLocation(s.raisedAt))}`],
    ['Request', `${code(`${s.method} ${s.url}`)}${s.route === undefined ? '' : ` (route ${code(s.route)})`}, status ${s.status}`],
    ['Time', s.time === undefined ? undefined : formatTime(s.time)],
    ['Request ID (trace ID)', code(s.requestId)],
    ['Service', s.service === undefined ? undefined : code(s.service)],
    ['Runtime', s.runtime === undefined ? undefined : `${code(s.runtime)}${s.hostname === undefined ? '' : ` on ${code(s.hostname)}`}${s.pid === undefined ? '' : `, pid ${s.pid}`}${s.commit === undefined ? '' : `, commit ${code(s.commit)}`}`],
  ]
  out.push(...facts.flatMap(([name, value]) => value === undefined ? [] : [`- **${name}:** ${value}`]), '')
  if (report.upstreamFailure !== null) out.push(fence(upstreamLines(report.upstreamFailure).join('\n'), 'text'), '')
  if (report.missingRecord !== null) out.push(`> No record from the app: ${code(report.missingRecord)}`, '')

  if (report.exceptions.length > 0) {
    out.push('### Stack (app frames)', '')
    for (const item of chain(report.exceptions)) {
      const relation = relationText(item)
      if (relation !== '') out.push(emphasis(relation), '')
      out.push(`**${code(item.exception.type)}**: ${code(item.exception.message)}`, '')
      const app = item.exception.frames.filter((f) => f.origin === 'app')
      const lines = app.flatMap((f) => frameLines(f, true))
      const hidden = item.exception.frames.length - app.length
      if (hidden > 0) lines.push(hiddenFramesNote(hidden, report.origins))
      if (lines.length > 0) out.push(fence(lines.join('\n'), 'text'), '')
    }
  }
  if (report.request !== null) {
    const r = report.request
    out.push('### Request', '')
    if (r.source === 'spans') out.push(emphasis(SPANS_SOURCE_NOTE), '')
    out.push(fence(httpLines(r.method, r.url, r.headers, r.cookies), 'http'), '')
    if (r.query.length > 0) out.push('Query:', '', fence(pairLines(r.query).join('\n'), 'text'), '')
    if (r.body !== undefined) out.push(`Body${r.body.contentType === undefined ? '' : ` (${code(r.body.contentType)})`}:`, '', fence(r.body.text, 'text'), '')
    if (r.source === 'spans') out.push(`#### ${PROXY_VIEW_HEADING}`, '', proxyViewMarkdown(report.proxyView), '')
  }
  if (report.spans.length > 0) out.push('### Spans', '', fence(traceLines(report.spans, report.droppedSpans).join('\n'), 'text'), '')
  if (report.logs.length > 0) out.push('### Log lines', '', fence(logLines(report.logs).join('\n'), 'text'), '')
  if (report.truncated.length > 0) out.push(`*Cut to keep the report bounded: ${report.truncated.length} note(s), see the JSON record.*`, '')
  return visibleControls(out.join('\n'))
}

/** One sentence of the page's own in italics, its Markdown characters escaped (an exception type inside may hold any). */
function emphasis (sentence: string): string {
  return `*${sentence.replace(/[*_`\\[\]<>]/g, (c) => `\\${c}`)}*`
}

/** The request as the proxy saw it, or why it has none (the "on its way" page shows it too). */
export function proxyViewMarkdown (p: ProxyRequestView | null): string {
  return p === null ? emphasis(PROXY_VIEW_MISSING) : fence(httpLines(p.method, p.url, p.headers, p.cookies), 'http')
}

/** A request as HTTP reads it: the request line, the headers, the cookies on one line. */
function httpLines (method: string, url: string, headers: Pairs, cookies: Pairs): string {
  return [`${method} ${url}`, ...pairLines(headers), ...(cookies.length > 0 ? [`(cookies) ${cookies.map(([n, v]) => `${n}=${v}`).join('; ')}`] : [])].join('\n')
}

function pairLines (pairs: Pairs): string[] {
  return pairs.map(([name, value]) => `${name}: ${value.replace(/\n/g, ' ')}`)
}

/** A code span that holds any text: delimited by more backticks than the text's longest run, on one line. */
export function code (text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ')
  const ticks = '`'.repeat(longestBacktickRun(flat) + 1)
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : ''
  return `${ticks}${pad}${flat}${pad}${ticks}`
}

/** A fenced block that holds any text: the fence is longer than any backtick run inside. */
export function fence (text: string, info: string): string {
  const ticks = '`'.repeat(Math.max(2, longestBacktickRun(text)) + 1)
  return `${ticks}${info}\n${text}\n${ticks}`
}

function longestBacktickRun (text: string): number {
  let longest = 0
  for (const run of text.matchAll(/`+/g)) longest = Math.max(longest, run[0].length)
  return longest
}
