import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test, type TestContext } from 'node:test'
import { gzipSync } from 'node:zlib'
import { Redactor } from '../core/redact.ts'
import { decodeBodyStart } from '../proxy/debug-page/decoded-body.ts'
import { buildReport } from '../proxy/debug-page/report.ts'
import { get, visible, type RawResponse } from './helpers/http.ts'
import { assertLogged } from './helpers/logs.ts'
import { repoRoot, startStack, type RunningHttp } from './helpers/processes.ts'

const edgesApp = `${repoRoot}test/apps/edges-app.js`
const SORRY = '<!doctype html><title>Sorry</title><h1>Sorry, something went wrong on our side.</h1>\n'
const SUPERUSER = 'sessionid=boss'
const VISITOR = 'sessionid=nobody'
const JSON_PAGE = { accept: 'application/json' }
const bounded = { timeout: 30_000 }
// A loaded machine must not turn a superuser's lookup into a fail-closed original (SUPERTRACE_REDIS_TIMEOUT_MS is 250 by default).
const PATIENT = { SUPERTRACE_REDIS_TIMEOUT_MS: '5000' }

interface PageReport {
  status: number
  missingRecord: string | null
  original: { status: number, headers: Array<[string, string]>, bodyPreview: string, bodyBytes: number, isBodyComplete: boolean, isBodyCut: boolean, decodedFrom?: string } | null
}

/** Redis with one superuser session, the edges app (no instrumentation: its bytes are exactly what it writes), and the proxy. */
function stack (t: TestContext, proxyEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof startStack> {
  return startStack(t, { appFile: edgesApp, nodeFlags: [], superusers: ['boss'], proxyEnv: { ...PATIENT, ...proxyEnv } })
}

function report (page: RawResponse): PageReport {
  assert.match(String(page.headers['content-type']), /^application\/json/, 'a debug page, in JSON')
  return JSON.parse(page.text) as PageReport
}

/** The proxy's log lines that name `requestId`. */
function logLines (proxy: RunningHttp, requestId: unknown): string[] {
  return proxy.output.split('\n').filter((line) => line.includes(String(requestId)))
}

test('a 500 longer than SUPERTRACE_MAX_BUFFER_BYTES reaches everyone as the app sent it, superusers included, and the log says why once', bounded, async (t) => {
  const { app, proxy } = await stack(t, { SUPERTRACE_MAX_BUFFER_BYTES: '10000', SUPERTRACE_TRACE_WAIT_MS: '5000' })

  for (const path of ['/long-500?bytes=300000', '/long-500?bytes=300000&chunked=1']) {
    const direct = await get(`${app.url}${path}`)
    assert.equal(direct.body.length, 300_000)
    for (const cookie of [undefined, VISITOR, SUPERUSER]) {
      const proxied = await get(`${proxy.url}${path}`, cookie === undefined ? {} : { cookie, ...JSON_PAGE })
      assert.deepEqual(visible(proxied), visible(direct), `${path} for ${cookie ?? 'no session'}: status, headers and every byte`)
    }
    const superuser = await get(`${proxy.url}${path}`, { cookie: SUPERUSER })
    const lines = logLines(proxy, superuser.headers['x-request-id'])
    assert.equal(lines.length, 1, `one log line for ${path}: ${lines.join('\n')}`)
    assert.match(lines[0] ?? '', /without a debug page: .*SUPERTRACE_MAX_BUFFER_BYTES \(10000 bytes\)/)
  }
  const head = await get(`${proxy.url}/long-500?bytes=300000`, { cookie: SUPERUSER, accept: 'text/html' }, 'HEAD')
  assert.match(String(head.headers['content-security-policy']), /default-src 'none'/, 'a HEAD has no body to hold: a superuser still gets the page\'s headers')
})

test('a 500 within SUPERTRACE_MAX_BUFFER_BYTES is still a superuser\'s debug page', bounded, async (t) => {
  const { proxy } = await stack(t, { SUPERTRACE_MAX_BUFFER_BYTES: '10000', SUPERTRACE_TRACE_WAIT_MS: '100' })

  const page = report(await get(`${proxy.url}/long-500?bytes=9000&chunked=1`, { cookie: SUPERUSER, ...JSON_PAGE }))

  assert.equal(page.original?.bodyBytes, 9000)
  assert.equal(page.original?.isBodyComplete, true)
})

for (const coding of ['gzip', 'br']) {
  test(`a ${coding}-compressed 500 reaches anyone but a superuser untouched; a superuser's page shows it decoded`, bounded, async (t) => {
    const { app, proxy } = await stack(t)
    const path = `/${coding}-500`

    const direct = await get(`${app.url}${path}`)
    const anonymous = await get(`${proxy.url}${path}`)
    const visitor = await get(`${proxy.url}${path}`, { cookie: VISITOR })
    const page = report(await get(`${proxy.url}${path}`, { cookie: SUPERUSER, ...JSON_PAGE }))
    const html = await get(`${proxy.url}${path}`, { cookie: SUPERUSER, accept: 'text/html' })

    assert.equal(direct.headers['content-encoding'], coding)
    assert.deepEqual(visible(anonymous), visible(direct), 'the compressed bytes and Content-Encoding, untouched')
    assert.deepEqual(visible(visitor), visible(direct))
    assert.equal(page.original?.bodyPreview, SORRY, 'the page shows the app\'s 500 as text, not compressed bytes')
    assert.equal(page.original?.decodedFrom, coding)
    assert.equal(page.original?.bodyBytes, direct.body.length, 'and says how many coded bytes the user got')
    assert.match(html.text, new RegExp(`${coding}-coded, shown decoded`))
    assert.match(html.text, /Sorry, something went wrong on our side\./)
  })
}

test('a 500 labelled gzip that does not decode is shown as a count of coded bytes, never as garbage text; a huge one is decoded only as far as the page shows', async () => {
  const notGzip = Buffer.from('\x00\x01plainly not gzip')
  const decoded = await decodeBodyStart(notGzip, 'gzip', 4096)
  const built = buildReport({
    requestId: '0'.repeat(32),
    request: { method: 'GET', url: '/x' },
    status: 500,
    record: null,
    missingRecord: null,
    original: { status: 500, statusMessage: undefined, headers: [['content-encoding', 'gzip']], body: notGzip, bodyBytes: notGzip.length, isBodyComplete: true, ...(decoded === undefined ? {} : { decodedBody: decoded }) },
  }, { sourceUrl: undefined, redaction: new Redactor(), pagesPrefix: '/_supertrace' })
  assert.equal(decoded, undefined)
  assert.equal(built.original?.bodyPreview, `(${notGzip.length} bytes, gzip-encoded)`)
  assert.equal((await decodeBodyStart(gzipSync(Buffer.alloc(10_000_000)), 'gzip', 4096))?.length, 4096)
})

test('a 500 to HEAD has no body, for anyone; a superuser gets the page\'s headers without its body', bounded, async (t) => {
  const { app, proxy } = await stack(t)

  const direct = await get(`${app.url}/status?code=500`, {}, 'HEAD')
  const anonymous = await get(`${proxy.url}/status?code=500`, {}, 'HEAD')
  const visitor = await get(`${proxy.url}/status?code=500`, { cookie: VISITOR }, 'HEAD')
  const superuser = await get(`${proxy.url}/status?code=500`, { cookie: SUPERUSER, accept: 'text/html' }, 'HEAD')
  const page = await get(`${proxy.url}/status?code=500`, { cookie: SUPERUSER, accept: 'text/html' })

  assert.equal(direct.status, 500)
  assert.equal(direct.body.length, 0)
  assert.deepEqual(visible(anonymous), visible(direct))
  assert.deepEqual(visible(visitor), visible(direct))
  assert.equal(superuser.status, 500)
  assert.equal(superuser.body.length, 0, 'no body on HEAD')
  assert.match(String(superuser.headers['content-type']), /^text\/html/, 'the page\'s headers')
  assert.match(String(superuser.headers['content-security-policy']), /default-src 'none'/)
  assert.ok(Number(superuser.headers['content-length']) > 1000, 'the length the page would have')
  assert.equal(page.status, 500)
  assert.match(page.text, /<h1>The record of GET \/status is on its way<\/h1>/, 'the app marks nothing: no record has come')
})

for (const framing of ['length', 'chunked', 'close']) {
  test(`a 500 with no body (${framing === 'length' ? 'Content-Length: 0' : framing === 'chunked' ? 'an empty chunked body' : 'no Content-Length, ended by closing'}) is empty for anyone, and a superuser's page says so`, bounded, async (t) => {
    const { app, proxy } = await stack(t)
    const path = `/empty-500?framing=${framing}`

    const direct = await get(`${app.url}${path}`)
    const responses = [await get(`${proxy.url}${path}`), await get(`${proxy.url}${path}`, { cookie: VISITOR })]
    const page = report(await get(`${proxy.url}${path}`, { cookie: SUPERUSER, ...JSON_PAGE }))

    assert.equal(direct.status, 500)
    for (const response of responses) {
      assert.equal(response.status, 500)
      assert.equal(response.statusMessage, 'Internal Server Error')
      assert.equal(response.headers['x-app'], 'edges', 'the app\'s headers')
      assert.equal(response.body.length, 0, 'no body')
    }
    assert.equal(page.status, 500)
    assert.equal(page.original?.bodyBytes, 0)
    assert.equal(page.original?.bodyPreview, '')
    assert.equal(page.original?.isBodyComplete, true)
  })
}

/** A GET whose outcome is how it ended: a whole response, or the connection cut under it. */
function getOutcome (url: string, cookie?: string): Promise<{ ended: 'complete' | 'cut', status: number, requestId: string, body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: cookie === undefined ? {} : { cookie, ...JSON_PAGE } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      const outcome = (ended: 'complete' | 'cut'): void => resolve({ ended, status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']), body: Buffer.concat(chunks) })
      res.on('end', () => outcome('complete'))
      res.on('error', () => outcome('cut'))
    })
    req.on('error', reject)
    req.end()
  })
}

for (const framing of ['length', 'chunked']) {
  test(`the app closing its connection mid-body of a 500 (${framing}) cuts the client's response too; a superuser's page says the body was cut, and the log how far the 500 got`, bounded, async (t) => {
    const { proxy } = await stack(t, { SUPERTRACE_TRACE_WAIT_MS: '1500' })
    const path = `/cut-500?framing=${framing}`

    const anonymous = await getOutcome(`${proxy.url}${path}`)
    const visitor = await getOutcome(`${proxy.url}${path}`, VISITOR)
    const [superuser, html] = await Promise.all([getOutcome(`${proxy.url}${path}`, SUPERUSER), get(`${proxy.url}${path}`, { cookie: SUPERUSER, accept: 'text/html' })])

    for (const [who, outcome] of [['no session', anonymous], ['a visitor', visitor]] as const) {
      assert.equal(outcome.ended, 'cut', `${who}: the response is cut, never complete-looking`)
      assert.equal(outcome.status, 500)
      assert.ok(outcome.body.every((byte) => byte === 0x63), `${who}: only the app's bytes`)
    }
    assert.equal(superuser.ended, 'complete', `the superuser gets a whole page; the proxy's log:\n${proxy.output}`)
    const page = JSON.parse(superuser.body.toString()) as PageReport
    assert.equal(page.original?.isBodyCut, true, 'the page says the app broke off the body')
    assert.equal(page.original?.bodyPreview, 'c'.repeat(100))
    assert.match(html.text, /100 bytes, cut off: the app closed the connection mid-body/)
    const howFar = `The app closed the connection after it sent the 500's headers and 100 bytes of its body ${framing === 'length' ? '(Content-Length: 1000)' : '(chunked, before the last chunk)'}`
    for (const { requestId } of [anonymous, visitor, superuser]) {
      await assertLogged(proxy, { requestId, level: 'error', code: 'ST_UPSTREAM', error: howFar })
      assert.equal(logLines(proxy, requestId).length, 1, `logged once:\n${proxy.output}`)
    }
  })
}
