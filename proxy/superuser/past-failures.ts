/**
 * Later lookup, for superusers only: `<prefix>/` lists recent failures and
 * `<prefix>/requests/<request id>` shows any stored record's page, in every page
 * format. For anyone else (no session cookie, not a superuser, Redis in doubt), and
 * for any other method or path, the request goes to the app like any other, so these
 * paths reveal nothing. Read-only: GET and HEAD, no action of any kind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRequestId } from '../../core/protocol.ts'
import type { TraceRecord } from '../../core/record.ts'
import type { ProxyContext } from '../context.ts'
import { negotiateFormat } from '../debug-page/negotiate.ts'
import { recentFailure, renderRecent } from '../debug-page/recent.ts'
import { newNonce, renderDebugPage, sendPage, sendPageFailure } from '../debug-page/render.ts'
import { newTraceContext } from '../forward/request-id.ts'
import { LIMITS } from '../limits.ts'
import { unreadableRecordNote } from './record-source.ts'


/** Is this URL under the pages prefix? One string comparison for every other request. */
export function isPagesUrl (url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false
  const next = url.charCodeAt(prefix.length)
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */
}

type PagesRoute = { readonly kind: 'list' } | { readonly kind: 'record', readonly requestId: string }

function routeOf (url: string, prefix: string): PagesRoute | undefined {
  const q = url.indexOf('?')
  const path = (q === -1 ? url : url.slice(0, q)).slice(prefix.length)
  if (path === '' || path === '/') return { kind: 'list' }
  const match = /^\/requests\/([0-9a-f]{32})$/.exec(path)
  return match?.[1] !== undefined && isRequestId(match[1]) ? { kind: 'record', requestId: match[1] } : undefined
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
    const sent = route.kind === 'list' ? sendList(context, req, res, requestId) : sendRecord(context, req, res, requestId, route.requestId)
    return sent.catch((err: unknown) => { sendPageFailure(res, err, context.logger, requestId) })
  })
}

async function sendList (context: ProxyContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const records = await context.records.recent(LIMITS.recentFailuresShown)
  const page = renderRecent(records.map((r) => recentFailure(r, context.pageOptions)), negotiateFormat(req.headers.accept), newNonce())
  sendPage(res, 200, page, req.method, requestId)
  context.metrics.countDebugPage('recent')
}

async function sendRecord (context: ProxyContext, req: IncomingMessage, res: ServerResponse, requestId: string, wanted: string): Promise<void> {
  let record: TraceRecord | undefined
  let missingRecord: string | null = null
  try {
    record = await context.records.read(wanted)
    if (record === undefined) missingRecord = 'No record is stored under this request ID: it has expired (the app\'s SUPERTRACE_TTL_SECONDS) or never existed.'
  } catch (err) {
    context.logger.error('the record could not be read', err, requestId)
    missingRecord = unreadableRecordNote(err)
  }
  const status = record?.response.status ?? 404
  const page = renderDebugPage({
    requestId: wanted,
    request: { method: record?.request.method ?? 'GET', url: record?.request.url ?? '' },
    status,
    record: record ?? null,
    missingRecord,
    original: null,
  }, context.pageOptions, req.headers.accept)
  sendPage(res, record === undefined ? 404 : 200, page, req.method, requestId)
  context.metrics.countDebugPage('stored')
}
