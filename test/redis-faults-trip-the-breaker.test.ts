import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, login, visible } from './helpers/http.ts'
import { freePort, startApp, startProxy, startRedis, startStack, type RunningHttp, type RunningRedis } from './helpers/processes.ts'

// node:test's timeout bounds each case: a lookup that waited on a hanging Redis without end would fail here.
const bounded = { timeout: 30_000 }

/** How many times Redis has run `command` since its stats were last reset. */
async function commandCalls (redis: RunningRedis, command: string): Promise<number> {
  const stats = await redis.client.info('commandstats')
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0)
}

/** Asks again until the superuser's 500 is the debug page (ioredis reconnects with a back-off of at most 1 s). */
async function debugPageOnceRedisAnswers (proxy: RunningHttp, cookie: string): Promise<string> {
  let page = await get(`${proxy.url}/orders/42`, { cookie })
  for (let i = 0; i < 100 && !page.text.includes('TypeError at'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    page = await get(`${proxy.url}/orders/42`, { cookie })
  }
  return page.text
}

test('with Redis hanging, once the breaker opens, superusers\' 500s and pages are answered as for anyone else without one more command reaching Redis', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t, {
    proxyEnv: { SUPERTRACE_REDIS_TIMEOUT_MS: '250', SUPERTRACE_BREAKER_FAILURES: '3', SUPERTRACE_BREAKER_COOLDOWN_MS: '600000' },
  })
  const cookie = await login(proxy.url, 'admin')
  const direct = await get(`${app.url}/maintenance`, { cookie })
  assert.match((await get(`${proxy.url}/orders/42`, { cookie })).text, /(TypeError|500) at \/orders\/42/, 'a debug page: the proxy\'s Redis connection is ready')
  await get(`${proxy.url}/maintenance`, { cookie: 'sessionid=nobody' }) // a lookup that succeeds: no failure counts before the pause
  await redis.client.config('RESETSTAT')
  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })

  // Three lookups time out (their SISMEMBERs wait in Redis's socket), and the breaker opens.
  for (let i = 0; i < 3; i++) assert.deepEqual(visible(await get(`${proxy.url}/maintenance`, { cookie })), visible(direct))
  assert.match(proxy.output, /the circuit breaker is open after 3 Redis failure\(s\) in a row/)
  // Five more: each the original 500, and none of them sends Redis a command.
  for (let i = 0; i < 5; i++) assert.deepEqual(visible(await get(`${proxy.url}/maintenance`, { cookie })), visible(direct))
  // The later-lookup pages too: not a superuser as far as the proxy can tell, so the path goes to the app.
  assert.equal((await get(`${proxy.url}/_supertrace/`, { cookie })).status, (await get(`${app.url}/_supertrace/`, { cookie })).status)
  // What an operator sees: /readyz still ready (Redis is never fatal) and naming the open breaker, and the gauge.
  const readyz = await get(`${proxy.adminUrl}/readyz`)
  assert.equal(readyz.status, 200)
  assert.equal((JSON.parse(readyz.text) as { breaker: string }).breaker, 'open')
  assert.match((await get(`${proxy.adminUrl}/metrics`)).text, /^supertrace_redis_breaker_state\{state="open"\} 1$/m)

  redis.child.kill('SIGCONT')
  await redis.client.ping() // Redis has run its queued commands by the time it answers a later one
  await redis.client.ping()
  assert.equal(await commandCalls(redis, 'sismember'), 3, 'only the lookups before the breaker opened reached Redis')
  assert.equal((proxy.output.match(/the superuser lookup failed/g) ?? []).length, 3, 'a skipped lookup is not logged one by one')
})

test('after a hang, the breaker lets one lookup through when its cooldown ends, and superusers see debug pages again by themselves', bounded, async (t) => {
  const { redis, proxy } = await startStack(t, {
    proxyEnv: { SUPERTRACE_REDIS_TIMEOUT_MS: '250', SUPERTRACE_BREAKER_FAILURES: '2', SUPERTRACE_BREAKER_COOLDOWN_MS: '300' },
  })
  const cookie = await login(proxy.url, 'admin')
  assert.match((await get(`${proxy.url}/orders/42`, { cookie })).text, /(TypeError|500) at \/orders\/42/, 'a debug page: the proxy\'s Redis connection is ready')
  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })
  for (let i = 0; i < 2; i++) assert.equal((await get(`${proxy.url}/orders/42`, { cookie })).status, 500)
  await proxy.waitFor('the circuit breaker is open')

  redis.child.kill('SIGCONT')

  assert.match(await debugPageOnceRedisAnswers(proxy, cookie), /TypeError at \/orders\/42/)
  assert.match(proxy.output, /Redis answers again: the circuit breaker is closed; \d+ Redis command\(s\) were skipped while it was open/)
})

test('with Redis killed mid-run, the breaker opens on the refused commands, and a restarted Redis on the same port brings debug pages back', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: { SUPERTRACE_BREAKER_FAILURES: '2', SUPERTRACE_BREAKER_COOLDOWN_MS: '300' } })
  const cookie = await login(proxy.url, 'admin')
  await redis.stop('SIGKILL')

  const direct = await get(`${app.url}/maintenance`, { cookie })
  for (let i = 0; i < 3; i++) assert.deepEqual(visible(await get(`${proxy.url}/maintenance`, { cookie })), visible(direct))
  assert.equal((await get(`${proxy.url}/hello`)).status, 200)
  assert.match(proxy.output, /the circuit breaker is open after 2 Redis failure\(s\)/)

  const restarted = await startRedis(t, redis.port)
  await restarted.client.sadd('supertrace:superusers', cookie.split('=')[1] ?? '')

  assert.match(await debugPageOnceRedisAnswers(proxy, cookie), /TypeError at \/orders\/42/)
  assert.match(proxy.output, /the circuit breaker is closed/)
})

for (const mode of ['set', 'lua'] as const) {
  test(`${mode} lookup: with Redis down at start-up, the proxy starts and serves 200s and the app's own 500s, and shows debug pages once Redis is up`, bounded, async (t) => {
    const port = await freePort()
    const redisUrl = { url: `redis://127.0.0.1:${port}` }
    const app = await startApp(t, redisUrl)
    const lua = { SUPERTRACE_LOOKUP: 'lua', SUPERTRACE_LOOKUP_SCRIPT: 'return redis.call("SISMEMBER", "supertrace:superusers", ARGV[1])' }
    const proxy = await startProxy(t, app, redisUrl, mode === 'lua' ? lua : {})
    const cookie = 'sessionid=boss'

    assert.equal((await get(`${proxy.url}/hello`)).status, 200)
    assert.deepEqual(visible(await get(`${proxy.url}/maintenance`, { cookie })), visible(await get(`${app.url}/maintenance`, { cookie })))
    if (mode === 'lua') assert.match(proxy.output, /Redis is not reachable yet: the lookup script \(SUPERTRACE_LOOKUP_SCRIPT\) is loaded when it is/)

    const redis = await startRedis(t, port)
    await redis.client.sadd('supertrace:superusers', 'boss')

    assert.match(await debugPageOnceRedisAnswers(proxy, cookie), /TypeError at \/orders\/42/)
  })
}

test('lua lookup: a script Redis refuses, found out only once Redis comes up after the proxy, is logged as ST_CONFIG and superusers get the original 500', bounded, async (t) => {
  const port = await freePort()
  const redisUrl = { url: `redis://127.0.0.1:${port}` }
  const app = await startApp(t, redisUrl)
  const proxy = await startProxy(t, app, redisUrl, { SUPERTRACE_LOOKUP: 'lua', SUPERTRACE_LOOKUP_SCRIPT: 'return redis.call(' })

  const redis = await startRedis(t, port)
  await redis.client.sadd('supertrace:superusers', 'boss')
  await proxy.waitFor('SUPERTRACE_LOOKUP_SCRIPT was refused by Redis')
  const proxied = await get(`${proxy.url}/maintenance`, { cookie: 'sessionid=boss' })

  assert.match(proxy.output, /ST_CONFIG/)
  assert.match(proxy.output, /the lookup script could not be loaded, so lookups fail closed/)
  assert.deepEqual(visible(proxied), visible(await get(`${app.url}/maintenance`, { cookie: 'sessionid=boss' })))
  assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
})
