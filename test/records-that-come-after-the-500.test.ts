import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { LIMITS } from '../proxy/limits.ts'
import { get, type RawResponse } from './helpers/http.ts'
import { scrape } from './helpers/metrics.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startProxy, startStack, type RunningHttp } from './helpers/processes.ts'
import { recordFromSpans, storeRecord } from './helpers/records.ts'
import { assertNoSecret } from './helpers/secrets.ts'
import { assertAppsOwn500 } from './helpers/superusers.ts'

// An app that exports its spans by OTLP, as a Django app does: its 500s carry no record marker, and the
// record comes later (the tests store it as supertrace ingest would, through the writer's contract).
const UNMARKED_APP = { appFile: `${repoRoot}test/apps/unmarked-500-app.js`, nodeFlags: [] } as const
const SESSION = 'late-records-admin-session'
const SECRETS = { authorization: 'AUTH-SECRET-111', apiKey: 'APIKEY-SECRET-222', csrf: 'CSRF-SECRET-333', query: 'QUERY-SECRET-444', session: SESSION } as const
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const NO_CHROMIUM = existsSync(CHROMIUM) || process.env.CI !== undefined ? false : `no Chromium at ${CHROMIUM} (npm test installs it)`

/** A superuser's request, carrying secrets in every place a request can, beside harmless values. */
function asSuperuser (accept: string): Record<string, string> {
  return {
    accept,
    cookie: `sessionid=${SESSION}; csrftoken=${SECRETS.csrf}; theme=dark`,
    authorization: `Bearer ${SECRETS.authorization}`,
    'x-api-key': SECRETS.apiKey,
    'x-shop-client': 'checkout-v2',
  }
}

/** The trace ID the app got for `path` (the proxy's request ID), once the request has reached it. */
async function traceIdOf (app: RunningHttp, path: string): Promise<string> {
  const line = new RegExp(`failing ${path.replaceAll('?', '\\?')} in trace ([0-9a-f]{32})`)
  await app.waitUntil(`the app has received ${path}`, async () => line.test(app.output))
  return line.exec(app.output)?.[1] ?? ''
}

/** The page shows the request's headers and cookies as the proxy saw them, and none of its secrets. */
function assertProxyView (page: RawResponse, where: string): void {
  // JSON on one line, so that a pair reads as one.
  const text = String(page.headers['content-type']).startsWith('application/json') ? JSON.stringify(JSON.parse(page.text)) : page.text
  assert.match(text, /x-shop-client[^\n]*checkout-v2/i, `${where}: the request's headers as the proxy saw them`)
  assert.match(text, /theme[^\n]*dark/, `${where}: and its cookies`)
  assertNoSecret(SECRETS, page.text, where)
}

test('a superuser whose record arrives within the wait gets the debug page, with the request as the proxy saw it', async (t) => {
  const { redis, app, proxy } = await startStack(t, { ...UNMARKED_APP, superusers: [SESSION], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '20000' } })
  const path = `/orders/7?token=${SECRETS.query}`

  const answered = get(`${proxy.url}${path}`, asSuperuser(ACCEPT.text))
  const requestId = await traceIdOf(app, path)
  await storeRecord(redis, recordFromSpans(requestId, '/orders/7', '\'total\''))
  const page = await answered

  assert.equal(page.status, 500)
  assert.equal(page.headers['x-request-id'], requestId)
  assert.match(page.text, /KeyError: 'total'/)
  assert.match(page.text, /orders\/views\.py/)
  assert.doesNotMatch(page.text, /on its way/)
  assertProxyView(page, 'the live page')
})

test('a superuser whose record comes after the wait gets the "on its way" page, and a browser following its refresh, with no script, ends on the record\'s page', { skip: NO_CHROMIUM, timeout: 90_000 }, async (t) => {
  const { redis, proxy } = await startStack(t, { ...UNMARKED_APP, superusers: [SESSION], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '200' } })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'] })
  t.after(() => browser.close())
  const context = await browser.newContext({ javaScriptEnabled: false })
  await context.addCookies([{ name: 'sessionid', value: SESSION, url: proxy.url }])
  const page = await context.newPage()

  const forwarded = page.waitForRequest(/\/_supertrace\/requests\/[0-9a-f]{32}\?wait=1$/)
  const first = await page.goto(`${proxy.url}/orders/42`, { waitUntil: 'commit' })
  assert.equal(first?.status(), 500)
  const requestId = first?.headers()['x-request-id'] ?? ''
  assert.equal((await forwarded).url(), `${proxy.url}/_supertrace/requests/${requestId}?wait=1`, 'the "on its way" page forwards to the record\'s page')
  // The record comes while that page waits for it.
  await storeRecord(redis, recordFromSpans(requestId, '/orders/42', '\'total\''))

  await page.locator('header .message', { hasText: '\'total\'' }).waitFor()
  assert.equal(page.url(), `${proxy.url}/_supertrace/requests/${requestId}?wait=1`)
  assert.match(await page.title(), /^KeyError at \/orders\/42/)
})

test('a record that never comes: the "on its way" page in every format, each hop forwarding to the next, then a page that says none arrived and what to check', { timeout: 60_000 }, async (t) => {
  const { redis, app, proxy } = await startStack(t, { ...UNMARKED_APP, superusers: [SESSION], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '100' } })
  const before = await scrape(proxy.adminUrl)

  const live = await get(`${proxy.url}/orders/8?token=${SECRETS.query}`, asSuperuser(ACCEPT.html))
  const requestId = String(live.headers['x-request-id'])
  const permanent = `/_supertrace/requests/${requestId}`
  assert.equal(live.status, 500)
  assert.equal(live.headers['cache-control'], 'no-store, private')
  assert.match(String(live.headers['content-security-policy']), /^default-src 'none'/)
  assert.match(live.text, /<title>The record of GET \/orders\/8 is on its way<\/title>/)
  assert.match(live.text, /No record arrived within 100 ms/)
  assert.match(live.text, /OTEL_BSP_SCHEDULE_DELAY=100/)
  assert.ok(live.text.includes(`<meta http-equiv="refresh" content="0;url=${permanent}?wait=1">`), 'forwards by a meta refresh')
  assert.ok(live.text.includes(`<a href="${permanent}?wait=1">`), 'and a link')
  assert.doesNotMatch(live.text, /<script/, 'no script')
  assert.match(live.text, /Server Error \(500\)/, 'what the user saw')
  assertProxyView(live, 'the live HTML page')
  for (const accept of [ACCEPT.text, ACCEPT.markdown, ACCEPT.json]) {
    const other = await get(`${proxy.url}/orders/8?token=${SECRETS.query}`, asSuperuser(accept))
    assert.equal(other.status, 500)
    assert.match(other.text, /on its way/, accept)
    assert.match(other.text, /\/_supertrace\/requests\/[0-9a-f]{32}\?wait=1/, `${accept}: where the record will be`)
    assertProxyView(other, `the live page as ${accept}`)
  }
  const json = JSON.parse((await get(`${proxy.url}/orders/8`, asSuperuser(ACCEPT.json))).text) as { state: string, next: string, proxyView: { method: string } }
  assert.equal(json.state, 'waiting')
  assert.equal(json.proxyView.method, 'GET')

  const hop = await get(`${proxy.url}${permanent}?wait=1`, { cookie: `sessionid=${SESSION}`, accept: ACCEPT.html })
  assert.equal(hop.status, 404)
  assert.ok(hop.text.includes(`<meta http-equiv="refresh" content="0;url=${permanent}?wait=2">`), 'each hop forwards to the next')
  assertProxyView(hop, 'a hop of the record\'s page')

  const last = await get(`${proxy.url}${permanent}?wait=${LIMITS.recordWaitHops}`, { cookie: `sessionid=${SESSION}`, accept: ACCEPT.html })
  assert.equal(last.status, 404)
  assert.match(last.text, /<title>No record arrived for GET \/orders\/8<\/title>/)
  assert.doesNotMatch(last.text, /http-equiv="refresh"|\?wait=/, 'the last hop forwards nowhere')
  for (const check of ['supertrace ingest', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'token', 'same Redis']) assert.ok(last.text.includes(check), `it says what to check: ${check}`)
  assertProxyView(last, 'the last hop')

  const replica = await startProxy(t, app, redis)
  const elsewhere = await get(`${replica.url}${permanent}?wait=${LIMITS.recordWaitHops + 1}`, { cookie: `sessionid=${SESSION}`, accept: ACCEPT.text })
  assert.equal(elsewhere.status, 404)
  assert.match(elsewhere.text, /No record arrived for request [0-9a-f]{32}/)
  assert.match(elsewhere.text, /This proxy did not see the request/, 'a replica that did not see the request says so')

  const after = await scrape(proxy.adminUrl)
  const grew = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0)
  assert.equal(grew('supertrace_debug_pages_total{page="pending"}'), 6, 'four formats, one more JSON, one hop')
  assert.equal(grew('supertrace_debug_pages_total{page="no_record"}'), 1)
  assert.equal(grew('supertrace_debug_pages_total{page="live"}'), 0)
})

test('anyone not a superuser gets the app\'s own 500 byte for byte, with no wait and no record read, and the record\'s pages go to the app', async (t) => {
  const { redis, app, proxy } = await startStack(t, { ...UNMARKED_APP, superusers: [SESSION], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '5000' } })
  await redis.client.config('RESETSTAT')

  await assertAppsOwn500(proxy.url, app.url, '/orders/9', 'theme=dark', 'no session cookie')
  await assertAppsOwn500(proxy.url, app.url, '/orders/9', 'sessionid=someone-else', 'a session that is not a superuser\'s')
  await assertAppsOwn500(proxy.url, app.url, `/_supertrace/requests/${'ab'.repeat(16)}?wait=1`, 'sessionid=someone-else', 'a record\'s page')

  const commands = await redis.client.info('commandstats')
  assert.doesNotMatch(commands, /^cmdstat_get:/m, 'no record was read')
  assert.equal((await scrape(proxy.adminUrl)).get('supertrace_record_wait_seconds_count'), 0, 'nobody waited for a record')
})

test('with Redis down, a superuser\'s unmarked 500 is the app\'s own, and the record\'s pages go to the app', async (t) => {
  const { redis, app, proxy } = await startStack(t, { ...UNMARKED_APP, superusers: [SESSION] })
  await redis.stop('SIGKILL')

  await assertAppsOwn500(proxy.url, app.url, '/orders/10', `sessionid=${SESSION}`, 'Redis down')
  await assertAppsOwn500(proxy.url, app.url, `/_supertrace/requests/${'cd'.repeat(16)}?wait=1`, `sessionid=${SESSION}`, 'Redis down, a record\'s page')
})
