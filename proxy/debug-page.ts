/**
 * The debug page a superuser sees instead of a 500: gathered once into a plain
 * report, then rendered as HTML or JSON. Every value from the app or the request
 * is escaped for where it lands; the page runs no script, loads nothing from
 * elsewhere and has no action that could change anything.
 */
import { randomBytes } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import type { RecordedException, RecordedSpan, StackFrame, TraceRecord } from '../core/record.ts'

export interface DebugReport {
  readonly requestId: string
  readonly request: { readonly method: string, readonly url: string }
  readonly status: number
  /** The app's record, or null when none arrived; `missingRecord` then says why. */
  readonly record: TraceRecord | null
  readonly missingRecord: string | null
}

export interface RenderedPage {
  readonly headers: OutgoingHttpHeaders
  readonly body: Buffer
}

/** Headers every debug page carries: never cached, never framed, never indexed (debug-pages notes, part 2). */
function pageHeaders (contentType: string, csp: string, length: number, requestId: string): OutgoingHttpHeaders {
  return {
    'content-type': contentType,
    'content-length': length,
    'cache-control': 'no-store, private',
    vary: 'Cookie, Accept',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'x-request-id': requestId,
  }
}

/** JSON when the client asks for it and not for HTML; HTML otherwise. */
export function wantsJson (accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/json') && !accept.includes('text/html')
}

export function renderJson (report: DebugReport): RenderedPage {
  const body = Buffer.from(JSON.stringify(report))
  return { headers: pageHeaders('application/json; charset=utf-8', "default-src 'none'; frame-ancestors 'none'", body.length, report.requestId), body }
}

export function renderHtml (report: DebugReport): RenderedPage {
  const nonce = randomBytes(16).toString('base64')
  const body = Buffer.from(page(report, nonce))
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
  return { headers: pageHeaders('text/html; charset=utf-8', csp, body.length, report.requestId), body }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** Tagged template that escapes every interpolated value, except fragments already built by `html`. */
class Html {
  readonly text: string
  constructor (text: string) {
    this.text = text
  }
}

function html (strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    out += (Array.isArray(value) ? value : [value]).map((v) => (v instanceof Html ? v.text : escapeHtml(v ?? ''))).join('')
    out += strings[i + 1] ?? ''
  })
  return new Html(out)
}

function page (report: DebugReport, nonce: string): string {
  const record = report.record
  const first = record?.exceptions[0]
  const title = first === undefined ? `${report.status} at ${report.request.url}` : `${first.type} at ${report.request.url}`
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width">
<title>${title}</title><style nonce="${nonce}">${STYLE}</style></head>
<body>
<header id="summary">
  <h1>${title}</h1>
  ${first === undefined ? '' : html`<pre class="exception-value">${first.message === '' ? 'No exception message supplied' : first.message}</pre>`}
  <table class="meta">
    <tr><th>Request</th><td>${report.request.method} ${report.request.url}</td></tr>
    ${record?.request.route === undefined ? '' : html`<tr><th>Route</th><td>${record.request.route}</td></tr>`}
    <tr><th>Status</th><td>${report.status}</td></tr>
    ${first === undefined ? '' : html`<tr><th>Raised at</th><td>${location(first.frames[0])}</td></tr>`}
    ${record === null ? '' : html`<tr><th>Service</th><td>${record.service.name}${record.service.version === undefined ? '' : ` ${record.service.version}`}</td></tr>
    <tr><th>Time</th><td>${new Date(record.time).toISOString()}</td></tr>`}
    <tr><th>Request ID</th><td><code>${report.requestId}</code> (the trace ID)</td></tr>
  </table>
</header>
${report.missingRecord === null ? '' : html`<section id="no-record"><h2>No record from the app</h2><p>${report.missingRecord}</p></section>`}
${record === null ? '' : html`
<section id="exceptions"><h2>Exception${record.exceptions.length === 1 ? '' : 's'}</h2>
${record.exceptions.length === 0 ? html`<p>No exception was captured: the app answered 500 without throwing.</p>` : record.exceptions.map(exceptionBlock)}
</section>
<section id="trace"><h2>Trace</h2>${spanTable(record.spans, record.droppedSpans)}</section>`}
</body></html>
`.text
}

function location (frame: StackFrame | undefined): Html {
  if (frame === undefined) return html`unknown`
  return html`<code>${frame.function ?? '<anonymous>'}</code> in <code>${frame.file}:${frame.line}:${frame.column}</code>`
}

function frameKind (frame: StackFrame): 'app' | 'dependency' | 'node' {
  if (frame.file.startsWith('node:') || !frame.file.includes('/')) return 'node'
  return frame.file.includes('/node_modules/') ? 'dependency' : 'app'
}

function exceptionBlock (exception: RecordedException): Html {
  return html`<article class="exception">
<h3>${exception.type}: ${exception.message}</h3>
<ol class="frames">${exception.frames.map((f) => html`<li class="frame ${frameKind(f)}">${location(f)}</li>`)}</ol>
<details><summary>Raw stack</summary><pre>${exception.stack}</pre></details>
</article>`
}

function spanTable (spans: readonly RecordedSpan[], dropped: number): Html {
  if (spans.length === 0) return html`<p>No spans were recorded.</p>`
  const start = Math.min(...spans.map((s) => s.start))
  const end = Math.max(...spans.map((s) => s.start + (s.duration ?? 0)))
  const total = Math.max(end - start, 0.001)
  return html`<table class="spans"><thead><tr><th>Span</th><th>Kind</th><th>Start</th><th>Duration</th><th>Status</th><th class="bar-cell"></th></tr></thead><tbody>
${spans.map((s) => {
  const left = ((s.start - start) / total) * 100
  const width = Math.max(((s.duration ?? end - s.start) / total) * 100, 0.5)
  return html`<tr class="span ${s.status.code}"><td>${s.name}</td><td>${s.kind}</td><td>+${(s.start - start).toFixed(2)} ms</td>
<td>${s.duration === null ? 'still open' : `${s.duration.toFixed(2)} ms`}</td><td>${s.status.code}${s.status.message === undefined ? '' : `: ${s.status.message}`}</td>
<td class="bar-cell"><svg class="bar" viewBox="0 0 100 4" preserveAspectRatio="none"><rect x="${left.toFixed(2)}" width="${width.toFixed(2)}" height="4"></rect></svg></td></tr>`
})}
</tbody></table>${dropped > 0 ? html`<p>${dropped} more spans were left out of the record.</p>` : ''}`
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{background:#ffc;padding:16px 24px;border-bottom:1px solid #ddd}
h1{margin:0 0 8px;font-size:22px}h2{font-size:17px;margin:0 0 8px}h3{font-size:15px;margin:8px 0}
section{padding:12px 24px;border-bottom:1px solid #eee}
.exception-value{font-size:16px;white-space:pre-wrap;margin:0 0 12px}
table{border-collapse:collapse}th,td{text-align:left;padding:2px 12px 2px 0;vertical-align:top}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
.frames{padding-left:24px}.frame.app{font-weight:600}.frame.dependency,.frame.node{color:#777}
.spans td{border-top:1px solid #eee}.span.error td:first-child{color:#b00;font-weight:600}
.bar-cell{width:30%}.bar{width:100%;height:10px;display:block}.bar rect{fill:#69c}.span.error .bar rect{fill:#c33}
#no-record{background:#fee}
`
