/**
 * Header rules at the proxy's two edges (RFC 9110 §7.6.1): hop-by-hop headers and
 * any header that `Connection` names are not forwarded either way, and the proxy's
 * own headers (request ID, trace context, X-Forwarded-*) replace whatever the client
 * sent, so a client cannot choose the ID under which a record is looked up, nor the
 * address the app believes it came from. Every other header crosses exactly as it
 * came: same names, same values, duplicates and their order kept.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { BlockList } from 'node:net'
import type { Dispatcher } from 'undici'
import { PROXY_TRACESTATE, RECORD_HEADER, REQUEST_ID_HEADER } from '../../core/protocol.ts'
import type { TraceContext } from './request-id.ts'

/**
 * RFC 9110 §7.6.1, plus Proxy-Connection (never standard, still sent), TE's partner
 * Trailer (RFC 2616's list) and HTTP2-Settings (RFC 7540 §3.2.1: only meant for the next hop).
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'http2-settings']

/** Set by the proxy on every request: what the client sent is dropped. `tracestate` belongs to the client's traceparent, which is replaced. */
const REPLACED = [REQUEST_ID_HEADER, 'traceparent', 'tracestate']

/** Where a request came from: replaced, unless the peer is a trusted proxy (SUPERTRACE_TRUSTED_PROXIES). */
const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']

/** What `Connection` may never remove: the framing, the Host, and the proxy's own headers. */
const PROTECTED = new Set(['host', 'content-length', ...REPLACED, ...FORWARDING])

const DROP = 1
const FORWARDED = 2
const HOST = 3
type RequestRule = typeof DROP | typeof FORWARDED | typeof HOST
/**
 * What happens to a request header, by lowercased name; absent = forwarded as is.
 * One Map lookup per header on the hot path (bench: `npm run bench -- --only proxy`).
 * `Expect` is answered by the proxy itself (Node sends the 100 Continue), and undici refuses to send it.
 */
const REQUEST_RULES = new Map<string, RequestRule>([
  ...[...HOP_BY_HOP, ...REPLACED, 'expect'].map((name) => [name, DROP] as const),
  ...FORWARDING.map((name) => [name, FORWARDED] as const),
  ['host', HOST],
])

/** The app's own X-Request-Id is dropped too: the client gets the proxy's, the one records are kept under. */
const RESPONSE_DROPPED = new Set([...HOP_BY_HOP, RECORD_HEADER, REQUEST_ID_HEADER])

/** The values nearly every client and app send: they name no header beyond the hop-by-hop ones already dropped. */
const PLAIN_CONNECTION = new Set(['keep-alive', 'close', 'Keep-Alive', 'Close', 'upgrade', 'Upgrade'])

/** The extra headers `Connection` names, or undefined when it names none (the common case, with no allocation). */
function connectionListed (value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || (typeof value === 'string' && PLAIN_CONNECTION.has(value))) return undefined
  let names: Set<string> | undefined
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = part.trim().toLowerCase()
    if (name !== '' && !PROTECTED.has(name) && !HOP_BY_HOP.includes(name)) (names ??= new Set()).add(name)
  }
  return names
}

/** How the proxy forwards: from the settings, fixed at start-up. */
export interface ForwardingRules {
  /** Peers whose X-Forwarded-* are believed (SUPERTRACE_TRUSTED_PROXIES); null trusts nobody. */
  readonly trustedProxies: BlockList | null
  /** Send the client's Host upstream (SUPERTRACE_PRESERVE_HOST); false sends the upstream's own. */
  readonly preserveHost: boolean
}

/** What upstreamHeaders reads of a request: an IncomingMessage has all of it. */
export interface ArrivingRequest {
  readonly rawHeaders: readonly string[]
  readonly headers: Pick<IncomingHttpHeaders, 'connection' | 'host'>
  readonly socket: { readonly remoteAddress?: string | undefined, readonly remoteFamily?: string | undefined }
}

/**
 * The headers sent upstream, as a flat [name, value, …] list: the client's own,
 * in order and with duplicates, less the hop-by-hop ones, plus the proxy's.
 */
export function upstreamHeaders (req: ArrivingRequest, trace: TraceContext, rules: ForwardingRules): string[] {
  const raw = req.rawHeaders
  const listed = connectionListed(req.headers.connection)
  const peer = req.socket.remoteAddress
  const isTrusted = rules.trustedProxies !== null && peer !== undefined && rules.trustedProxies.check(peer, req.socket.remoteFamily === 'IPv6' ? 'ipv6' : 'ipv4')
  let priorFor: string | undefined
  let priorProto: string | undefined
  let priorHost: string | undefined
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const lower = name.toLowerCase()
    const rule = REQUEST_RULES.get(lower)
    if (rule !== undefined) {
      if (rule === DROP) continue
      if (rule === FORWARDED) {
        if (!isTrusted) continue
        const value = raw[i + 1] as string
        if (lower === 'x-forwarded-for') priorFor = priorFor === undefined ? value : `${priorFor}, ${value}`
        else if (lower === 'x-forwarded-proto') priorProto ??= value
        else if (lower === 'x-forwarded-host') priorHost ??= value
        else out.push(name, value) // Forwarded (RFC 7239): a trusted proxy's is passed on as it came
        continue
      }
      if (rule === HOST && !rules.preserveHost) continue // undici then sends the upstream's host
    }
    if (listed?.has(lower) === true) continue
    out.push(name, raw[i + 1] as string)
  }
  out.push(REQUEST_ID_HEADER, trace.requestId, 'traceparent', trace.traceparent, 'tracestate', PROXY_TRACESTATE, 'x-forwarded-proto', priorProto ?? 'http')
  if (peer !== undefined) out.push('x-forwarded-for', priorFor === undefined ? peer : `${priorFor}, ${peer}`)
  else if (priorFor !== undefined) out.push('x-forwarded-for', priorFor)
  const host = priorHost ?? req.headers.host
  if (host !== undefined) out.push('x-forwarded-host', host)
  return out
}

/**
 * Response header names as apps spell them, by their bytes. An app sends the same few names on
 * every response, so each is decoded once and afterwards only compared: decoding every name and
 * value with Buffer.toString costs several times all of clientHeaders (bench/micro/client-headers.ts).
 * A fixed table, a name per slot: two names that share a slot take turns, decoded each time.
 */
const SPELLING_SLOTS = 256
const spelled = new Array<string>(SPELLING_SLOTS).fill('')
const lowered = new Array<string>(SPELLING_SLOTS).fill('')

/** The slot holding `name`'s spelling and lowercased form, filled now if it held another name. */
function spellingSlot (name: Buffer): number {
  const n = name.length
  const slot = (n * 7 + (name[0] ?? 0) * 3 + (name[n >> 1] ?? 0) * 5 + (name[n - 1] ?? 0)) & (SPELLING_SLOTS - 1)
  const known = spelled[slot] as string
  if (known.length === n) {
    let i = 0
    while (i < n && known.charCodeAt(i) === name[i]) i++
    if (i === n) return slot
  }
  const text = name.toString('latin1') // RFC 9110 §5.5: header bytes are read as Latin-1, as undici and Node do
  spelled[slot] = asKey(text)
  lowered[slot] = asKey(text.toLowerCase())
  return slot
}

/** `text` as V8 holds a property name (an object's key, read back): looking a header up by it then skips hashing it (measured with bench/micro/client-headers.ts: clientHeaders about a third faster). */
function asKey (text: string): string {
  return Object.keys({ [text]: 0 })[0] as string
}

/**
 * The upstream's response headers for the client, as a flat [name, value, …] list in the
 * app's spelling and order (`X-Powered-By`, each `Set-Cookie` where it came), less hop-by-hop
 * ones, the instrumentation's record marker and the app's own request ID. `raw` is undici's
 * `controller.rawHeaders` (its HTTP/1.1 parser's list of Buffers); `parsed` the same headers by
 * lowercased name as undici already decoded them: a name's single value is taken from there.
 * Without a raw list (a dispatcher that keeps none), `parsed` alone is sent, names lowercased.
 */
export function clientHeaders (raw: Dispatcher.DispatchController['rawHeaders'], parsed: IncomingHttpHeaders, requestId: string): string[] {
  const listed = connectionListed(parsed.connection)
  const out: string[] = []
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as Buffer | string
      let spelling: string
      let lower: string
      if (typeof name === 'string') {
        spelling = name
        lower = name.toLowerCase()
      } else {
        const slot = spellingSlot(name)
        spelling = spelled[slot] as string
        lower = lowered[slot] as string
      }
      if (RESPONSE_DROPPED.has(lower) || listed?.has(lower) === true) continue
      const value = parsed[lower]
      const bytes = raw[i + 1] as Buffer | string
      // A repeated name's values are in an array (and an inherited key such as `__proto__` is no string): decoded from the list.
      out.push(spelling, typeof value === 'string' ? value : typeof bytes === 'string' ? bytes : bytes.toString('latin1'))
    }
  } else {
    for (const name in parsed) {
      const value = parsed[name]
      if (value === undefined || RESPONSE_DROPPED.has(name) || listed?.has(name) === true) continue
      for (const one of Array.isArray(value) ? value : [value]) out.push(name, one)
    }
  }
  out.push(REQUEST_ID_HEADER, requestId)
  return out
}

/** A request the proxy answers itself instead of forwarding. */
export interface Refusal {
  readonly status: number
  readonly text: string
}

const NOT_HTTP_1: Refusal = { status: 505, text: 'Only HTTP/1.0 and HTTP/1.1 are served here.\n' }
const NOT_A_PATH: Refusal = { status: 400, text: 'The request target must be a path, such as /orders/42.\n' }
const UNSUPPORTED_CODING: Refusal = { status: 501, text: 'This request\'s Transfer-Encoding is not supported.\n' }
const SEVERAL_HOSTS: Refusal = { status: 400, text: 'A request has exactly one Host header.\n' }

/**
 * Requests Node's parser accepts but a proxy must refuse (docs/design.md#refusals), or null to forward:
 * - a version other than 1.x (`GET /` with no version is read as HTTP/0.9, `HTTP/2.0` as text):
 *   Node requires a Host of HTTP/1.1 only, and the app would be sent HTTP/1.1 regardless;
 * - a target that is not a path (`http://other.example/`, `*`): an origin server never needs one,
 *   and undici would send an absolute URL on to the app;
 * - a Transfer-Encoding other than exactly `chunked`: the body would reach the app re-framed but still coded;
 * - two Host headers (RFC 9112 §3.2): Node keeps the first, the app might read the other.
 *   The server joins duplicates (`joinDuplicateHeaders`), and a single Host never holds a comma.
 */
export function refusal (req: IncomingMessage): Refusal | null {
  if (req.httpVersionMajor !== 1) return NOT_HTTP_1
  if (req.url?.charCodeAt(0) !== 47 /* / */) return NOT_A_PATH
  const headers = req.headers
  const te = headers['transfer-encoding']
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return UNSUPPORTED_CODING
  if (headers.host?.includes(',') === true) return SEVERAL_HOSTS
  return null
}

export function hasBody (req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
}

/**
 * The headers of an upgrade (WebSocket) request, for http-proxy-3, which forwards
 * `req.headers`: the same rules as any request, then Connection and Upgrade put
 * back, since on this path they are what the app must see to switch protocols.
 */
export function upgradeHeaders (req: IncomingMessage, trace: TraceContext, rules: ForwardingRules): IncomingHttpHeaders {
  const list = upstreamHeaders(req, trace, rules)
  const out: Record<string, string | string[]> = { connection: 'Upgrade', upgrade: req.headers.upgrade ?? '' }
  for (let i = 0; i < list.length; i += 2) {
    const name = (list[i] as string).toLowerCase()
    const value = list[i + 1] as string
    const prior = out[name]
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return out
}
