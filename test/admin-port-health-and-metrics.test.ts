import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { ProxyMetrics } from '../proxy/operations/metrics.ts'
import { get, login, visible } from './helpers/http.ts'
import { scrape } from './helpers/metrics.ts'
import { exampleApp, proxyBin, startApp, startProxy, startStack } from './helpers/processes.ts'

const bounded = { timeout: 30_000 }

/** Asks /readyz until `isDone` holds (the upstream's answer is kept a second; ioredis notices a dead Redis on its own time). */
async function readyzUntil (adminUrl: string, isDone: (status: number, body: Record<string, unknown>) => boolean): Promise<{ status: number, body: Record<string, unknown> }> {
  for (let i = 0; ; i++) {
    const response = await get(`${adminUrl}/readyz`)
    const body = JSON.parse(response.text) as Record<string, unknown>
    if (isDone(response.status, body) || i === 100) return { status: response.status, body }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test('the admin port answers /healthz, /readyz and /metrics, and nothing else; on the public port those paths are the app\'s like any other', bounded, async (t) => {
  const { app, proxy } = await startStack(t)

  const healthz = await get(`${proxy.adminUrl}/healthz`)
  assert.equal(healthz.status, 200)
  assert.deepEqual(JSON.parse(healthz.text), { status: 'alive', pid: proxy.child.pid })
  const readyz = await get(`${proxy.adminUrl}/readyz`)
  assert.equal(readyz.status, 200)
  assert.deepEqual(JSON.parse(readyz.text), { ready: true, serving: true, upstream: 'reachable', redis: 'ready', breaker: 'closed' })
  assert.ok((await scrape(proxy.adminUrl)).has('process_cpu_user_seconds_total'), 'the default process metrics are there')
  assert.equal((await get(`${proxy.adminUrl}/healthz`, {}, 'HEAD')).status, 200)

  for (const path of ['/healthz', '/readyz', '/metrics', '/metrics?format=json']) {
    const proxied = await get(`${proxy.url}${path}`)
    const direct = await get(`${app.url}${path}`)
    assert.equal(proxied.status, 404, `${path} on the public port is the app's 404`)
    assert.deepEqual(visible(proxied), visible(direct), `${path} on the public port goes to the app`)
    assert.ok(!proxied.text.includes('supertrace_'), `${path} on the public port shows no metric`)
  }
  for (const path of ['/', '/hello', '/orders/42', '/_supertrace/', '/healthz/', '/metricsx']) {
    const response = await get(`${proxy.adminUrl}${path}`)
    assert.equal(response.status, 404, `${path} on the admin port is a 404`)
    assert.match(response.text, /answers \/healthz, \/readyz and \/metrics/)
  }
  assert.equal((await get(`${proxy.adminUrl}/metrics`, {}, 'POST')).status, 405)
  const metrics = await scrape(proxy.adminUrl)
  assert.equal(metrics.get('supertrace_requests_total{status="404"}'), 4, 'the four public-port requests, and none of the admin port\'s')
})

test('/readyz is 503 while the upstream is down and 200 again when it is back; Redis down is reported but never fatal; /healthz stays 200', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t)

  await redis.stop('SIGKILL')
  const withoutRedis = await readyzUntil(proxy.adminUrl, (_status, body) => body.redis === 'down')
  assert.equal(withoutRedis.status, 200, 'the proxy still serves without Redis: every 500 is the app\'s own')
  assert.deepEqual(withoutRedis.body, { ready: true, serving: true, upstream: 'reachable', redis: 'down', breaker: 'closed' })
  const metricsWithoutRedis = await get(`${proxy.adminUrl}/metrics`)
  assert.equal(metricsWithoutRedis.status, 200, '/metrics answers without Redis, where the apps\' record counts are kept')
  assert.match(metricsWithoutRedis.text, /^supertrace_websocket_upgrades_total\{outcome="switched"\} 0$/m, 'with the proxy\'s own metrics')

  await app.stop()
  const withoutApp = await readyzUntil(proxy.adminUrl, (status) => status === 503)
  assert.equal(withoutApp.status, 503)
  assert.equal(withoutApp.body.upstream, 'unreachable')
  assert.equal(withoutApp.body.ready, false)
  assert.equal((await get(`${proxy.adminUrl}/healthz`)).status, 200, 'alive all the same: restarting the proxy would not bring the app back')

  await startApp(t, redis, exampleApp, { PORT: String(app.port) })
  const back = await readyzUntil(proxy.adminUrl, (status) => status === 200)
  assert.equal(back.status, 200)
  assert.equal(back.body.upstream, 'reachable')
})

test('the metrics count responses by status, held 500s by outcome, debug pages, lookups, record waits and Redis errors', bounded, async (t) => {
  const { redis, proxy } = await startStack(t)
  const admin = await login(proxy.url, 'admin')
  const alice = await login(proxy.url, 'alice')
  const before = await scrape(proxy.adminUrl)
  assert.equal(before.get('supertrace_intercepted_total{outcome="original"}'), 0, 'the series exist from the start')
  assert.equal(before.get('supertrace_errors_total{code="ST_REDIS"}'), 0)

  for (let i = 0; i < 3; i++) assert.equal((await get(`${proxy.url}/hello`)).status, 200)
  assert.equal((await get(`${proxy.url}/orders/42`)).status, 500, 'no session cookie: not held')
  assert.doesNotMatch((await get(`${proxy.url}/orders/42`, { cookie: alice })).text, /TypeError at/)
  assert.match((await get(`${proxy.url}/orders/42`, { cookie: admin })).text, /TypeError at \/orders\/42/)
  assert.equal((await get(`${proxy.url}/_supertrace/`, { cookie: admin })).status, 200)
  await redis.stop('SIGKILL')
  assert.doesNotMatch((await get(`${proxy.url}/orders/42`, { cookie: admin })).text, /TypeError at/, 'Redis down: the original 500')

  const after = await scrape(proxy.adminUrl)
  const grew = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0)
  assert.equal(grew('supertrace_requests_total{status="200"}'), 4, '3 × /hello and the recent-failures page')
  assert.equal(grew('supertrace_requests_total{status="500"}'), 4)
  assert.equal(grew('supertrace_intercepted_total{outcome="original"}'), 2, 'alice, and admin while Redis was down')
  assert.equal(grew('supertrace_intercepted_total{outcome="debug_page"}'), 1)
  assert.equal(grew('supertrace_debug_pages_total{page="live"}'), 1)
  assert.equal(grew('supertrace_debug_pages_total{page="recent"}'), 1)
  assert.equal(grew('supertrace_debug_pages_total{page="stored"}'), 0)
  assert.equal(grew('supertrace_superuser_lookup_seconds_count'), 4, 'alice, admin, admin\'s list, admin without Redis')
  assert.equal(grew('supertrace_record_wait_seconds_count'), 1)
  assert.ok(grew('supertrace_errors_total{code="ST_REDIS"}') >= 1, 'the failed lookup is a Redis error')
  assert.ok((after.get('supertrace_superuser_lookup_seconds_sum') ?? 0) > 0)
  for (const name of after.keys()) assert.ok(!name.includes('sessionid') && !/[0-9a-f]{32}/.test(name), `no cookie or request ID in a metric: ${name}`)
})

test('two proxies on one machine: the second one on a taken admin port stops at start-up, naming SUPERTRACE_ADMIN_PORT', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t)
  await assert.rejects(startProxy(t, app, redis, { SUPERTRACE_ADMIN_PORT: String(proxy.adminPort) }), (err: Error) => {
    assert.match(err.message, /exited \(78\)/)
    assert.match(err.message, new RegExp(`SUPERTRACE_ADMIN_PORT=${proxy.adminPort} is already in use`))
    return true
  })
  assert.equal((await get(`${proxy.adminUrl}/healthz`)).status, 200, 'the first proxy is untouched')
})

test('a proxy told a port another process holds (SUPERTRACE_PORT) exits 78 at once, naming the setting, and leaves nothing open', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t)
  await assert.rejects(startProxy(t, app, redis, { SUPERTRACE_PORT: String(proxy.port) }), (err: Error) => {
    // It exited on its own: with its Redis connections or the admin server still open, it would hang here instead.
    assert.match(err.message, /exited \(78\)/)
    assert.match(err.message, new RegExp(`SUPERTRACE_PORT=${proxy.port} is already in use on 127\\.0\\.0\\.1.*for example SUPERTRACE_PORT=\\d+`))
    assert.doesNotMatch(err.message, /EADDRINUSE|at .*\.js:\d+/, 'a message for a person, not a stack')
    return true
  })
  assert.equal((await get(`${proxy.url}/hello`)).status, 200, 'the first proxy is untouched')
})

test('SUPERTRACE_ADMIN_HOST puts the admin server on another address than the proxy, and supertrace health asks it there', bounded, async (t) => {
  const { redis, app } = await startStack(t)
  const proxy = await startProxy(t, app, redis, { SUPERTRACE_ADMIN_HOST: '127.0.0.2' })
  const env = { ...process.env, SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_ADMIN_HOST: '127.0.0.2', SUPERTRACE_ADMIN_PORT: String(proxy.adminPort) }

  assert.equal((await get(`http://127.0.0.2:${proxy.adminPort}/healthz`)).status, 200)
  await assert.rejects(get(`http://127.0.0.1:${proxy.adminPort}/healthz`), /ECONNREFUSED/, 'not on the proxy\'s own address')
  assert.equal(spawnSync(process.execPath, [proxyBin, 'health'], { env, timeout: 10_000 }).status, 0)
  assert.equal(spawnSync(process.execPath, [proxyBin, 'health'], { env: { ...env, SUPERTRACE_ADMIN_HOST: '127.0.0.1' }, timeout: 10_000 }).status, 1)
})

test('a circuit breaker registered with observeBreaker shows as a state gauge, and breakerState() (what /readyz reports) follows it', async () => {
  const metrics = new ProxyMetrics()
  try {
    assert.equal(metrics.breakerState(), null)
    let state: 'closed' | 'open' | 'half-open' = 'closed'
    metrics.observeBreaker(() => state)
    state = 'open'
    const text = await metrics.registry.metrics()
    assert.match(text, /^supertrace_redis_breaker_state\{state="open"\} 1$/m)
    assert.match(text, /^supertrace_redis_breaker_state\{state="closed"\} 0$/m)
    assert.match(text, /^supertrace_redis_breaker_state\{state="half-open"\} 0$/m)
    assert.equal(metrics.breakerState(), 'open')
  } finally {
    metrics.close()
  }
})
