/** Plain HTTP/1.1 requests that keep every byte of the response, for exact comparisons. */
import { request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { RECORD_HEADER, REQUEST_ID_HEADER } from '../../core/protocol.ts'

export interface RawResponse {
  readonly status: number
  readonly statusMessage: string
  readonly headers: IncomingHttpHeaders
  /** Header lines as received, names lowercased, in order. */
  readonly headerLines: readonly string[]
  readonly body: Buffer
  readonly text: string
}

export function get (url: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        const headerLines: string[] = []
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerLines.push(`${res.rawHeaders[i]?.toLowerCase()}: ${res.rawHeaders[i + 1]}`)
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, headerLines, body, text: body.toString() })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** How a WebSocket handshake ended: switched (`response` is the 101, `socket` now the client's) or `refused` with another response, its body read. */
export interface Upgraded {
  readonly response?: IncomingMessage
  readonly socket?: Socket
  readonly refused?: IncomingMessage
}

/** Sends a WebSocket handshake, as a browser would, with `headers` besides; rejects if the request fails. */
export function upgrade (url: string, headers: OutgoingHttpHeaders = {}): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const handshake = { ...headers, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
    const req = request(url, { headers: handshake, agent: false })
    req.on('upgrade', (response, socket) => resolve({ response, socket }))
    req.on('response', (refused) => { refused.resume(); resolve({ refused }) })
    req.on('error', reject)
    req.end()
  })
}

/** Headers that differ between any two responses (the date), or that the proxy adds (x-request-id) or strips (hop-by-hop ones, the instrumentation's record marker) on purpose. */
const PER_HOP = new Set(['date', 'connection', 'keep-alive', REQUEST_ID_HEADER, RECORD_HEADER])

/** What a client sees of a response, less what legitimately differs per request and per hop. */
export function visible (response: RawResponse): { status: number, statusMessage: string, headerLines: string[], body: Buffer } {
  return {
    status: response.status,
    statusMessage: response.statusMessage,
    headerLines: response.headerLines.filter((line) => !PER_HOP.has(line.slice(0, line.indexOf(':')))),
    body: response.body,
  }
}

/** Logs in through `baseUrl` as `user` and returns the Cookie header for that session. */
export async function login (baseUrl: string, user: string): Promise<string> {
  const response = await get(`${baseUrl}/login?user=${encodeURIComponent(user)}`)
  const cookie = response.headers['set-cookie']?.[0]
  if (cookie === undefined) throw new Error(`logging in as ${user} set no cookie: ${response.status}`)
  return cookie.split(';')[0] ?? ''
}
