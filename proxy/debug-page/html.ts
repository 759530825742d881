/**
 * The HTML page: the report's sections top to bottom (summary, stack, request,
 * trace, what the user saw, environment, copy), every value escaped by `html`.
 * Folding is <details>, so the page reads fully with no script; the one script,
 * under the response's nonce, only copies and saves data embedded in the page.
 */
import type { Pairs } from '../../core/record.ts'
import { html, scriptJson, trusted, type Html } from './escape.ts'
import { renderMarkdown } from './markdown.ts'
import { chain, formatTime, formatUs, frameLocation, hostText, relationText, type ChainItem, type DebugReport, type FrameView, type OriginalView, type OriginNames, type ProxyRequestView, type SpanView, type UpstreamFailureView } from './report.ts'
import { SCRIPT, STYLE } from './styles.ts'
import { NO_EXCEPTION_CAPTURED, PROXY_VIEW_HEADING, PROXY_VIEW_MISSING, renderText, SPANS_SOURCE_NOTE } from './text.ts'

export function renderHtml (report: DebugReport, nonce: string): string {
  const s = report.summary
  const data = { requestId: s.requestId, markdown: renderMarkdown(report), text: renderText(report), record: report.record }
  const sections: Array<[string, string, Html | null]> = [
    ['stack', 'Stack', stackSection(report)],
    // The trace before the request: it is what no other debug page has, and the request's headers are long.
    ['trace', 'Trace', report.record === null ? null : traceSection(report)],
    ['logs', 'Log lines', report.logs.length === 0 ? null : logsSection(report)],
    ['request', 'Request', report.request === null ? null : requestSection(report.request, report.proxyView)],
    ['original', 'What the user saw', report.original === null ? null : originalSection(report.original)],
    ['environment', 'Environment', report.record === null ? null : environmentSection(report)],
  ]
  const shown = sections.filter((entry): entry is [string, string, Html] => entry[2] !== null)
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">
<title>${s.title}</title><style nonce="${nonce}">${trusted(STYLE)}</style></head>
<body>
<header id="summary">
<h1>${s.title}</h1>
${s.message === undefined ? '' : html`<pre class="message">${s.message === '' ? 'No exception message supplied' : s.message}</pre>`}
<dl class="facts">${facts(report)}</dl>
<div class="tools" hidden><button type="button" data-copy="markdown" data-done="The Markdown report is on the clipboard.">Copy as Markdown</button><button type="button" data-copy="text" data-done="The plain-text traceback is on the clipboard.">Copy traceback</button>${report.record === null ? '' : html`<button type="button" data-save="record-${s.requestId}.json">Download JSON</button>`}<output id="copy-status" aria-live="polite"></output></div>
</header>
<nav>${shown.map(([id, title]) => html`<a href="#${id}">${title}</a>`)}<a href="#copy">Copy</a></nav>
${report.laterRecord === null ? '' : html`<p class="note later">The app was still finishing this request when its record was made, so some spans are still open. The complete record will be at <a href="${report.laterRecord}">${report.laterRecord}</a>.</p>`}
${report.upstreamFailure === null ? '' : upstreamSection(report.upstreamFailure)}
${report.missingRecord === null ? '' : html`<section id="no-record"><h2>No record from the app</h2><p class="note missing">${report.missingRecord}</p></section>`}
${shown.map(([id, title, body]) => html`<section id="${id}"><h2>${title}</h2>${body}</section>`)}
${report.truncated.length === 0 ? '' : html`<section id="truncated"><h2>Cut to keep this page bounded</h2><ul>${report.truncated.map((t) => html`<li><code>${t}</code></li>`)}</ul></section>`}
<section id="copy"><h2>Copy</h2>
<details><summary>Plain-text traceback</summary><pre class="body">${data.text}</pre></details>
</section>
<script type="application/json" id="page-data">${trusted(scriptJson(data))}</script>
<script nonce="${nonce}">${trusted(SCRIPT)}</script>
</body></html>
`.text
}

function facts (report: DebugReport): Html[] {
  const s = report.summary
  const rows: Array<[string, Html | string | undefined]> = [
    ['Exception', s.type === undefined ? undefined : html`<code>${s.type}</code>`],
    ['Raised at', s.raisedAt === undefined ? undefined : html`<code>${s.raisedAt.function ?? '<anonymous>'}</code> in ${location(s.raisedAt)}`],
    ['Request', html`<code>${s.method} ${s.url}</code>`],
    ['Route', s.route === undefined ? undefined : html`<code>${s.route}</code>`],
    ['Status', String(s.status)],
    ['Time', s.time === undefined ? undefined : formatTime(s.time)],
    ['Request ID', html`<code>${s.requestId}</code> <span class="muted">(the trace ID)</span>`],
    ['Service', s.service],
    ['Runtime', s.runtime],
    ['Host', hostText(s)],
    ['Commit', s.commit === undefined ? undefined : html`<code>${s.commit}</code>`],
  ]
  return rows.flatMap(([name, value]) => value === undefined ? [] : [html`<dt>${name}</dt><dd>${value}</dd>`])
}

function location (frame: FrameView): Html {
  const text = frameLocation(frame)
  return frame.link === undefined ? html`<code class="loc">${text}</code>` : html`<a class="loc mono" href="${frame.link}" rel="noreferrer noopener">${text}</a>`
}

function stackSection (report: DebugReport): Html {
  if (report.exceptions.length === 0) {
    return report.record === null ? html`<p class="muted">No record, so no stack.</p>` : html`<p>${NO_EXCEPTION_CAPTURED}</p>`
  }
  return html`${chain(report.exceptions).map((item) => exceptionBlock(item, report.origins))}`
}

function exceptionBlock (item: ChainItem, origins: OriginNames): Html {
  const e = item.exception
  const relation = relationText(item)
  return html`<article class="exception${item.depth > 0 ? ' nested' : ''}">
${relation === '' ? '' : html`<p class="relation">${relation}</p>`}
<h3><span class="etype">${e.type}</span>: ${e.message === '' ? html`<span class="muted">(no message)</span>` : e.message}</h3>
<ol class="frames">${frameGroups(e.frames, origins)}</ol>
<details><summary class="muted">Raw stack</summary><pre class="body">${e.stack}</pre></details>
</article>`
}

/** App frames one by one; each run of library and runtime frames folded together under one line, named after the app's language. */
function frameGroups (frames: readonly FrameView[], origins: OriginNames): Html[] {
  const out: Html[] = []
  let run: FrameView[] = []
  const flush = (): void => {
    if (run.length === 0) return
    const where = [...new Set(run.map((f) => f.origin === 'runtime' ? origins.runtime : origins.library))].join(' and ')
    out.push(html`<li><details class="group"><summary>${run.length} frame${run.length === 1 ? '' : 's'} in ${where}</summary><ol class="frames">${run.map((f) => html`<li>${frameBlock(f, origins)}</li>`)}</ol></details></li>`)
    run = []
  }
  for (const frame of frames) {
    if (frame.origin === 'app') {
      flush()
      out.push(html`<li>${frameBlock(frame, origins)}</li>`)
    } else run.push(frame)
  }
  flush()
  return out
}

function frameBlock (frame: FrameView, origins: OriginNames): Html {
  const classes = `frame ${frame.origin}${frame.isRaisedAt ? ' raised' : ''}`
  const head = html`<span class="fn">${frame.async === true ? 'async ' : ''}${frame.function ?? '<anonymous>'}</span> ${location(frame)}${frame.origin === 'app' ? '' : html`<span class="tag">${frame.origin === 'runtime' ? origins.runtimeTag : 'library'}</span>`}${frame.isRaisedAt ? html`<span class="tag raised">raised here</span>` : ''}`
  const hasContext = frame.context !== undefined && frame.context.length > 0
  const hasLocals = frame.locals !== undefined && frame.locals.length > 0
  if (!hasContext && !hasLocals) return html`<div class="${classes}"><div class="head">${head}</div></div>`
  return html`<details class="${classes}"${frame.origin === 'app' ? html` open` : ''}><summary>${head}</summary>
${hasContext ? html`<div class="code">${(frame.context ?? []).map((l) => html`<div class="l${l.line === frame.line ? ' hit' : ''}"><span class="n">${l.line}</span><span>${l.text}</span></div>`)}</div>` : ''}
${hasLocals ? html`<div class="locals"><h4>Local variables</h4><table class="kv">${(frame.locals ?? []).map((v) => html`<tr><th>${v.name}</th><td>${v.value}</td></tr>`)}</table></div>` : ''}
</details>`
}

export function pairsTable (title: string | undefined, pairs: Pairs, empty = 'none'): Html {
  return html`${title === undefined ? '' : html`<h3>${title}</h3>`}${pairs.length === 0 ? html`<p class="muted">${empty}</p>` : html`<table class="kv">${pairs.map(([n, v]) => html`<tr><th>${n}</th><td>${v}</td></tr>`)}</table>`}`
}

function requestSection (request: NonNullable<DebugReport['request']>, proxyView: ProxyRequestView | null): Html {
  const line = html`<p><code>${request.method} ${request.url}</code>${request.route === undefined ? '' : html` <span class="muted">route</span> <code>${request.route}</code>`}</p>`
  if (request.source === 'spans') {
    return html`<p class="note">${SPANS_SOURCE_NOTE}</p>
${line}
${pairsTable('Query', request.query)}
<h3>${PROXY_VIEW_HEADING}</h3>
${proxyViewBlock(proxyView)}`
  }
  return html`${line}
${pairsTable('Query', request.query)}
${pairsTable('Headers', request.headers)}
${pairsTable('Cookies', request.cookies)}
<h3>Body${request.body?.contentType === undefined ? '' : html` <span class="muted">(${request.body.contentType})</span>`}</h3>
${request.body === undefined ? html`<p class="muted">The app read no body.</p>` : html`<pre class="body">${request.body.text}</pre>`}`
}

/** The request as the proxy saw it: its line, headers and cookies, or why it has none (the "on its way" page shows it too). */
export function proxyViewBlock (view: ProxyRequestView | null): Html {
  if (view === null) return html`<p class="muted">${PROXY_VIEW_MISSING}</p>`
  return html`<p><code>${view.method} ${view.url}</code></p>
${pairsTable('Headers', view.headers)}
${pairsTable('Cookies', view.cookies)}`
}

function logsSection (report: DebugReport): Html {
  return html`<p class="muted">${report.logs.length} line${report.logs.length === 1 ? '' : 's'} the app logged while the request ran, timed from its first span.</p>
<table class="logs">${report.logs.map((l) => html`<tr><td class="t">+${formatUs(l.offsetUs)}</td><td class="sev">${l.severity}</td><td><pre>${l.body}</pre>${l.spanName === undefined ? '' : html`<span class="muted">in span ${l.spanName}</span>`}</td></tr>`)}</table>`
}

function traceSection (report: DebugReport): Html {
  if (report.spans.length === 0) return html`<p class="muted">No spans were recorded.</p>`
  return html`<p class="muted">${report.spans.length} span${report.spans.length === 1 ? '' : 's'} over ${formatUs(report.traceDurationUs)}. Open a span for its attributes and events.</p>
<div class="scale"><span>0</span><span>${formatUs(report.traceDurationUs)}</span></div>
<ol class="waterfall">${report.spans.map((v) => spanRow(v, report.traceDurationUs))}</ol>
${report.droppedSpans > 0 ? html`<p class="note">${report.droppedSpans} more spans were left out of the record.</p>` : ''}`
}

function spanRow (view: SpanView, total: number): Html {
  const s = view.span
  const left = Math.min(Math.max((view.offsetUs / total) * 1000, 0), 999)
  const width = Math.min(Math.max((view.shownDurationUs / total) * 1000, 2), 1000 - left)
  const status = s.status.code === 'error' ? `error${s.status.message === undefined ? '' : `: ${s.status.message}`}` : s.status.code
  return html`<li class="span ${s.status.code}${view.isFailing ? ' failing' : ''} d${view.depth}"><details><summary>
<span class="sname" title="${s.name}">${view.isFailing ? html`<span class="badge">failing</span> ` : ''}${s.name}${s.service === undefined ? '' : html`<span class="svc">${s.service}</span>`}${view.operation === undefined ? '' : html`<span class="op">${view.operation}</span>`}</span>
<span class="dur">${s.durationUs === null ? 'open' : formatUs(s.durationUs)}</span>
<svg class="bar" viewBox="0 0 1000 12" preserveAspectRatio="none" aria-hidden="true"><rect x="${left.toFixed(1)}" y="1" width="${width.toFixed(1)}" height="10" rx="2"></rect></svg>
</summary><div class="span-detail">
<p><span class="muted">${s.kind}</span>${s.service === undefined ? '' : html` · service <code>${s.service}</code>`} · starts at +${formatUs(view.offsetUs)} · ${s.durationUs === null ? 'still open when the record was made' : formatUs(s.durationUs)} · status <strong>${status}</strong> · <code>${s.spanId}</code></p>
${view.operation === undefined ? '' : html`<pre class="body">${view.operation}</pre>`}
${Object.keys(s.attributes).length === 0 ? '' : html`<table class="kv">${Object.entries(s.attributes).map(([n, v]) => html`<tr><th>${n}</th><td>${Array.isArray(v) ? JSON.stringify(v) : String(v)}</td></tr>`)}</table>`}
${s.events.map((e) => html`<h4>${e.name} <span class="muted">at +${formatUs(e.timeUs - (s.startUs - view.offsetUs))}</span></h4><table class="kv">${Object.entries(e.attributes).map(([n, v]) => html`<tr><th>${n}</th><td>${Array.isArray(v) ? JSON.stringify(v) : String(v)}</td></tr>`)}</table>`)}
</div></details></li>`
}

/** The app's own response, as a visitor who is not a superuser got it (the "on its way" page shows it too). */
export function originalSection (o: OriginalView): Html {
  return html`<p class="muted">The response a visitor who is not a superuser got for this request.</p>
<p><strong>${o.status}${o.statusMessage === undefined ? '' : ` ${o.statusMessage}`}</strong></p>
${pairsTable('Headers', o.headers)}
<h3>Body <span class="muted">(${o.bodyBytes} bytes${o.isBodyCut ? ', cut off: the app closed the connection mid-body' : o.isBodyComplete ? '' : ' so far'}${o.decodedFrom === undefined ? '' : `, ${o.decodedFrom}-coded, shown decoded`}, shown as text)</span></h3>
${o.bodyPreview === '' ? html`<p class="muted">empty</p>` : html`<pre class="body">${o.bodyPreview}</pre>`}`
}

function upstreamSection (u: UpstreamFailureView): Html {
  const rows: Array<[string, string | undefined]> = [['Everyone else got', String(u.status)], ['Upstream', u.upstream], ['Timeout setting', u.setting], ['Error', `${u.code}: ${u.cause}`]]
  return html`<section id="upstream"><h2>No response from the app</h2><p class="note missing">${u.explanation}</p>
<dl class="facts">${rows.flatMap(([name, value]) => value === undefined ? [] : [html`<dt>${name}</dt><dd><code>${value}</code></dd>`])}</dl></section>`
}

function environmentSection (report: DebugReport): Html {
  return html`${pairsTable('OpenTelemetry resource', report.resource)}
<details><summary><strong>Environment variables</strong> <span class="muted">(${report.environment.length})</span></summary>${pairsTable(undefined, report.environment)}</details>`
}
