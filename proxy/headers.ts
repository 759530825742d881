/**
 * Header rules at the proxy's two edges (RFC 9110 §7.6.1): hop-by-hop headers and
 * any header that `Connection` names are not forwarded either way, and the proxy's
 * own headers (request ID, trace context, X-Forwarded-*) replace whatever the client
 * sent, so a client cannot choose the ID under which a record is looked up.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { PROXY_TRACESTATE, RECORD_HEADER, REQUEST_ID_HEADER } from '../core/protocol.ts'
import type { TraceContext } from './request-id.ts'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'http2-settings'])

/** Set by the proxy itself: dropped from what the client sent. `tracestate` belongs to the client's traceparent, which is replaced. */
const SET_BY_PROXY = new Set([REQUEST_ID_HEADER, 'traceparent', 'tracestate', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect'])

/** What `Connection` may never remove: framing and the proxy's own headers. */
const PROTECTED = new Set(['host', 'content-length', ...SET_BY_PROXY])

/** The values nearly every client and app send: they name no header beyond the hop-by-hop ones already dropped. */
const PLAIN_CONNECTION = new Set(['keep-alive', 'close', 'Keep-Alive', 'Close'])

/** The extra headers `Connection` names, or undefined when it names none (the common case, with no allocation). */
function connectionListed (value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || (typeof value === 'string' && PLAIN_CONNECTION.has(value))) return undefined
  let names: Set<string> | undefined
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = part.trim().toLowerCase()
    if (name !== '' && !PROTECTED.has(name) && !HOP_BY_HOP.has(name)) (names ??= new Set()).add(name)
  }
  return names
}

/**
 * The headers sent upstream, as a flat [name, value, …] list: the client's own,
 * in order and with duplicates, less the hop-by-hop ones, plus the proxy's.
 */
export function upstreamHeaders (req: IncomingMessage, trace: TraceContext): string[] {
  const raw = req.rawHeaders
  const listed = connectionListed(req.headers.connection)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || SET_BY_PROXY.has(lower) || listed?.has(lower) === true) continue
    out.push(name, raw[i + 1] as string)
  }
  const host = req.headers.host
  const forwardedFor = req.socket.remoteAddress
  out.push(REQUEST_ID_HEADER, trace.requestId, 'traceparent', trace.traceparent, 'tracestate', PROXY_TRACESTATE, 'x-forwarded-proto', 'http')
  if (forwardedFor !== undefined) out.push('x-forwarded-for', forwardedFor)
  if (host !== undefined) out.push('x-forwarded-host', host)
  return out
}

/** The upstream's response headers for the client, less hop-by-hop ones and the instrumentation's record marker. */
export function clientHeaders (headers: IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection)
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || name === RECORD_HEADER || listed?.has(name) === true) continue
    out[name] = headers[name]
  }
  out[REQUEST_ID_HEADER] = requestId
  return out
}

/**
 * Request framing Node accepts but a proxy must refuse (proxy-engines notes §4, §7):
 * a Transfer-Encoding other than exactly `chunked` would reach the app re-framed but
 * still coded. Returns the status to answer with, or 0 to forward.
 */
export function rejectedFraming (req: IncomingMessage): number {
  const te = req.headers['transfer-encoding']
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return 501
  return 0
}

export function hasBody (req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
}
