/**
 * The list of recent failures (`<prefix>/`), newest first, in every page format:
 * when, method and URL, the exception, the status, and a link to each record's page.
 */
import type { TraceRecord } from '../../core/record.ts'
import { html, trusted, visibleControls } from './escape.ts'
import { code } from './markdown.ts'
import type { PageFormat } from './negotiate.ts'
import { formatTime, oneLine, type PageOptions } from './report.ts'
import { pageHeaders, type RenderedPage } from './render.ts'
import { STYLE } from './styles.ts'

export interface RecentFailure {
  readonly requestId: string
  readonly time: string
  readonly method: string
  readonly url: string
  readonly status: number
  /** `TypeError: message`, or empty when the app answered 500 without throwing. */
  readonly exception: string
  /** The record's page on this proxy. */
  readonly page: string
}

/** The URL goes through the proxy's rules too (SUPERTRACE_REDACT), as on the record's own page. */
export function recentFailure (record: TraceRecord, options: Pick<PageOptions, 'pagesPrefix' | 'redaction'>): RecentFailure {
  const first = record.exceptions[0]
  return {
    requestId: record.requestId,
    time: formatTime(record.time),
    method: oneLine(record.request.method, 16),
    url: oneLine(options.redaction.url(record.request.url), 300),
    status: record.response.status,
    exception: first === undefined ? '' : oneLine(`${first.type}: ${first.message}`, 300),
    page: `${options.pagesPrefix}/requests/${record.requestId}`,
  }
}

export function renderRecent (failures: readonly RecentFailure[], format: PageFormat, nonce: string): RenderedPage {
  const body = Buffer.from(format === 'html' ? recentHtml(failures, nonce) : format === 'json' ? JSON.stringify({ failures }, null, 2) : format === 'markdown' ? recentMarkdown(failures) : recentText(failures))
  return { format, headers: pageHeaders(format, body.length, nonce), body }
}

const TITLE = 'Recent failures'

function recentHtml (failures: readonly RecentFailure[], nonce: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">
<title>${TITLE}</title><style nonce="${nonce}">${trusted(STYLE)}</style></head>
<body><header><h1>${TITLE}</h1><p class="muted">${failures.length === 0 ? 'No failed request is stored.' : `${failures.length} stored, newest first. Records expire after the app's SUPERTRACE_TTL_SECONDS.`}</p></header>
<section><ol class="failures">${failures.map((f) => html`<li class="failure"><a href="${f.page}"><strong>${f.exception === '' ? `${f.status} without an exception` : f.exception}</strong></a>
<div><code>${f.method} ${f.url}</code> <span class="muted">· ${f.status} · ${f.time}</span></div></li>`)}</ol></section>
</body></html>
`.text
}

function recentText (failures: readonly RecentFailure[]): string {
  const lines = failures.map((f) => `${f.time}  ${f.status}  ${f.method} ${f.url}\n    ${f.exception === '' ? '(no exception)' : f.exception}\n    ${f.page}`)
  return visibleControls(`${TITLE} (${failures.length}, newest first)\n\n${lines.join('\n')}\n`)
}

function recentMarkdown (failures: readonly RecentFailure[]): string {
  const lines = failures.map((f) => `- ${f.time} · ${f.status} · ${code(`${f.method} ${f.url}`)} · ${f.exception === '' ? 'no exception' : code(f.exception)} · ${code(f.page)}`)
  return visibleControls(`## ${TITLE}\n\n${lines.join('\n')}\n`)
}
