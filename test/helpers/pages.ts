/** Renders fixture records as the proxy would, for tests of what a page shows. */
import { Redactor } from '../../core/redact.ts'
import type { TraceRecord } from '../../core/record.ts'
import { renderDebugPage, type RenderedPage } from '../../proxy/debug-page/render.ts'
import type { OriginalResponse, PageInput, PageOptions } from '../../proxy/debug-page/report.ts'
import { REQUEST_ID } from '../fixtures/records.ts'

export const ACCEPT = { html: 'text/html,application/xhtml+xml,*/*;q=0.8', json: 'application/json', markdown: 'text/markdown', text: '*/*' } as const

export const SOURCE_URL = 'https://github.com/acme/shop/blob/{commit}/{file}#L{line}'

export const appsOwn500: OriginalResponse = {
  status: 500,
  statusMessage: 'Internal Server Error',
  headers: [['content-type', 'text/html; charset=utf-8'], ['set-cookie', 'sessionid=visitor-session-abc; HttpOnly'], ['x-powered-by', 'Express']],
  body: Buffer.from('<!doctype html><h1>Sorry, something went wrong.</h1>'),
  bodyBytes: 52,
  isBodyComplete: true,
}

export function render (record: TraceRecord | null, accept: string, input: Partial<PageInput> = {}, options: Partial<PageOptions> = {}): RenderedPage & { text: string } {
  const page = renderDebugPage({
    requestId: REQUEST_ID,
    request: { method: 'POST', url: '/orders/42?token=proxy-side-secret-token' },
    status: 500,
    record,
    missingRecord: null,
    original: appsOwn500,
    ...input,
  }, { sourceUrl: SOURCE_URL, redaction: new Redactor(), pagesPrefix: '/_supertrace', ...options }, accept)
  return { ...page, text: page.body.toString() }
}

/** Markdown with every code span and fenced block removed: what a Markdown renderer would read as markup. */
export function markdownOutsideCode (markdown: string): string {
  return markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '').replace(/(`+)[\s\S]*?\1/g, '')
}

/** The JSON embedded in an HTML page for its script. */
export function embeddedData (htmlText: string): { markdown: string, text: string, record: TraceRecord | null, raw: string } {
  const raw = /<script type="application\/json" id="page-data">([\s\S]*?)<\/script>/.exec(htmlText)?.[1]
  if (raw === undefined) throw new Error('the page embeds no data')
  return { ...(JSON.parse(raw) as { markdown: string, text: string, record: TraceRecord | null }), raw }
}
