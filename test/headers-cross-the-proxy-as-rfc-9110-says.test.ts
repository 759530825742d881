/**
 * Headers through the proxy: hop-by-hop ones stop at the proxy both ways (RFC 9110
 * §7.6.1), X-Forwarded-* tell the app who really asked (believed only from trusted
 * proxies), Host is the client's unless told otherwise, and every end-to-end header,
 * repeated ones included, crosses exactly, in order.
 */
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { BlockList } from 'node:net'
import { test } from 'node:test'
import fc from 'fast-check'
import { ConfigError } from '../core/errors.ts'
import { PROXY_TRACESTATE, RECORD_HEADER, REQUEST_ID_HEADER } from '../core/protocol.ts'
import { loadProxyConfig } from '../proxy/config.ts'
import { clientHeaders, upstreamHeaders, type ArrivingRequest, type ForwardingRules } from '../proxy/forward/headers.ts'
import { get } from './helpers/http.ts'
import { startStack, TRANSPARENT_APP } from './helpers/processes.ts'
import { appState, openSocket, readUntilClosed, sendRaw } from './helpers/sockets.ts'
import { waitUntil } from './helpers/wait-until.ts'

/** Sends a raw request (Connection: close is added) and returns the headers the app received, as JSON from the app. */
async function seenByApp (port: number, head: string): Promise<{ headers: Record<string, string>, rawHeaders: string[] }> {
  const reply = await sendRaw(port, `${head}Connection: close\r\n\r\n`)
  assert.match(reply, /^HTTP\/1\.1 200 /, reply.slice(0, 200))
  return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string>, rawHeaders: string[] }
}

/** The [name, value] pairs of a raw header list whose lowercased name is in `names`, in order. */
function pairs (raw: readonly string[], names: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) if (names.includes((raw[i] as string).toLowerCase())) out.push(`${raw[i]}: ${raw[i + 1]}`)
  return out
}

// ---- hop-by-hop, both ways ---------------------------------------------------

test('hop-by-hop request headers, and every header the client\'s Connection names, stop at the proxy; the rest reach the app', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  const seen = await seenByApp(proxy.port, 'GET /echo HTTP/1.1\r\nHost: shop.example\r\nConnection: x-hop-a, X-Hop-B\r\nConnection: keep-alive\r\n' +
    'X-Hop-A: 1\r\nX-Hop-B: 2\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: x-sum\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nX-Kept: yes\r\n')

  assert.ok(!/hop/i.test(seen.headers.connection ?? ''), 'the app sees only the Connection of the proxy\'s own hop')
  for (const name of ['x-hop-a', 'x-hop-b', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'http2-settings']) {
    assert.equal(seen.headers[name], undefined, `${name} is not forwarded`)
  }
  assert.equal(seen.headers['x-kept'], 'yes')
  assert.equal(seen.headers.host, 'shop.example')
})

test('hop-by-hop response headers, and every header the app\'s Connection names, stop at the proxy; repeated Set-Cookie and other repeated headers arrive each on its own line, in order', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  const response = await get(`${proxy.url}/response-headers`)

  const names = response.headerLines.map((line) => line.slice(0, line.indexOf(':')))
  for (const name of ['x-app-hop', 'keep-alive', 'proxy-connection', 'upgrade', 'trailer']) assert.ok(!names.includes(name), `${name} is not forwarded`)
  assert.equal(response.headers.connection, 'close', 'the only Connection is the proxy\'s own, for its hop to this client')
  assert.deepEqual(response.headerLines.filter((line) => line.startsWith('set-cookie:')), ['set-cookie: a=1; Path=/', 'set-cookie: b=2; Path=/; HttpOnly', 'set-cookie: c=3'])
  assert.deepEqual(response.headerLines.filter((line) => line.startsWith('x-multi:')), ['x-multi: first', 'x-multi: second'])
  assert.equal(response.text, 'ok\n')
})

test('response headers reach the client on the wire as the app spelled them, in the app\'s order: X-Powered-By, ETag, each Set-Cookie on its own line', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  const reply = await sendRaw(proxy.port, 'GET /response-headers HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')

  const lines = reply.slice(0, reply.indexOf('\r\n\r\n')).split('\r\n').slice(1)
  const apps = lines.filter((line) => !/^(date|connection|transfer-encoding|x-request-id):/i.test(line))
  assert.deepEqual(apps, [
    'X-Powered-By: Express',
    'Set-Cookie: a=1; Path=/',
    'X-Multi: first',
    'Set-Cookie: b=2; Path=/; HttpOnly',
    'X-Multi: second',
    'Set-Cookie: c=3',
    'content-type: text/plain',
    'ETag: W/"3-abc"',
  ])
})

// ---- duplicates, order, the proxy's own headers --------------------------------

test('repeated request headers (custom ones, Cookie, Accept) reach the app each on its own line, in the client\'s order and spelling', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)
  const names = ['x-custom', 'x-other', 'cookie', 'accept']

  const head = 'GET /echo HTTP/1.1\r\nHost: a\r\nX-Custom: one\r\nx-other: z\r\nCookie: a=1\r\nX-CUSTOM: two\r\nAccept: text/html\r\nCookie: b=2\r\nAccept: */*\r\nx-custom: three, four\r\n'
  const seen = await seenByApp(proxy.port, head)

  assert.deepEqual(pairs(seen.rawHeaders, names), ['X-Custom: one', 'x-other: z', 'Cookie: a=1', 'X-CUSTOM: two', 'Accept: text/html', 'Cookie: b=2', 'Accept: */*', 'x-custom: three, four'])
})

test('however many request IDs and trace headers a client sends, the app receives exactly one of each, the proxy\'s', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  const reply = await sendRaw(proxy.port, 'GET /echo HTTP/1.1\r\nHost: a\r\nX-Request-Id: mine\r\nx-request-id: mine-too\r\ntraceparent: 00-0123456789abcdef0123456789abcdef-0123456789abcdef-01\r\nTraceparent: 00-ffffffffffffffffffffffffffffffff-0123456789abcdef-01\r\ntracestate: a=b\r\nConnection: close\r\n\r\n')
  const requestId = /\r\nx-request-id: ([0-9a-f]{32})\r\n/.exec(reply)?.[1]
  const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { rawHeaders: string[] }

  assert.ok(requestId !== undefined, 'the client is told the request ID')
  assert.deepEqual(pairs(seen.rawHeaders, [REQUEST_ID_HEADER]), [`${REQUEST_ID_HEADER}: ${requestId}`])
  assert.equal(pairs(seen.rawHeaders, ['traceparent']).length, 1)
  assert.match(pairs(seen.rawHeaders, ['traceparent'])[0] as string, new RegExp(`^traceparent: 00-${requestId}-[0-9a-f]{16}-01$`))
  assert.deepEqual(pairs(seen.rawHeaders, ['tracestate']), [`tracestate: ${PROXY_TRACESTATE}`])
})

// ---- X-Forwarded-*, Host ----------------------------------------------------------

const SPOOFED = 'X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\nForwarded: for=203.0.113.7;proto=https\r\n'

test('by default the app learns the real peer, scheme and Host from X-Forwarded-*, whatever the client claimed in its own', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  const seen = await seenByApp(proxy.port, `GET /echo HTTP/1.1\r\nHost: www.example:8443\r\n${SPOOFED}`)

  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen.headers['x-forwarded-proto'], 'http')
  assert.equal(seen.headers['x-forwarded-host'], 'www.example:8443')
  assert.equal(seen.headers.forwarded, undefined)
  assert.deepEqual(pairs(seen.rawHeaders, ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']).length, 3, 'one of each')
})

test('behind a trusted proxy (SUPERTRACE_TRUSTED_PROXIES) its X-Forwarded-* are kept and the peer is appended to X-Forwarded-For', async (t) => {
  const { proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.0/8' } })

  const seen = await seenByApp(proxy.port, `GET /echo HTTP/1.1\r\nHost: internal:8080\r\n${SPOOFED}X-Forwarded-For: 198.51.100.2\r\n`)

  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.7, 198.51.100.2, 127.0.0.1')
  assert.equal(seen.headers['x-forwarded-proto'], 'https')
  assert.equal(seen.headers['x-forwarded-host'], 'shop.example')
  assert.equal(seen.headers.forwarded, 'for=203.0.113.7;proto=https')
  assert.equal(seen.headers.host, 'internal:8080')

  const direct = await seenByApp(proxy.port, 'GET /echo HTTP/1.1\r\nHost: internal:8080\r\n')
  assert.equal(direct.headers['x-forwarded-for'], '127.0.0.1', 'with none sent, the peer alone')
  assert.equal(direct.headers['x-forwarded-host'], 'internal:8080')
})

test('a peer outside SUPERTRACE_TRUSTED_PROXIES has its X-Forwarded-* replaced', async (t) => {
  const { proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_TRUSTED_PROXIES: '10.0.0.0/8,::1' } })

  const seen = await seenByApp(proxy.port, `GET /echo HTTP/1.1\r\nHost: www.example\r\n${SPOOFED}`)

  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen.headers['x-forwarded-proto'], 'http')
  assert.equal(seen.headers['x-forwarded-host'], 'www.example')
})

test('a WebSocket upgrade gets the same X-Forwarded-* and request ID as any request', async (t) => {
  const { app, proxy } = await startStack(t, TRANSPARENT_APP)
  const socket = await openSocket(proxy.port)
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })

  socket.write(`GET /echo HTTP/1.1\r\nHost: www.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${SPOOFED}X-Request-Id: mine\r\n\r\n`)
  await waitUntil('101 Switching Protocols', () => received.includes('\r\n\r\n'))
  socket.destroy()

  assert.match(received, /^HTTP\/1\.1 101 /)
  const upgrade = (await appState(app)).requests.find((r) => r.url === '/echo')
  assert.equal(upgrade?.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(upgrade?.headers['x-forwarded-proto'], 'http')
  assert.equal(upgrade?.headers['x-forwarded-host'], 'www.example')
  assert.equal(upgrade?.headers.forwarded, undefined)
  assert.match(String(upgrade?.headers[REQUEST_ID_HEADER]), /^[0-9a-f]{32}$/)
})

test('the app receives the client\'s Host by default, and its own host with SUPERTRACE_PRESERVE_HOST=false (X-Forwarded-Host still the client\'s)', async (t) => {
  const preserved = await startStack(t, TRANSPARENT_APP)
  const asSent = await seenByApp(preserved.proxy.port, 'GET /echo HTTP/1.1\r\nHost: shop.example\r\n')
  assert.equal(asSent.headers.host, 'shop.example')

  const rewritten = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_PRESERVE_HOST: 'false' } })
  const seen = await seenByApp(rewritten.proxy.port, 'GET /echo HTTP/1.1\r\nHost: shop.example\r\n')
  assert.equal(seen.headers.host, `127.0.0.1:${rewritten.app.port}`)
  assert.equal(seen.headers['x-forwarded-host'], 'shop.example')
  assert.equal(pairs(seen.rawHeaders, ['host']).length, 1)
})

test('a keep-alive connection to the proxy carries several requests, each answered in turn', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)
  const socket = await openSocket(proxy.port)
  const reply = readUntilClosed(socket)

  socket.write('GET /echo?n=1 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?n=3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')

  const text = await reply
  assert.deepEqual([...text.matchAll(/"url":"(\/echo\?n=\d)"/g)].map((m) => m[1]), ['/echo?n=1', '/echo?n=2', '/echo?n=3'])
})

test('an idle client connection outlives Node\'s 5 s default (a load balancer reusing it gets no reset), and closes after SUPERTRACE_KEEP_ALIVE_TIMEOUT_MS', { timeout: 30_000 }, async (t) => {
  const { proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_KEEP_ALIVE_TIMEOUT_MS: '7000' } })
  const socket = await openSocket(proxy.port)
  const reply = readUntilClosed(socket)
  socket.write('GET /echo?n=1 HTTP/1.1\r\nHost: a\r\n\r\n')
  await new Promise((resolve) => setTimeout(resolve, 5_500)) // idle past Node's default keepAliveTimeout
  assert.ok(!socket.closed, 'still open after 5.5 s idle')
  socket.write('GET /echo?n=2 HTTP/1.1\r\nHost: a\r\n\r\n')
  // Then idle again: the proxy closes it by itself at the setting (readUntilClosed would otherwise never resolve).
  const text = await reply
  assert.deepEqual([...text.matchAll(/"url":"(\/echo\?n=\d)"/g)].map((m) => m[1]), ['/echo?n=1', '/echo?n=2'])
})

// ---- settings -------------------------------------------------------------------

test('a wrong SUPERTRACE_TRUSTED_PROXIES, SUPERTRACE_PRESERVE_HOST or timeout stops start-up, naming the variable with a valid example', () => {
  const base = { SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000' }
  for (const [name, value, example] of [
    ['SUPERTRACE_TRUSTED_PROXIES', '10.0.0.0/33', 'SUPERTRACE_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1'],
    ['SUPERTRACE_TRUSTED_PROXIES', 'proxy.internal', 'SUPERTRACE_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1'],
    ['SUPERTRACE_PRESERVE_HOST', 'maybe', 'SUPERTRACE_PRESERVE_HOST=true'],
    ['SUPERTRACE_HEADERS_TIMEOUT_MS', '0', 'SUPERTRACE_HEADERS_TIMEOUT_MS=10000'],
    ['SUPERTRACE_REQUEST_TIMEOUT_MS', '-1', 'SUPERTRACE_REQUEST_TIMEOUT_MS=300000'],
    ['SUPERTRACE_KEEP_ALIVE_TIMEOUT_MS', '0', 'SUPERTRACE_KEEP_ALIVE_TIMEOUT_MS=75000'],
  ] as const) {
    assert.throws(() => loadProxyConfig({ ...base, [name]: value }), (err: unknown) => err instanceof ConfigError && err.message.includes(name) && err.message.includes(example), `${name}=${value}`)
  }
  const config = loadProxyConfig({ ...base, SUPERTRACE_TRUSTED_PROXIES: '192.168.0.0/16, 2001:db8::/32, 127.0.0.1' })
  assert.equal(config.trustedProxies?.check('192.168.4.5'), true)
  assert.equal(config.trustedProxies?.check('2001:db8::1', 'ipv6'), true)
  assert.equal(config.trustedProxies?.check('127.0.0.2'), false)
  assert.equal(loadProxyConfig(base).trustedProxies, null, 'by default nobody is trusted')
  assert.equal(loadProxyConfig(base).preserveHost, true)
})

// ---- properties of the header rules, for any header list ----------------------------

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'http2-settings']
const PROXYS_OWN = [REQUEST_ID_HEADER, 'traceparent', 'tracestate', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']
const NEVER_FROM_CLIENT = [...HOP_BY_HOP, ...PROXYS_OWN, 'forwarded', 'expect']
const TRACE = { requestId: '0123456789abcdef0123456789abcdef', traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' }

/** Header names as they come: ordinary ones in any case, the ones the rules care about, and odd tokens. */
const headerName = fc.oneof(
  fc.constantFrom('accept', 'cookie', 'x-custom', 'X-Custom', 'content-type', 'authorization', 'content-length', 'host', 'Host', '__proto__', 'constructor', 'x-a', 'x-b'),
  fc.constantFrom(...NEVER_FROM_CLIENT, 'Connection', 'X-Forwarded-For', 'Keep-Alive', 'TE'),
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/),
)
const headerValue = fc.oneof(fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/), fc.constantFrom('', 'keep-alive', 'close', 'x-a, x-b', 'X-Custom', 'host, content-length, x-request-id, traceparent, x-forwarded-for', 'x-a,,  ,x-custom'))
const rawHeaderList = fc.array(fc.tuple(headerName, headerValue), { maxLength: 20 })

/** What Node's parser makes of raw headers with joinDuplicateHeaders: repeated values joined with ", " (Cookie with "; "). */
function parsed (list: ReadonlyArray<readonly [string, string]>): IncomingHttpHeaders {
  const headers: Record<string, string> = {}
  for (const [name, value] of list) {
    const lower = name.toLowerCase()
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}${lower === 'cookie' ? '; ' : ', '}${value}`
  }
  return headers
}

function namedByConnection (value: string | string[] | undefined): Set<string> {
  return new Set((Array.isArray(value) ? value.join(',') : value ?? '').split(',').map((part) => part.trim().toLowerCase()).filter((part) => part !== ''))
}

function arriving (list: ReadonlyArray<readonly [string, string]>, remoteAddress: string): ArrivingRequest {
  return { rawHeaders: list.flat(), headers: parsed(list), socket: { remoteAddress, remoteFamily: 'IPv4' } }
}

test('for any request header list, the app gets every end-to-end header exactly once per line and in order, no hop-by-hop or Connection-named one, and exactly one of each of the proxy\'s own', () => {
  const rules: ForwardingRules = { trustedProxies: null, preserveHost: true }
  fc.assert(fc.property(rawHeaderList, (list) => {
    const out = upstreamHeaders(arriving(list, '192.0.2.1'), TRACE, rules)
    const listed = namedByConnection(parsed(list).connection)
    const protectedNames = new Set(['host', 'content-length', ...PROXYS_OWN, 'forwarded'])
    const expected = list.filter(([name]) => {
      const lower = name.toLowerCase()
      return !NEVER_FROM_CLIENT.includes(lower) && (!listed.has(lower) || protectedNames.has(lower))
    }).map(([name, value]) => `${name}: ${value}`)
    const outPairs: string[] = []
    for (let i = 0; i < out.length; i += 2) outPairs.push(`${out[i]}: ${out[i + 1]}`)

    assert.deepEqual(outPairs.slice(0, expected.length), expected, 'the client\'s end-to-end headers, in order, none dropped or repeated')
    const added = outPairs.slice(expected.length)
    const hasHost = list.some(([name]) => name.toLowerCase() === 'host')
    const own = PROXYS_OWN.filter((name) => hasHost || name !== 'x-forwarded-host')
    assert.deepEqual(added.map((line) => line.slice(0, line.indexOf(':')).toLowerCase()).sort(), own.sort(), 'then exactly one of each of the proxy\'s own (X-Forwarded-Host when there is a Host)')
    assert.ok(added.includes(`${REQUEST_ID_HEADER}: ${TRACE.requestId}`))
    assert.ok(added.includes('x-forwarded-for: 192.0.2.1'))
  }), { numRuns: 2000 })
})

test('for any request header list from a trusted peer, the chain in X-Forwarded-For is kept and the peer appended; Host is dropped only when not preserved', () => {
  const trusted = new BlockList()
  trusted.addSubnet('192.0.2.0', 24, 'ipv4')
  fc.assert(fc.property(rawHeaderList, fc.boolean(), (list, preserveHost) => {
    const out = upstreamHeaders(arriving(list, '192.0.2.1'), TRACE, { trustedProxies: trusted, preserveHost })
    const sentFor = list.filter(([name]) => name.toLowerCase() === 'x-forwarded-for').map(([, value]) => value)
    const forwardedFor = out.filter((_, i) => i % 2 === 1 && (out[i - 1] as string).toLowerCase() === 'x-forwarded-for')
    assert.deepEqual(forwardedFor, [[...sentFor, '192.0.2.1'].join(', ')])
    const hosts = out.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'host').length
    assert.equal(hosts, preserveHost ? list.filter(([name]) => name.toLowerCase() === 'host').length : 0)
  }), { numRuns: 1000 })
})

/** Response headers as undici's parser hands them over: the raw list, and the object by lowercased name, repeated ones as arrays in order. */
function undiciHeaders (list: ReadonlyArray<readonly [string, string]>): { raw: Buffer[], parsed: IncomingHttpHeaders } {
  const parsed: Record<string, string | string[]> = {}
  for (const [name, value] of list) {
    const lower = name.toLowerCase()
    const prior = Object.hasOwn(parsed, lower) ? parsed[lower] : undefined
    const next = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
    Object.defineProperty(parsed, lower, { value: next, enumerable: true, writable: true, configurable: true })
  }
  return { raw: list.flat().map((text) => Buffer.from(text, 'latin1')), parsed }
}

test('for any response header list, the client gets every end-to-end header as the app spelled it, in the app\'s order, no hop-by-hop or Connection-named one, and one request ID, the proxy\'s', () => {
  fc.assert(fc.property(rawHeaderList, (list) => {
    const { raw, parsed } = undiciHeaders(list)
    const listed = namedByConnection(parsed.connection)
    const protectedNames = new Set(['host', 'content-length', ...PROXYS_OWN, 'forwarded'])
    const kept = list.filter(([name]) => {
      const lower = name.toLowerCase()
      return !HOP_BY_HOP.includes(lower) && lower !== RECORD_HEADER && lower !== REQUEST_ID_HEADER && (!listed.has(lower) || protectedNames.has(lower))
    })

    assert.deepEqual(clientHeaders(raw, parsed, TRACE.requestId), [...kept.flat(), REQUEST_ID_HEADER, TRACE.requestId], 'from the raw list: every kept line as it came')
    // A dispatcher that hands over no raw list: the same headers, grouped by lowercased name in the object's key order.
    const keptNames = new Set(kept.map(([name]) => name.toLowerCase()))
    const grouped = Object.keys(parsed).filter((lower) => keptNames.has(lower)).flatMap((lower) => kept.filter(([name]) => name.toLowerCase() === lower).flatMap(([, value]) => [lower, value]))
    assert.deepEqual(clientHeaders(null, parsed, TRACE.requestId), [...grouped, REQUEST_ID_HEADER, TRACE.requestId], 'from the parsed object')
  }), { numRuns: 2000 })
})
