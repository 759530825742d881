import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test, type TestContext } from 'node:test'
import { InterceptedStatuses } from '../proxy/forward/intercepted-statuses.ts'
import { get, visible } from './helpers/http.ts'
import { proxyBin, repoRoot, startStack } from './helpers/processes.ts'

const edgesApp = `${repoRoot}test/apps/edges-app.js`
const SUPERUSER = 'sessionid=boss'
const VISITOR = 'sessionid=nobody'
const bounded = { timeout: 30_000 }
// A loaded machine must not turn a superuser's lookup into a fail-closed original (SUPERTRACE_REDIS_TIMEOUT_MS is 250 by
// default) nor leave the page without its record (a record that arrives ends the wait at once).
const PATIENT = { SUPERTRACE_REDIS_TIMEOUT_MS: '5000', SUPERTRACE_TRACE_WAIT_MS: '5000' }

/** Redis with one superuser session, the edges app with the instrumentation, and the proxy with `proxyEnv`. */
function stack (t: TestContext, proxyEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof startStack> {
  return startStack(t, { appFile: edgesApp, superusers: ['boss'], proxyEnv: { ...PATIENT, ...proxyEnv } })
}

test('by default only a 500 becomes a debug page: a superuser\'s 503 is the app\'s own, byte for byte', bounded, async (t) => {
  const { app, proxy } = await stack(t)

  const direct = await get(`${app.url}/status?code=503`, { cookie: SUPERUSER })
  const proxied = await get(`${proxy.url}/status?code=503`, { cookie: SUPERUSER, accept: 'text/html' })
  const page = await get(`${proxy.url}/status?code=500`, { cookie: SUPERUSER, accept: 'application/json' })

  assert.equal(direct.status, 503)
  assert.deepEqual(visible(proxied), visible(direct))
  assert.equal(page.status, 500)
  assert.equal(JSON.parse(page.text).status, 500, 'the 500 is a debug page')
})

test('with SUPERTRACE_INTERCEPT_STATUSES=500-599 a superuser\'s 503 is a debug page with its record, anyone else gets the app\'s 503', bounded, async (t) => {
  const { app, proxy } = await stack(t, { SUPERTRACE_INTERCEPT_STATUSES: '500-599' })

  const page = await get(`${proxy.url}/status?code=503`, { cookie: SUPERUSER, accept: 'application/json' })
  const html = await get(`${proxy.url}/status?code=503`, { cookie: SUPERUSER, accept: 'text/html' })
  const direct = await get(`${app.url}/status?code=503`, { cookie: VISITOR })
  const visitor = await get(`${proxy.url}/status?code=503`, { cookie: VISITOR })
  const anonymous = await get(`${proxy.url}/status?code=503`)
  const notFound = await get(`${proxy.url}/status?code=404`, { cookie: SUPERUSER })

  assert.equal(page.status, 503)
  const report = JSON.parse(page.text) as { status: number, record: { requestId: string, response: { status: number } } | null, original: { status: number, bodyPreview: string } }
  assert.equal(report.status, 503)
  assert.ok(report.record !== null, 'the instrumentation stored a record for the 503 (it records every 5xx)')
  assert.equal(report.record.response.status, 503)
  assert.equal(report.record.requestId, page.headers['x-request-id'])
  assert.equal(report.original.bodyPreview, 'status 503 from the app\n', 'the page shows what the user saw')
  assert.match(html.text, /<h1>503 at \/status<\/h1>/)
  assert.deepEqual(visible(visitor), visible(direct), 'a session that is not a superuser\'s gets the app\'s 503')
  assert.deepEqual(visible(anonymous), visible(direct), 'no session at all: the app\'s 503')
  assert.equal(notFound.status, 404, 'a 4xx is never intercepted')
  assert.equal(notFound.text, 'status 404 from the app\n')
})

test('with SUPERTRACE_INTERCEPT_STATUSES=500,502-504 a 502 is a page, a 501 and a 505 are the app\'s', bounded, async (t) => {
  const { proxy } = await stack(t, { SUPERTRACE_INTERCEPT_STATUSES: '500,502-504' })

  const pages = await Promise.all([500, 502, 503, 504].map((code) => get(`${proxy.url}/status?code=${code}`, { cookie: SUPERUSER, accept: 'application/json' })))
  const passed = await Promise.all([501, 505].map((code) => get(`${proxy.url}/status?code=${code}`, { cookie: SUPERUSER, accept: 'application/json' })))

  for (const page of pages) assert.equal((JSON.parse(page.text) as { status: number }).status, page.status, `${page.status} is a debug page`)
  for (const response of passed) assert.equal(response.text, `status ${response.status} from the app\n`, `${response.status} is the app's own`)
})

test('a wrong SUPERTRACE_INTERCEPT_STATUSES stops start-up, naming the variable with a valid example', () => {
  for (const wrong of ['404', '5xx', '599-500', '500,,502', '500-600']) {
    const { status, stderr } = spawnSync(process.execPath, [proxyBin, 'proxy'], {
      env: { ...process.env, SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', SUPERTRACE_INTERCEPT_STATUSES: wrong },
      encoding: 'utf8',
      timeout: 10_000,
    })
    assert.equal(status, 78, `${wrong} is refused`)
    assert.match(stderr, new RegExp(`SUPERTRACE_INTERCEPT_STATUSES="${wrong}" is not valid: .*for example SUPERTRACE_INTERCEPT_STATUSES=500,502-504`))
  }
})

test('statuses and ranges are read as written, spaces allowed', () => {
  const statuses = InterceptedStatuses.parse('500, 502 - 504,599')
  assert.deepEqual([499, 500, 501, 502, 503, 504, 505, 598, 599, 600].filter((s) => statuses.includes(s)), [500, 502, 503, 504, 599])
  assert.equal(statuses.text, '500,502-504,599')
})
