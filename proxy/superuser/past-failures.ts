/**
 * Later lookup, for superusers only: `<prefix>/` lists recent failures and
 * `<prefix>/requests/<request id>` shows any stored record's page, in every page
 * format. For anyone else (no session cookie, not a superuser, Redis in doubt), and
 * for any other method or path, the request goes to the app like any other, so these
 * paths reveal nothing. Read-only: GET and HEAD, no action of any kind.
 *
 * `?wait=N` (the "on its way" page forwards there) waits for a record not yet stored, at
 * most LIMITS.recordWaitHopMs, woken by the record's notification, and shows it at once;
 * still none, the "on its way" page again forwards to `?wait=N+1`, until hop
 * LIMITS.recordWaitHops says no record came. A stored record is shown at once whatever N.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRequestId } from '../../core/protocol.ts'
import type { ProxyContext } from '../context.ts'
import { negotiateFormat } from '../debug-page/negotiate.ts'
import { recentFailure, renderRecent } from '../debug-page/recent.ts'
import { renderPendingPage } from '../debug-page/pending.ts'
import { newNonce, renderDebugPage, sendPage, sendPageFailure } from '../debug-page/render.ts'
import { newTraceContext } from '../forward/request-id.ts'
import { LIMITS } from '../limits.ts'
import { findRecord } from './answer.ts'

/** Is this URL under the pages prefix? One string comparison for every other request. */
export function isPagesUrl (url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false
  const next = url.charCodeAt(prefix.length)
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */
}

/** `hop`: N of `?wait=N`, the wait's hop; null when the page is not asked to wait. */
type PagesRoute = { readonly kind: 'list' } | { readonly kind: 'record', readonly requestId: string, readonly hop: number | null }

function routeOf (url: string, prefix: string): PagesRoute | undefined {
  const q = url.indexOf('?')
  const path = (q === -1 ? url : url.slice(0, q)).slice(prefix.length)
  if (path === '' || path === '/') return { kind: 'list' }
  const match = /^\/requests\/([0-9a-f]{32})$/.exec(path)
  return match?.[1] !== undefined && isRequestId(match[1]) ? { kind: 'record', requestId: match[1], hop: waitHop(q === -1 ? '' : url.slice(q + 1)) } : undefined
}

function waitHop (query: string): number | null {
  const wait = new URLSearchParams(query).get('wait')
  return wait !== null && /^[1-9][0-9]{0,5}$/.test(wait) ? Number(wait) : null
}

type Forward = (context: ProxyContext, req: IncomingMessage, res: ServerResponse) => void

/** Serves a pages request to a superuser; hands anything else to `forward`, the proxy's ordinary path. */
export function servePastFailures (context: ProxyContext, req: IncomingMessage, res: ServerResponse, forward: Forward): void {
  const route = routeOf(req.url ?? '/', context.config.pagesPrefix)
  if (route === undefined || (req.method !== 'GET' && req.method !== 'HEAD') || req.headers.cookie === undefined) {
    forward(context, req, res)
    return
  }
  const requestId = newTraceContext().requestId
  context.superusers.isSuperuser(req.headers.cookie, requestId).then((isSuperuser) => {
    if (!isSuperuser) {
      forward(context, req, res)
      return
    }
    const sent = route.kind === 'list' ? sendList(context, req, res, requestId) : sendRecord(context, req, res, requestId, route.requestId, route.hop)
    return sent.catch((err: unknown) => { sendPageFailure(res, err, context.logger, requestId) })
  })
}

async function sendList (context: ProxyContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const records = await context.records.recent(LIMITS.recentFailuresShown)
  const page = renderRecent(records.map((r) => recentFailure(r, context.pageOptions)), negotiateFormat(req.headers.accept), newNonce())
  sendPage(res, 200, page, req.method, requestId)
  context.metrics.countDebugPage('recent')
}

const NOT_STORED = 'No record is stored under this request ID: it has expired (the app\'s SUPERTRACE_TTL_SECONDS) or never existed.'

async function sendRecord (context: ProxyContext, req: IncomingMessage, res: ServerResponse, requestId: string, wanted: string, hop: number | null): Promise<void> {
  const waitMs = hop === null || hop > LIMITS.recordWaitHops ? 0 : LIMITS.recordWaitHopMs
  const stopWaiting = new AbortController()
  res.once('close', () => stopWaiting.abort())
  const found = await findRecord(wanted, context, waitMs, stopWaiting.signal, NOT_STORED, requestId)
  if (stopWaiting.signal.aborted) return // the client hung up
  const { record } = found
  const proxyView = record === null || record.request.source === 'spans' ? context.proxyViews.recall(wanted) : undefined
  if (found.isLate && hop !== null) {
    const next = hop < LIMITS.recordWaitHops ? `${context.config.pagesPrefix}/requests/${wanted}?wait=${hop + 1}` : null
    const waitedS = Math.min(hop, LIMITS.recordWaitHops) * LIMITS.recordWaitHopMs / 1000
    const reason = next === null
      ? `No record of this request arrived: its page waited ${waitedS} s for it, in ${LIMITS.recordWaitHops} hops.`
      : `No record of this request has arrived yet: its page has waited ${waitedS} s for it so far, and waits on, ${LIMITS.recordWaitHops * LIMITS.recordWaitHopMs / 1000} s at most.`
    const page = renderPendingPage({ requestId: wanted, status: 404, reason, next, proxyView, original: null }, context.pageOptions, req.headers.accept)
    sendPage(res, 404, page, req.method, requestId)
    context.metrics.countDebugPage(next === null ? 'no_record' : 'pending')
    return
  }
  const page = renderDebugPage({
    requestId: wanted,
    request: { method: record?.request.method ?? 'GET', url: record?.request.url ?? '' },
    status: record?.response.status ?? 404,
    record,
    missingRecord: found.missingRecord,
    original: null,
    ...(proxyView === undefined ? {} : { proxyView }),
  }, context.pageOptions, req.headers.accept)
  sendPage(res, record === null ? 404 : 200, page, req.method, requestId)
  context.metrics.countDebugPage('stored')
}
