/**
 * The request part of a record, read from the request the app received: method, URL,
 * query, headers (all but Cookie), cookies and, where the app read one, the body
 * (`req.body` as express.json() / express.urlencoded() / text parsers set it).
 * Redacted and bounded before it leaves this module.
 */
import type { IncomingMessage } from 'node:http'
import type { Pairs, RecordedRequest } from '../../core/record.ts'
import type { Redactor } from '../../core/redact.ts'
import { LIMITS, type Truncation } from './limits.ts'

/** What frameworks add to the request: Express's `originalUrl` (its `url` is rewritten by routers) and a parsed `body`. */
export type AppRequest = IncomingMessage & { originalUrl?: unknown, body?: unknown }

export function recordRequest (req: AppRequest, route: string | undefined, redactor: Redactor, truncation: Truncation): RecordedRequest {
  const rawUrl = typeof req.originalUrl === 'string' ? req.originalUrl : req.url ?? '/'
  const queryAt = rawUrl.indexOf('?')
  const query: Array<[string, string]> = queryAt === -1 ? [] : [...new URLSearchParams(rawUrl.slice(queryAt + 1))]
  const headers: Array<[string, string]> = []
  const cookies: Array<[string, string]> = []
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? ''
    const value = raw[i + 1] ?? ''
    if (name.toLowerCase() === 'cookie') cookies.push(...parseCookies(value))
    else headers.push([name, value])
  }
  const body = recordBody(req, redactor, truncation)
  return {
    source: 'app',
    method: req.method ?? 'GET',
    url: truncation.text(redactor.url(rawUrl), LIMITS.urlChars, 'request.url'),
    ...(route === undefined ? {} : { route }),
    query: boundPairs(redactor.pairs(query), truncation, 'request.query'),
    headers: boundPairs(redactor.pairs(headers), truncation, 'request.headers'),
    cookies: boundPairs(redactor.pairs(cookies), truncation, 'request.cookies'),
    ...(body === undefined ? {} : { body }),
  }
}

/** The request part when only the server span is known (no response object): method and URL from its attributes. */
export function recordRequestFromSpan (method: string, url: string, route: string | undefined, redactor: Redactor, truncation: Truncation): RecordedRequest {
  const queryAt = url.indexOf('?')
  const query: Array<[string, string]> = queryAt === -1 ? [] : [...new URLSearchParams(url.slice(queryAt + 1))]
  return {
    source: 'app',
    method,
    url: truncation.text(redactor.url(url), LIMITS.urlChars, 'request.url'),
    ...(route === undefined ? {} : { route }),
    query: boundPairs(redactor.pairs(query), truncation, 'request.query'),
    headers: [],
    cookies: [],
  }
}

function boundPairs (pairs: Pairs, truncation: Truncation, path: string): Pairs {
  return truncation.list(pairs, LIMITS.pairsPerPart, path).map(([name, value]) => [
    truncation.text(name, LIMITS.pairValueChars, path),
    truncation.text(value, LIMITS.pairValueChars, path),
  ] as const)
}

/** `a=1; b=2` as pairs; a value is percent-decoded when it can be, as cookie libraries do. */
function parseCookies (header: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    const name = part.slice(0, eq).trim()
    let value = part.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    try {
      value = decodeURIComponent(value)
    } catch {}
    if (name !== '') pairs.push([name, value])
  }
  return pairs
}

function recordBody (req: AppRequest, redactor: Redactor, truncation: Truncation): RecordedRequest['body'] {
  const body = req.body
  if (body === undefined || body === null) return undefined
  const header = req.headers['content-type']
  const contentType = header === undefined ? {} : { contentType: header }
  let text: string
  if (typeof body === 'string') {
    text = redactor.bodyText(body)
  } else if (Buffer.isBuffer(body)) {
    text = /^text\/|json|xml|x-www-form-urlencoded/i.test(header ?? '') ? redactor.bodyText(body.toString('utf8')) : `[${body.length} bytes]`
  } else if (typeof body === 'object') {
    // body-parser sets `{}` even when there was no body: nothing was read then.
    if (Object.keys(body).length === 0 && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return undefined
    try {
      text = JSON.stringify(body, redactor.jsonReplacer)
    } catch {
      text = '[a body that cannot be shown as JSON]'
    }
  } else {
    text = redactor.text(String(body))
  }
  return { ...contentType, text: truncation.text(text, LIMITS.bodyChars, 'request.body') }
}
