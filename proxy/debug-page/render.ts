/**
 * From a page input to the bytes and headers sent: the report is gathered once,
 * rendered in the negotiated format, and sent with the headers every debug page
 * carries (docs/design.md#debug-page-headers): a fresh nonce-only CSP, never cached,
 * never framed, never indexed, never sniffed.
 */
import { randomBytes } from 'node:crypto'
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Logger } from '../../core/log.ts'
import { REQUEST_ID_HEADER } from '../../core/protocol.ts'
import { renderHtml } from './html.ts'
import { renderJson } from './json.ts'
import { renderMarkdown } from './markdown.ts'
import { CONTENT_TYPES, negotiateFormat, type PageFormat } from './negotiate.ts'
import { buildReport, type PageInput, type PageOptions } from './report.ts'
import { renderText } from './text.ts'

export interface RenderedPage {
  readonly format: PageFormat
  readonly headers: OutgoingHttpHeaders
  readonly body: Buffer
}

export function renderDebugPage (input: PageInput, options: PageOptions, accept: string | undefined): RenderedPage {
  const format = negotiateFormat(accept)
  const nonce = newNonce()
  const report = buildReport(input, options)
  const text = format === 'html' ? renderHtml(report, nonce) : format === 'json' ? renderJson(report) : format === 'markdown' ? renderMarkdown(report) : renderText(report)
  const body = Buffer.from(text)
  return { format, headers: pageHeaders(format, body.length, nonce), body }
}

export function newNonce (): string {
  return randomBytes(18).toString('base64')
}

export function pageHeaders (format: PageFormat, length: number, nonce: string): OutgoingHttpHeaders {
  return {
    'content-type': CONTENT_TYPES[format],
    'content-length': length,
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'cache-control': 'no-store, private',
    // Cookie: the page depends on who asks; Accept: on the format negotiated.
    vary: 'Cookie, Accept',
    'x-robots-tag': 'noindex',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  }
}

/**
 * Sends a rendered page; a HEAD request gets the same headers and no body. `appCookies` (a flat
 * [name, value, …] list) are the Set-Cookie headers of the app's response the page replaces:
 * the app's own to set (a CSRF token, a flash message), so a superuser keeps the session state
 * everyone else gets. Each is sent as it came, in order.
 */
export function sendPage (res: ServerResponse, status: number, page: { readonly headers: OutgoingHttpHeaders, readonly body: Buffer }, method: string | undefined, requestId: string, appCookies: readonly string[] = []): void {
  for (let i = 0; i < appCookies.length; i += 2) res.appendHeader(appCookies[i] as string, appCookies[i + 1] as string)
  res.writeHead(status, { ...page.headers, [REQUEST_ID_HEADER]: requestId })
  res.end(method === 'HEAD' ? undefined : page.body)
}

/**
 * A superuser's page could not be made (a bug, since records are checked when read):
 * logged once, and the superuser is told so. Only ever called after the superuser check.
 */
export function sendPageFailure (res: ServerResponse, err: unknown, logger: Logger, requestId: string): void {
  logger.error('a superuser page could not be made', err, requestId)
  if (res.destroyed || res.writableEnded) return
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store, private', [REQUEST_ID_HEADER]: requestId })
  res.end('The page could not be made; see the proxy\'s log.\n')
}
