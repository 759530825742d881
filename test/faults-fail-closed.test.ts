import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test } from 'node:test'
import { get, login, visible } from './helpers/http.ts'
import { freePort, repoRoot, run, startRedis, startStack } from './helpers/processes.ts'
import { assertLogged } from './helpers/logs.ts'

// node:test's timeout bounds each case: a proxy or app that waited on a dead Redis forever would fail here.
const bounded = { timeout: 20_000 }

test('with Redis stopped, a superuser gets the app\'s original 500, the proxy keeps serving, and it recovers when Redis is back', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')
  await redis.stop('SIGKILL')

  const direct = await get(`${app.url}/orders/42`, { cookie })
  const proxied = await get(`${proxy.url}/orders/42`, { cookie })
  const ordinary = await get(`${proxy.url}/hello`)

  assert.deepEqual(visible(proxied), visible(direct), 'the original 500, not a debug page')
  assert.equal(ordinary.status, 200)
  await assertLogged(proxy, { code: 'ST_REDIS', requestId: true, msg: 'the superuser lookup failed' })
  await assertLogged(app, { code: 'ST_REDIS', requestId: true, msg: 'a record was not stored' }, 'the app logs the dropped record once, with its request ID')

  const restarted = await startRedis(t, redis.port)
  await restarted.client.sadd('supertrace:superusers', cookie.split('=')[1] ?? '')
  let page = await get(`${proxy.url}/orders/42`, { cookie })
  for (let i = 0; i < 50 && !page.text.includes('TypeError at'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100)) // ioredis reconnects with a back-off of at most 1 s
    page = await get(`${proxy.url}/orders/42`, { cookie })
  }
  assert.match(page.text, /TypeError at \/orders\/42/)
})

test('with Redis hanging (paused), the lookup times out and the superuser gets the original 500', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: { SUPERTRACE_REDIS_TIMEOUT_MS: '200' } })
  const cookie = await login(proxy.url, 'admin')
  const direct = await get(`${app.url}/maintenance`, { cookie })
  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })

  const proxied = await get(`${proxy.url}/maintenance`, { cookie })

  assert.deepEqual(visible(proxied), visible(direct))
  await assertLogged(proxy, { code: 'ST_REDIS', msg: 'the superuser lookup failed' })
})

test('with Redis hanging, the app still answers: its 5xx is held at most SUPERTRACE_HOLD_MS, its 200s not at all', bounded, async (t) => {
  const { redis, app } = await startStack(t, { appEnv: { SUPERTRACE_HOLD_MS: '50' } })
  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })

  const failing = await get(`${app.url}/orders/42`)
  const ordinary = await get(`${app.url}/hello`)

  assert.equal(failing.status, 500)
  assert.match(failing.text, /Sorry, something went wrong/)
  assert.equal(ordinary.text, 'hello\n')
})

test('with the app down, the proxy answers 502 with the request ID and logs why', bounded, async (t) => {
  const { app, proxy } = await startStack(t)
  await app.stop()

  const response = await get(`${proxy.url}/hello`)

  assert.equal(response.status, 502)
  assert.match(String(response.headers['x-request-id']), /^[0-9a-f]{32}$/)
  await assertLogged(proxy, { code: 'ST_UPSTREAM', requestId: String(response.headers['x-request-id']) })
})

test('a superuser who hangs up while the proxy waits on Redis does not disturb the proxy', bounded, async (t) => {
  const { redis, proxy } = await startStack(t, { proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '60000', SUPERTRACE_REDIS_TIMEOUT_MS: '60000' } })
  await redis.client.sadd('supertrace:superusers', 'boss')
  redis.child.kill('SIGSTOP') // the lookup now hangs until Redis resumes

  await new Promise<void>((resolve) => {
    const req = request(`${proxy.url}/orders/42`, { headers: { cookie: 'sessionid=boss' }, agent: false })
    req.on('error', () => resolve())
    req.end()
    setTimeout(() => { req.destroy(); resolve() }, 300)
  })
  redis.child.kill('SIGCONT')

  const after = await get(`${proxy.url}/hello`)
  assert.equal(after.status, 200)
  assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
})

test('a process with the instrumentation still exits on its own when Redis is unreachable, even after a failed request', bounded, async (t) => {
  const closedPort = await freePort()
  // Serves one request that fails with a 500, then closes its server: nothing of its own is left to keep it alive.
  const script = `
    import { createServer, get } from 'node:http'
    const server = createServer((req, res) => { res.statusCode = 500; res.end('no') })
    server.listen(0, '127.0.0.1', () => get('http://127.0.0.1:' + server.address().port + '/', (res) => {
      res.resume(); res.on('end', () => { console.log('status ' + res.statusCode); server.close() })
    }))`
  const child = run(t, process.execPath, ['--import', 'supertrace/register', '--input-type=module', '-e', script], { SUPERTRACE_REDIS_URL: `redis://127.0.0.1:${closedPort}` })

  const [code] = await child.exited

  assert.equal(code, 0, child.output)
  assert.match(child.output, /status 500/)
  assert.match(child.output, /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable for writing records/)
})

test('with Redis hanging while a superuser\'s page waits for a late record, the wait still ends at SUPERTRACE_TRACE_WAIT_MS and the page says Redis failed', bounded, async (t) => {
  // The plain app announces a record on its 500 but stores it only after 60 s: the proxy reads, finds none, and waits.
  const { redis, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js`, nodeFlags: [], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '1000' } })
  await redis.client.sadd('supertrace:superusers', 'boss')
  const monitor = await redis.client.monitor()
  t.after(() => monitor.disconnect())
  // Redis hangs as soon as it has answered the first read of the record: the wait then hears nothing from it.
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase() === 'get' && /[0-9a-f]{32}/.test(args[1] ?? '')) redis.child.kill('SIGSTOP')
  })
  t.after(() => { redis.child.kill('SIGCONT') })

  const page = await get(`${proxy.url}/late-record?delay=60000`, { cookie: 'sessionid=boss' })

  assert.equal(page.status, 500)
  assert.match(page.text, /Redis failed while the record was being read/)
  await assertLogged(proxy, { code: 'ST_REDIS', msg: 'the record could not be read' })
})
