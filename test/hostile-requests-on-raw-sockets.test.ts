/**
 * Hostile requests, written byte by byte on a socket to the real proxy: each gets a
 * clean 4xx or a closed socket, nothing smuggled reaches the app, and the proxy
 * goes on serving everyone else.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { assertLogged, loggedEvents } from './helpers/logs.ts'
import { scrape } from './helpers/metrics.ts'
import { startStack, TRANSPARENT_APP, type RunningHttp } from './helpers/processes.ts'
import { appState, openSocket, readUntilClosed, sendRaw } from './helpers/sockets.ts'
import { waitUntil } from './helpers/wait-until.ts'

async function assertStillServes (proxy: RunningHttp, why: string): Promise<void> {
  const response = await get(`${proxy.url}/still-serving`)
  assert.equal(response.status, 200, `a normal request after ${why}`)
}

/** The status line of a raw reply, or "closed" when the proxy closed the socket without a word. */
function statusOf (reply: string): string {
  return reply === '' ? 'closed' : reply.slice(0, reply.indexOf('\r\n'))
}

interface Case { readonly name: string, readonly bytes: string, readonly answer: RegExp }

/** Sends each case on its own socket and checks the answer, that the app saw none of them, and that the proxy still serves. */
async function refuseEach (t: Parameters<typeof startStack>[0], cases: readonly Case[]): Promise<void> {
  const { app, proxy } = await startStack(t, TRANSPARENT_APP)
  for (const { name, bytes, answer } of cases) {
    const reply = await sendRaw(proxy.port, bytes)
    assert.match(statusOf(reply), answer, `${name}: ${JSON.stringify(reply.slice(0, 120))}`)
    assert.deepEqual((await appState(app)).requests.map((r) => r.url).filter((url) => url !== '/still-serving'), [], `${name}: nothing reached the app`)
    await assertStillServes(proxy, name)
  }
}

test('a Transfer-Encoding other than chunked is refused with 501 before anything reaches the app; chunked in any case is accepted', async (t) => {
  await refuseEach(t, ['gzip, chunked', 'identity', 'xchunked', 'chunked, identity', 'deflate'].map((coding) => ({
    name: `Transfer-Encoding: ${coding}`,
    bytes: `POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${coding}\r\n\r\n0\r\n\r\n`,
    answer: /^HTTP\/1\.1 (501|400) |^closed$/,
  })))

  const { proxy } = await startStack(t, TRANSPARENT_APP)
  const reply = await sendRaw(proxy.port, 'POST /echo-body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
  assert.match(reply, /^HTTP\/1\.1 200 /)
  assert.match(reply, /"bytes":5/)
})

test('conflicting framing (Content-Length with Transfer-Encoding, two Content-Lengths, a signed length) is refused with 400 and nothing, smuggled or not, reaches the app', async (t) => {
  const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'
  await refuseEach(t, [
    { name: 'CL then TE', bytes: `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${5 + smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, answer: /^HTTP\/1\.1 400 / },
    { name: 'TE then CL', bytes: `POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${smuggled}\r\n0\r\n\r\n`, answer: /^HTTP\/1\.1 400 / },
    { name: 'two different Content-Lengths', bytes: `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`, answer: /^HTTP\/1\.1 400 / },
    { name: 'the same Content-Length twice', bytes: 'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', answer: /^HTTP\/1\.1 400 / },
    { name: 'Content-Length: 5, 5', bytes: 'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello', answer: /^HTTP\/1\.1 400 / },
    { name: 'Content-Length: +5', bytes: 'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello', answer: /^HTTP\/1\.1 400 / },
    { name: 'Transfer-Encoding twice', bytes: 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', answer: /^HTTP\/1\.1 (400|501) / },
    { name: 'a space before the colon', bytes: 'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello', answer: /^HTTP\/1\.1 400 / },
    { name: 'an obs-folded header', bytes: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'a bare LF', bytes: 'GET / HTTP/1.1\nHost: a\n\n', answer: /^HTTP\/1\.1 400 / },
  ])
})

test('two Host headers are refused with 400, even when they agree', async (t) => {
  await refuseEach(t, [
    { name: 'two different Hosts', bytes: 'GET / HTTP/1.1\r\nHost: shop.example\r\nHost: admin.internal\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'the same Host twice', bytes: 'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'an empty Host and another', bytes: 'GET / HTTP/1.1\r\nHost:\r\nHost: b\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'two Hosts on an upgrade', bytes: 'GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'HTTP/1.1 with no Host', bytes: 'GET / HTTP/1.1\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
  ])
})

test('request targets that are not paths and invalid methods are refused with 400, HTTP versions other than 1.x with 505 (CONNECT: the socket is closed)', async (t) => {
  await refuseEach(t, [
    { name: 'absolute-form', bytes: 'GET http://admin.internal/secret HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'asterisk-form', bytes: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'CONNECT', bytes: 'CONNECT admin.internal:443 HTTP/1.1\r\nHost: admin.internal:443\r\n\r\n', answer: /^HTTP\/1\.1 400 |^closed$/ },
    { name: 'a NUL in the target', bytes: 'GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'a space in the target', bytes: 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'a method with a bad character', bytes: 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'an unknown method', bytes: 'FROB / HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'a lowercase method', bytes: 'get / HTTP/1.1\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 400 / },
    { name: 'HTTP/2 over cleartext', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', answer: /^HTTP\/1\.1 400 |^closed$/ },
    { name: 'a bad version', bytes: 'GET / HTTP/9.9\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 (400|505) / },
    { name: 'HTTP/2.0 as text', bytes: 'GET / HTTP/2.0\r\n\r\n', answer: /^HTTP\/1\.1 505 / },
    { name: 'HTTP/0.9', bytes: 'GET / HTTP/0.9\r\n\r\n', answer: /^HTTP\/1\.1 505 / },
    { name: 'no version (read as HTTP/0.9)', bytes: 'GET /\r\nHost: a\r\n\r\n', answer: /^HTTP\/1\.1 505 / },
  ])
})

test('huge headers, too many header lines or a huge cookie get 431 Request Header Fields Too Large', async (t) => {
  await refuseEach(t, [
    { name: 'a 20 KiB header', bytes: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, answer: /^HTTP\/1\.1 431 / },
    { name: 'a 20 KiB cookie', bytes: `GET / HTTP/1.1\r\nHost: a\r\nCookie: sessionid=${'a'.repeat(20 * 1024)}\r\n\r\n`, answer: /^HTTP\/1\.1 431 / },
    { name: '3000 small headers', bytes: `GET / HTTP/1.1\r\nHost: a\r\n${'X-N: 1\r\n'.repeat(3000)}\r\n`, answer: /^HTTP\/1\.1 431 / },
    { name: '2100 tiny headers in 10 KiB (Node keeps at most 2000: none may go missing silently)', bytes: `GET / HTTP/1.1\r\nHost: a\r\n${'a:1\r\n'.repeat(2100)}\r\n`, answer: /^HTTP\/1\.1 431 / },
    { name: 'a 20 KiB target', bytes: `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`, answer: /^HTTP\/1\.1 (431|414|400) / },
  ])
})

/** A GET whose request line and headers take `bytes` bytes, its path as long as it takes. */
function getOfSize (bytes: number): string {
  const head = (path: string): string => `GET /${path} HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n`
  return head('a'.repeat(bytes - head('').length))
}

test('a request line and headers over SUPERTRACE_MAX_HEADER_BYTES (15 KiB) get Node\'s own 431 from the proxy, logged at info with the limit and counted; up to it, the app takes them with the proxy\'s headers added', async (t) => {
  const { app, proxy } = await startStack(t, TRANSPARENT_APP)

  const atTheLimit = await sendRaw(proxy.port, getOfSize(15 * 1024))
  assert.match(statusOf(atTheLimit), /^HTTP\/1\.1 200 /, 'the app, on Node\'s default 16 KiB, takes it with x-request-id, traceparent and X-Forwarded-* added')
  for (const bytes of [15 * 1024 + 100, 16_300]) {
    const reply = await sendRaw(proxy.port, getOfSize(bytes))
    assert.equal(reply, 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n', `${bytes} bytes: the proxy's own answer, Node's bytes, not the app's`)
  }

  assert.equal((await appState(app)).requests.length, 1, 'only the request at the limit reached the app')
  await assertLogged(proxy, { level: 'info', msg: 'over SUPERTRACE_MAX_HEADER_BYTES (15360 bytes' })
  // The client sees the close before the proxy handles the parser's error, which it counts and then logs.
  await waitUntil('a line for each', () => loggedEvents(proxy.output).filter((event) => event.msg.includes('SUPERTRACE_MAX_HEADER_BYTES')).length === 2)
  assert.equal((await scrape(proxy.adminUrl)).get('supertrace_requests_total{status="431"}'), 2)
  assert.deepEqual(loggedEvents(proxy.output).filter((event) => event.level === 'warn' || event.level === 'error'), [], 'a visitor\'s long URL is no fault')
  await assertStillServes(proxy, 'the refusals')
})

test('malformed cookies reach the app byte for byte and harm nothing', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)
  const cookies = ['sessionid="unterminated; a=b=c; ;;; =novalue; noequals', `sessionid=${'x'.repeat(8000)}`, 'sessionid=%00%0d%0a%ZZ; sessionid=again', '{"json":true}; a=<script>']
  for (const cookie of cookies) {
    const reply = await sendRaw(proxy.port, `GET /echo HTTP/1.1\r\nHost: a\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`)
    assert.match(reply, /^HTTP\/1\.1 200 /)
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { rawHeaders: string[] }
    assert.equal(seen.rawHeaders[seen.rawHeaders.indexOf('Cookie') + 1], cookie)
  }
  await assertStillServes(proxy, 'malformed cookies')
})

test('a Connection header that names Host, Content-Length, the request ID, the trace context or X-Forwarded-* cannot remove them: the app still gets the client\'s Host and body and the proxy\'s own values', async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  const reply = await sendRaw(proxy.port, 'POST /echo-body HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\n' +
    'Connection: close, host, content-length, x-request-id, traceparent, tracestate, x-forwarded-for, x-forwarded-proto, x-forwarded-host\r\n\r\nhello')

  assert.match(reply, /^HTTP\/1\.1 200 /)
  const requestId = /\r\nx-request-id: ([0-9a-f]{32})\r\n/.exec(reply)?.[1]
  const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { bytes: number, headers: Record<string, string> }
  assert.equal(seen.bytes, 5)
  assert.equal(seen.headers.host, 'shop.example')
  assert.equal(seen.headers['content-length'], '5')
  assert.equal(seen.headers['x-request-id'], requestId)
  assert.match(seen.headers.traceparent ?? '', new RegExp(`^00-${requestId}-`))
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen.headers['x-forwarded-proto'], 'http')
  assert.equal(seen.headers['x-forwarded-host'], 'shop.example')
})

test('a slowloris client (silent, or dribbling its headers or its body) gets 408 or a closed socket at the configured timeouts, while other clients are served and a long event stream lives on', async (t) => {
  const { app, proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_HEADERS_TIMEOUT_MS: '400', SUPERTRACE_REQUEST_TIMEOUT_MS: '1200' } })
  // A response may outlast the request timeout: it bounds receiving the request, not answering it.
  const events = await openSocket(proxy.port)
  let streamed = ''
  events.on('data', (chunk: Buffer) => { streamed += chunk.toString() })
  events.write('GET /events HTTP/1.1\r\nHost: a\r\n\r\n')
  t.after(() => events.destroy())
  await waitUntil('the first event', () => streamed.includes('data: event 1'))

  // A connection that never sends a byte.
  const silent = await openSocket(proxy.port)
  const silentReply = readUntilClosed(silent)
  // Headers that never end: one more header line every 100 ms.
  const slowHeaders = await openSocket(proxy.port)
  const headersReply = readUntilClosed(slowHeaders)
  slowHeaders.write('GET /slow-headers HTTP/1.1\r\nHost: a\r\n')
  const dribble = setInterval(() => { if (slowHeaders.writable) slowHeaders.write('X-Slow: 1\r\n') }, 100)
  t.after(() => clearInterval(dribble))
  // A body that never ends: 10 of 100 bytes, then nothing.
  const slowBody = await openSocket(proxy.port)
  const bodyReply = readUntilClosed(slowBody)
  slowBody.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789')

  await assertStillServes(proxy, 'two slow clients connected')
  assert.match(statusOf(await silentReply), /^HTTP\/1\.1 408 |^closed$/)
  assert.match(statusOf(await headersReply), /^HTTP\/1\.1 408 |^closed$/)
  clearInterval(dribble)
  assert.match(statusOf(await bodyReply), /^HTTP\/1\.1 408 |^closed$/)
  await assertStillServes(proxy, 'the slow clients were cut')
  await get(`${app.url}/next-event?n=2`)
  await waitUntil('the second event, sent after both timeouts', () => streamed.includes('data: event 2'))

  const state = await appState(app)
  assert.ok(!state.requests.some((r) => r.url === '/slow-headers'), 'headers never finished: nothing reached the app')
  await waitUntil('the app to see the slow upload cut', async () => (await appState(app)).requests.find((r) => r.url === '/upload')?.aborted === true)
})

test('a client whose body breaks midway (a bad chunk, or a dropped connection) has its upstream request aborted: the app sees the body cut, never complete', async (t) => {
  const { app, proxy } = await startStack(t, TRANSPARENT_APP)

  const badChunk = await openSocket(proxy.port)
  const badReply = readUntilClosed(badChunk)
  badChunk.write('POST /upload?case=bad-chunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
  await waitUntil('the app to receive the first chunk', async () => (await appState(app)).requests.find((r) => r.url === '/upload?case=bad-chunk')?.bodyBytes === 5)
  badChunk.write('zz\r\nnot a chunk\r\n')
  assert.match(statusOf(await badReply), /^HTTP\/1\.1 400 |^closed$/)
  await waitUntil('the app to see the bad-chunk upload cut', async () => (await appState(app)).requests.find((r) => r.url === '/upload?case=bad-chunk')?.aborted === true)

  const dropped = await openSocket(proxy.port)
  dropped.write('POST /upload?case=dropped HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n0123456789')
  await waitUntil('the app to receive the first bytes', async () => (await appState(app)).requests.find((r) => r.url === '/upload?case=dropped')?.bodyBytes === 10)
  dropped.destroy()
  await waitUntil('the app to see the dropped upload cut', async () => (await appState(app)).requests.find((r) => r.url === '/upload?case=dropped')?.aborted === true)

  const { requests } = await appState(app)
  assert.ok(requests.every((r) => !r.url.startsWith('/upload') || !r.complete), 'no cut body looked complete to the app')
  await assertStillServes(proxy, 'two broken uploads')
})
