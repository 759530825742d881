/**
 * The request as the proxy saw it: its line, headers and cookies, redacted. A record made
 * from OpenTelemetry spans (an app that exports OTLP) knows none of them, and an app that
 * sends no record at all tells nothing, so the page shows the proxy's own view beside it.
 *
 * Views of superusers' requests are remembered for their permanent page (the "on its way"
 * page forwards there), in this process's memory only, bounded in count and age
 * (LIMITS.proxyViews, LIMITS.proxyViewAgeMs): the proxy only ever reads Redis, so its Redis
 * user can stay read-only. A proxy replica that did not see the request shows the record
 * without it, and says so.
 */
import type { IncomingMessage } from 'node:http'
import { REDACTED, type Pairs } from '../../core/record.ts'
import type { PageRedaction, ProxyRequestView } from '../debug-page/report.ts'
import { LIMITS } from '../limits.ts'

interface Remembered {
  readonly view: ProxyRequestView
  /** performance.now() when it was seen. */
  readonly seenAt: number
}

export class ProxyViews {
  readonly #redaction: PageRedaction
  /** SUPERTRACE_SESSION_COOKIE: always hidden, whatever its name (`connect.sid` has no sensitive fragment). */
  readonly #sessionCookie: string
  /** Oldest first (a Map keeps insertion order), so forgetting starts at the front. */
  readonly #views = new Map<string, Remembered>()

  constructor (redaction: PageRedaction, sessionCookie: string) {
    this.#redaction = redaction
    this.#sessionCookie = sessionCookie
  }

  /** The request as this proxy saw it, redacted, and remembered for its permanent page. */
  keep (requestId: string, req: IncomingMessage): ProxyRequestView {
    const view = this.#viewOf(req)
    const now = performance.now()
    this.#views.delete(requestId)
    this.#views.set(requestId, { view, seenAt: now })
    for (const [id, remembered] of this.#views) {
      if (this.#views.size <= LIMITS.proxyViews && now - remembered.seenAt <= LIMITS.proxyViewAgeMs) break
      this.#views.delete(id)
    }
    return view
  }

  /** The view kept for `requestId`, unless forgotten or never seen by this proxy. */
  recall (requestId: string): ProxyRequestView | undefined {
    const remembered = this.#views.get(requestId)
    return remembered === undefined || performance.now() - remembered.seenAt > LIMITS.proxyViewAgeMs ? undefined : remembered.view
  }

  /** Every header in the client's spelling and order but Cookie, which is split into cookies; bounded by SUPERTRACE_MAX_HEADER_BYTES already. */
  #viewOf (req: IncomingMessage): ProxyRequestView {
    const headers: Array<readonly [string, string]> = []
    const cookies: Array<readonly [string, string]> = []
    const raw = req.rawHeaders
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string
      const value = raw[i + 1] as string
      if (name.toLowerCase() === 'cookie') cookies.push(...cookiePairs(value))
      else headers.push([name, value])
    }
    return {
      method: req.method ?? 'GET',
      url: this.#redaction.url(req.url ?? '/'),
      headers: this.#redaction.pairs(headers),
      cookies: this.#redaction.pairs(cookies).map(([name, value]) => [name, name === this.#sessionCookie ? REDACTED : value] as const),
    }
  }
}

/** `a=1; b=2` as pairs, each value as sent. */
function cookiePairs (header: string): Pairs {
  const pairs: Array<readonly [string, string]> = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1) pairs.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()])
    else if (part.trim() !== '') pairs.push([part.trim(), ''])
  }
  return pairs
}
