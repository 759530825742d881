/**
 * The "on its way" page: a superuser's request whose record has not arrived. An app that
 * exports OpenTelemetry (OTLP) sends its spans in batches, seconds after its 500, and
 * marks nothing, so the proxy cannot know one is coming. The page says so, shows what the
 * proxy itself knows (the request as it saw it, the app's response), and forwards to the
 * request's permanent page with the next hop of the wait (`?wait=N`), which shows the record
 * as soon as it comes. Once the wait's bound is reached it says no record came, and what to
 * check. In HTML the forwarding is a meta refresh, which needs no script (the
 * Content-Security-Policy governs none), and an ordinary link beside it.
 */
import { html, trusted, visibleControls, type Html } from './escape.ts'
import { originalSection, proxyViewBlock } from './html.ts'
import { code, fence, proxyViewMarkdown } from './markdown.ts'
import { negotiateFormat } from './negotiate.ts'
import { newNonce, pageHeaders, type RenderedPage } from './render.ts'
import { originalView, pathOf, type OriginalResponse, type OriginalView, type PageOptions, type ProxyRequestView } from './report.ts'
import { STYLE } from './styles.ts'
import { originalLines, PROXY_VIEW_HEADING, proxyViewLines } from './text.ts'

export interface PendingPageInput {
  readonly requestId: string
  /** The page's status: the app's on the page in place of its response, 404 on the permanent page (no record stored). */
  readonly status: number
  /** Why there is no record yet, as far as the proxy knows. */
  readonly reason: string
  /** The request's permanent page with the next hop of the wait; null once the wait's bound is reached. */
  readonly next: string | null
  /** The request as this proxy saw it; undefined when this proxy did not see it. */
  readonly proxyView: ProxyRequestView | undefined
  /** The app's own response, when the page replaces it; null on the permanent page. */
  readonly original: OriginalResponse | null
}

/** What every format shows, gathered once; JSON is this object, its keys named as on the debug page's JSON where they mean the same. */
interface PendingReport {
  readonly title: string
  readonly requestId: string
  readonly status: number
  /** `waiting` while the page forwards to the next hop; `none_arrived` once the bound is reached. */
  readonly state: 'waiting' | 'none_arrived'
  readonly missingRecord: string
  /** While waiting: why records come late, and what the forwarding does. Once none arrived: what to check. */
  readonly advice: string
  readonly next: string | null
  /** The request's page without a wait: where the record is if it comes after all. */
  readonly page: string
  /** Null when this proxy did not see the request: the page says so. */
  readonly proxyView: ProxyRequestView | null
  readonly original: OriginalView | null
  readonly record: null
}

const WAITING_ADVICE = 'An app that exports OpenTelemetry (OTLP) sends its spans in batches, by default up to 5 s after the request; `OTEL_BSP_SCHEDULE_DELAY=100` in its environment sends them within a fraction of a second. This page goes on to the request\'s own page, which waits for the record and shows it as soon as it arrives.'

const NONE_ARRIVED_ADVICE = 'What to check: is the app exporting its traces to `supertrace ingest` (`OTEL_EXPORTER_OTLP_ENDPOINT` set to the ingest\'s address, the ingest\'s token in `OTEL_EXPORTER_OTLP_HEADERS`)? Do the ingest and this proxy use the same Redis (`SUPERTRACE_REDIS_URL`)? Does the app\'s sampler keep this trace (`OTEL_TRACES_SAMPLER`)? For a Node app: is supertrace\'s instrumentation loaded (`node --import supertrace/register server.js`)?'

export function renderPendingPage (input: PendingPageInput, options: PageOptions, accept: string | undefined): RenderedPage {
  const format = negotiateFormat(accept)
  const nonce = newNonce()
  const report = pendingReport(input, options)
  const text = format === 'html' ? pendingHtml(report, nonce) : format === 'json' ? JSON.stringify(report, null, 2) : format === 'markdown' ? pendingMarkdown(report) : pendingText(report)
  const body = Buffer.from(text)
  return { format, headers: pageHeaders(format, body.length, nonce), body }
}

function pendingReport (input: PendingPageInput, options: PageOptions): PendingReport {
  const view = input.proxyView ?? null
  const subject = view === null ? `request ${input.requestId}` : `${view.method} ${pathOf(view.url)}`
  return {
    title: input.next === null ? `No record arrived for ${subject}` : `The record of ${subject} is on its way`,
    requestId: input.requestId,
    status: input.status,
    state: input.next === null ? 'none_arrived' : 'waiting',
    missingRecord: input.original === null ? input.reason : `The app answered ${input.status}. ${input.reason}`,
    advice: input.next === null ? NONE_ARRIVED_ADVICE : WAITING_ADVICE,
    next: input.next,
    page: `${options.pagesPrefix}/requests/${input.requestId}`,
    proxyView: view,
    original: input.original === null ? null : originalView(input.original, options.redaction),
    record: null,
  }
}

function pendingHtml (r: PendingReport, nonce: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
${r.next === null ? '' : html`<meta http-equiv="refresh" content="0;url=${r.next}">`}
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">
<title>${r.title}</title><style nonce="${nonce}">${trusted(STYLE)}</style></head>
<body>
<header id="summary"><h1>${r.title}</h1>
<dl class="facts"><dt>Request ID</dt><dd><code>${r.requestId}</code> <span class="muted">(the trace ID)</span></dd><dt>Status</dt><dd>${String(r.status)}</dd></dl>
</header>
<section id="no-record"><h2>${r.next === null ? 'No record from the app' : 'No record yet'}</h2><p class="note missing">${withCode(r.missingRecord)}</p><p>${withCode(r.advice)}</p>
<p>${r.next === null ? html`If it comes after all, it will be at <a href="${r.page}">${r.page}</a>.` : html`<a href="${r.next}">Go on to the request's page</a>.`}</p></section>
<section id="proxy-view"><h2>${PROXY_VIEW_HEADING}</h2>${proxyViewBlock(r.proxyView)}</section>
${r.original === null ? '' : html`<section id="original"><h2>What the user saw</h2>${originalSection(r.original)}</section>`}
</body></html>
`.text
}

/** The page's own sentences with their `quoted` names, commands and settings as code. */
function withCode (sentence: string): Html[] {
  return sentence.split('`').map((part, i) => i % 2 === 1 ? html`<code>${part}</code>` : html`${part}`)
}

function pendingText (r: PendingReport): string {
  const out = [r.title, '', `Request ID: ${r.requestId} (= trace ID)`, '', r.missingRecord, '', r.advice, '', r.next === null ? `If it comes after all, it will be at ${r.page}` : `The request's page, which waits for it: ${r.next}`, '']
  out.push(...proxyViewLines(r.proxyView))
  if (r.original !== null) out.push('', ...originalLines(r.original))
  return visibleControls(out.join('\n')) + '\n'
}

function pendingMarkdown (r: PendingReport): string {
  const out = [`## ${code(r.title)}`, '', `- **Request ID (trace ID):** ${code(r.requestId)}`, '', `> ${code(r.missingRecord)}`, '', fence(r.advice, 'text'), '']
  out.push(r.next === null ? `If it comes after all, it will be at ${code(r.page)}.` : `The request's page, which waits for it: ${code(r.next)}`, '')
  out.push(`### ${PROXY_VIEW_HEADING}`, '', proxyViewMarkdown(r.proxyView), '')
  return visibleControls(out.join('\n'))
}
