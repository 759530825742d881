import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request, type ClientRequest } from 'node:http'
import { test, type TestContext } from 'node:test'
import { loadProxyConfig } from '../proxy/config.ts'
import { startProxy as startProxyHere } from '../proxy/start.ts'
import { get } from './helpers/http.ts'
import { freePort, repoRoot, startApp, startRedis, type RunningRedis } from './helpers/processes.ts'
import { waitUntil } from './helpers/wait-until.ts'

// The proxy runs inside this test process, so that what a hung-up request could leave
// behind (a record wait's timer, a pending lookup) can be counted with
// process.getActiveResourcesInfo(). Its upstream, Redis and clients are real processes and sockets.

const edgesApp = `${repoRoot}test/apps/edges-app.js`
const HANG_UPS = 200
const AT_ONCE = 20

function activeTimers (): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
}

/** Gives the proxy `ms` to see the last hang-ups; a leak keeps the count up for longer (the waits are 60 s, a record page's hop 5 s). */
async function settled (baseline: number, ms = 5000): Promise<number> {
  for (let i = 0; i < ms / 100 && activeTimers() > baseline; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  return activeTimers()
}

async function inProcessStack (t: TestContext, env: NodeJS.ProcessEnv): Promise<{ redis: RunningRedis, appUrl: string, proxyUrl: string }> {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', 'boss')
  const app = await startApp(t, redis, edgesApp, {}, [])
  const config = loadProxyConfig({
    SUPERTRACE_UPSTREAM: app.url,
    SUPERTRACE_HOST: '127.0.0.1',
    SUPERTRACE_PORT: String(await freePort()),
    SUPERTRACE_ADMIN_PORT: String(await freePort()),
    SUPERTRACE_REDIS_URL: redis.url,
    ...env,
  })
  const proxy = await startProxyHere(config)
  t.after(() => proxy.close())
  return { redis, appUrl: app.url, proxyUrl: proxy.url }
}

const SUPERUSER = { cookie: 'sessionid=boss', accept: 'application/json' }

/**
 * The pool's connections and Redis's are open before the baseline is taken: a 200 through, and a
 * superuser's page that answers at once (a 500 would wait its SUPERTRACE_TRACE_WAIT_MS for a record).
 */
async function warmUp (proxyUrl: string): Promise<void> {
  assert.equal((await get(`${proxyUrl}/status?code=200`)).status, 200)
  assert.equal((await get(`${proxyUrl}/_supertrace/`, SUPERUSER)).status, 200)
}

/** Sends a superuser's request and returns it unanswered; the caller hangs it up. */
function superuserRequest (url: string): ClientRequest {
  const req = request(url, { agent: false, headers: SUPERUSER })
  req.on('error', () => {})
  req.end()
  return req
}

async function redisCalls (redis: RunningRedis, command: string): Promise<number> {
  const stats = await redis.client.info('commandstats')
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
}

test(`${HANG_UPS} superusers who hang up while the proxy waits for their record leave no wait behind, and the proxy serves the next request`, { timeout: 60_000 }, async (t) => {
  const { redis, proxyUrl } = await inProcessStack(t, { SUPERTRACE_TRACE_WAIT_MS: '60000', SUPERTRACE_REDIS_TIMEOUT_MS: '5000' })
  await warmUp(proxyUrl)
  const baseline = activeTimers()

  for (let sent = 0; sent < HANG_UPS; sent += AT_ONCE) {
    const reads = await redisCalls(redis, 'get')
    const waiting = Array.from({ length: AT_ONCE }, () => superuserRequest(`${proxyUrl}/announced-500`))
    // Each superuser's 500 reads its record once (GET) before it waits for it: then every one of them is waiting.
    await waitUntil('the proxy waits for every record', async () => await redisCalls(redis, 'get') >= reads + AT_ONCE, 5_000)
    assert.ok(activeTimers() >= baseline + AT_ONCE, 'the waits are counted (the check below could see a leak)')
    for (const req of waiting) req.destroy()
  }

  assert.ok(await settled(baseline) <= baseline, `no record wait outlives its client: ${activeTimers()} timers, ${baseline} before`)
  assert.equal((await get(`${proxyUrl}/_supertrace/`, SUPERUSER)).status, 200, 'the next superuser still gets a page')
})

test(`${HANG_UPS} superusers who hang up while the superuser lookup is stuck leave nothing behind once Redis answers`, { timeout: 60_000 }, async (t) => {
  const { redis, appUrl, proxyUrl } = await inProcessStack(t, { SUPERTRACE_TRACE_WAIT_MS: '60000', SUPERTRACE_REDIS_TIMEOUT_MS: '60000' })
  await warmUp(proxyUrl)
  const baseline = activeTimers()
  const served = async (): Promise<number> => Number((await get(`${appUrl}/served`)).text)

  redis.child.kill('SIGSTOP') // every lookup now hangs until Redis resumes
  t.after(() => { redis.child.kill('SIGCONT') })
  const before = await served()
  const stuck = Array.from({ length: HANG_UPS }, () => superuserRequest(`${proxyUrl}/announced-500`))
  // The app has answered them all: the proxy holds each 500 while it asks the paused Redis.
  await waitUntil('the app answered every request', async () => await served() >= before + HANG_UPS, 5_000)
  for (const req of stuck) req.destroy()
  redis.child.kill('SIGCONT')

  // Were a hung-up 500 to go on once its lookup said yes, it would wait 60 s for a record that never comes.
  assert.ok(await settled(baseline) <= baseline, `nothing outlives its client: ${activeTimers()} timers, ${baseline} before`)
  assert.equal((await get(`${proxyUrl}/_supertrace/`, SUPERUSER)).status, 200, 'the next superuser still gets a page')
})

test(`${HANG_UPS} superusers who hang up while the proxy waits for the record of a request the app reset leave no wait behind`, { timeout: 60_000 }, async (t) => {
  const { redis, proxyUrl } = await inProcessStack(t, { SUPERTRACE_TRACE_WAIT_MS: '60000', SUPERTRACE_REDIS_TIMEOUT_MS: '5000' })
  await warmUp(proxyUrl)
  const baseline = activeTimers()

  for (let sent = 0; sent < HANG_UPS; sent += AT_ONCE) {
    const reads = await redisCalls(redis, 'get')
    // The app resets each connection: the proxy's 502 page waits for a record the app might have stored.
    const waiting = Array.from({ length: AT_ONCE }, () => superuserRequest(`${proxyUrl}/reset`))
    await waitUntil('the proxy waits for every record', async () => await redisCalls(redis, 'get') >= reads + AT_ONCE, 5_000)
    for (const req of waiting) req.destroy()
  }

  assert.ok(await settled(baseline) <= baseline, `no record wait outlives its client: ${activeTimers()} timers, ${baseline} before`)
  assert.equal((await get(`${proxyUrl}/_supertrace/`, SUPERUSER)).status, 200, 'the next superuser still gets a page')
})

test(`${HANG_UPS} superusers who hang up while a record's page waits for a record not yet stored leave no wait behind`, { timeout: 60_000 }, async (t) => {
  const { redis, proxyUrl } = await inProcessStack(t, { SUPERTRACE_REDIS_TIMEOUT_MS: '5000' })
  await warmUp(proxyUrl)
  const baseline = activeTimers()

  for (let sent = 0; sent < HANG_UPS; sent += AT_ONCE) {
    const reads = await redisCalls(redis, 'get')
    // The "on its way" page forwards here: each page reads the record once (GET), then waits up to 5 s for it.
    const waiting = Array.from({ length: AT_ONCE }, () => superuserRequest(`${proxyUrl}/_supertrace/requests/${randomBytes(16).toString('hex')}?wait=1`))
    await waitUntil('every page waits for its record', async () => await redisCalls(redis, 'get') >= reads + AT_ONCE, 5_000)
    for (const req of waiting) req.destroy()
  }

  // Less than a hop's 5 s: a wait the hang-up did not end would still be counted.
  assert.ok(await settled(baseline, 1000) <= baseline, `no wait outlives its client: ${activeTimers()} timers, ${baseline} before`)
  assert.equal((await get(`${proxyUrl}/_supertrace/`, SUPERUSER)).status, 200, 'the next superuser still gets a page')
})
