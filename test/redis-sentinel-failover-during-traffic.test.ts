import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { recordKey } from '../core/protocol.ts'
import { get, type RawResponse } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startApp, startProxy } from './helpers/processes.ts'
import { startRedisSentinels, type RunningSentinels } from './helpers/redis-topologies.ts'
import { waitUntil } from './helpers/wait-until.ts'

const failuresApp = `${repoRoot}test/apps/failures-app.js`
const ADMIN = 'sessionid=sentinel-admin-session'
/** Far longer than any bounded wait of the proxy: a response slower than this is a hang. */
const HANG_MS = 10_000

type Outcome = 'page with its record' | 'page without a record' | 'the app\'s own 500' | 'ok'

function withinHangLimit (response: Promise<RawResponse>, what: string): Promise<RawResponse> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} hung for ${HANG_MS} ms`)), HANG_MS) })
  return Promise.race([response, hung]).finally(() => clearTimeout(timer))
}

/** The two ways a master goes: it dies (SIGKILL), or an operator moves it (SENTINEL FAILOVER demotes it to a replica). */
const FAILOVERS = {
  'the master is killed': (redis: RunningSentinels) => { redis.master.process.child.kill('SIGKILL') },
  'an operator runs SENTINEL FAILOVER': async (redis: RunningSentinels) => { await redis.sentinels[0]?.client.call('SENTINEL', 'FAILOVER', redis.masterName) },
} as const

for (const [how, failover] of Object.entries(FAILOVERS)) {
  test(`behind Redis Sentinel, when ${how} during traffic nothing hangs or crashes: records from before the failover are found after it, and new failures are recorded and shown again`, { timeout: 120_000 }, (t) => failoverDuringTraffic(t, failover))
}

async function failoverDuringTraffic (t: TestContext, failover: (redis: RunningSentinels) => void | Promise<void>): Promise<void> {
  const redis = await startRedisSentinels(t)
  const env = { SUPERTRACE_REDIS_SENTINELS: redis.sentinelsSetting, SUPERTRACE_REDIS_SENTINEL_NAME: redis.masterName }
  const app = await startApp(t, redis, failuresApp, env)
  const proxy = await startProxy(t, app, redis, env)
  await redis.master.client.sadd('supertrace:superusers', 'sentinel-admin-session')

  const appsOwn = new Map<string, string>()
  /** What a request through the proxy got; anything else fails the test. */
  const outcomeOf = async (path: string, cookie: string): Promise<Outcome> => {
    const response = await withinHangLimit(get(`${proxy.url}${path}`, { cookie, accept: ACCEPT.text }), `GET ${path}`)
    if (path === '/ok') {
      assert.equal(response.status, 200, 'ordinary responses pass through whatever Redis does')
      return 'ok'
    }
    assert.equal(response.status, 500)
    if (response.headers['cache-control'] === 'no-store, private') {
      assert.equal(cookie, ADMIN, 'only the superuser ever gets a debug page')
      return /No record from the app/.test(response.text) ? 'page without a record' : 'page with its record'
    }
    if (!appsOwn.has(path)) appsOwn.set(path, (await get(`${app.url}${path}`)).text)
    assert.equal(response.text, appsOwn.get(path), `otherwise the app's own 500, byte for byte (${path})`)
    return 'the app\'s own 500'
  }

  const before = await get(`${proxy.url}/sync/2`, { cookie: ADMIN, accept: ACCEPT.text })
  assert.match(before.text, /findOrder/, 'before the failover, the superuser sees the record')
  const beforeId = String(before.headers['x-request-id'])
  assert.equal(await outcomeOf('/sync/3', 'sessionid=someone-else'), 'the app\'s own 500')
  // Sentinel replication is asynchronous: what the replica has not received is lost with the master.
  // (WAIT would only cover this test's own connection's writes, not the app's.)
  await waitUntil('the replica has the record', async () => await redis.replica.client.exists(recordKey(beforeId)) === 1)
  await waitUntil('the replica has the superuser', async () => await redis.replica.client.sismember('supertrace:superusers', 'sentinel-admin-session') === 1)

  const outcomes = new Map<Outcome, number>()
  let isRunning = true
  let sent = 0
  const traffic = (async () => {
    while (isRunning) {
      const n = sent++
      const [path, cookie] = n % 3 === 0 ? ['/ok', ADMIN] : n % 3 === 1 ? [`/sync/${n + 10}`, ADMIN] : [`/sync/${n + 10}`, 'sessionid=someone-else']
      const outcome = await outcomeOf(path, cookie)
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
  })()

  const startedAt = Date.now()
  await failover(redis)
  await waitUntil('the sentinels promote the replica', async () => await redis.masterPort() === redis.replica.port, 30_000)
  const failoverMs = Date.now() - startedAt
  // After SENTINEL FAILOVER, a client that reconnects while the sentinels still disagree can land on the old
  // master, which takes writes until the sentinels demote it about 10 s later (docs/record.md, "Sentinel").
  await waitUntil('a new failure is recorded and shown to the superuser again', async () => await outcomeOf(`/sync/${sent++ + 10}`, ADMIN) === 'page with its record', 30_000)
  const recoveredMs = Date.now() - startedAt
  isRunning = false
  await traffic
  t.diagnostic(`failover (start to new master named): ${failoverMs} ms; superuser sees records again after ${recoveredMs} ms; ${sent} requests: ${JSON.stringify(Object.fromEntries(outcomes))}`)

  assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
  assert.equal(app.child.exitCode, null, 'the app is still running')
  // Each sentinel announces the new master in turn, and each announcement reconnects the proxy: a lookup in that
  // moment fails closed, and this path then goes to the app (its 404). So the page is asked for until it is shown.
  let after: RawResponse | undefined
  await waitUntil('the record written before the failover is shown from the promoted replica', async () => {
    after = await get(`${proxy.url}/_supertrace/requests/${beforeId}`, { cookie: ADMIN, accept: ACCEPT.text })
    return after.status === 200
  })
  assert.match(after?.text ?? '', /findOrder/)
  // Not a given request among them: one written to an old master while the sentinels still disagreed is lost with its writes.
  await waitUntil('the recent failures are listed again', async () => {
    const list = await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN, accept: ACCEPT.json })
    return list.status === 200 && (JSON.parse(list.text) as { failures: unknown[] }).failures.length > 0
  })
}
