import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, upgrade, type Upgraded } from './helpers/http.ts'
import { assertLogged, loggedEvents } from './helpers/logs.ts'
import { freePort, startApp, startProxy, startRedis, startStack } from './helpers/processes.ts'
import { assertNoSecret } from './helpers/secrets.ts'

const bounded = { timeout: 30_000 }

const SECRETS = {
  session: 'S3CRETsessionVALUEnobodyMaySee',
  otherCookie: 'S3CRETrememberMeTOKEN',
  bearer: 'S3CRETbearerTOKEN.abcdef',
  queryToken: 'S3CRETqueryTOKEN',
  queryKey: 'S3CRETapiKEY',
  redisPassword: 'S3CRETredisPASSWORD',
  sentinelPassword: 'S3CRETsentinelPASSWORD',
  sessionSecret: 'S3CRETsigningSECRET',
}
const headers = { cookie: `sessionid=${SECRETS.session}; remember_token=${SECRETS.otherCookie}; theme=dark`, authorization: `Bearer ${SECRETS.bearer}` }
const query = `?access_token=${SECRETS.queryToken}&api_key=${SECRETS.queryKey}&page=2`

test('every line the proxy and the instrumentation log is one JSON object: time, level, component, msg, and a problem\'s code, request ID and error', bounded, async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: { SUPERTRACE_LOG_LEVEL: 'debug' } })
  await redis.stop('SIGKILL')
  await get(`${proxy.url}/orders/42`, headers)
  await app.stop()
  const failed = await get(`${proxy.url}/hello`)

  for (const [who, output] of [['proxy', proxy.output], ['app', app.output]] as const) {
    const lines = output.split('\n').filter((line) => line.startsWith('{'))
    assert.ok(lines.length > 0, `${who} logged`)
    for (const line of lines) {
      const event = JSON.parse(line) as Record<string, unknown>
      assert.match(String(event.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line)
      assert.ok(['debug', 'info', 'warn', 'error'].includes(String(event.level)), line)
      assert.ok(typeof event.msg === 'string' && event.msg !== '', line)
    }
  }
  assert.ok(!proxy.output.split('\n').some((line) => line !== '' && !line.startsWith('{')), `nothing but JSON lines from the proxy:\n${proxy.output}`)
  await assertLogged(proxy, { level: 'info', msg: 'listening on' })
  await assertLogged(proxy, { level: 'debug', msg: 'superuser lookup: not a superuser', requestId: true }, 'at debug, each lookup is logged')
  const upstream = await assertLogged(proxy, { level: 'error', code: 'ST_UPSTREAM', requestId: String(failed.headers['x-request-id']), msg: 'the upstream request failed' })
  assert.equal(upstream.component, 'proxy')
  assert.equal(upstream.error?.name, 'UpstreamError')
  assert.match(upstream.error?.cause?.code ?? '', /^ECONNREFUSED$/, 'the cause\'s system error code is kept')
  const dropped = await assertLogged(app, { code: 'ST_REDIS', requestId: true, msg: 'a record was not stored' })
  assert.equal(dropped.component, 'instrumentation')
})

test('no cookie value, Authorization header, query token, Redis or sentinel password or session secret reaches a log, through upstream failures, Redis faults and bad settings', bounded, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis)
  const proxy = await startProxy(t, app, redis, { SUPERTRACE_LOG_LEVEL: 'debug', SUPERTRACE_REDIS_TIMEOUT_MS: '100' })

  // Ordinary traffic, a 500 to a session that is no superuser's, and a stored-record page.
  await get(`${proxy.url}/hello${query}`, headers)
  await get(`${proxy.url}/orders/42${query}`, headers)
  await get(`${proxy.url}/_supertrace/requests/${'a'.repeat(32)}${query}`, headers)
  // Redis hanging: the lookup times out; the app's record write fails.
  redis.child.kill('SIGSTOP')
  await get(`${proxy.url}/orders/42${query}`, headers)
  redis.child.kill('SIGCONT')
  // Redis gone.
  await redis.stop('SIGKILL')
  await get(`${proxy.url}/orders/42${query}`, headers)
  await get(`${proxy.url}/checkout${query}`, headers)
  // The app gone: a 502 and a failed WebSocket upgrade.
  await app.stop()
  await get(`${proxy.url}/orders/42${query}`, headers)
  const { socket } = await upgrade(`${proxy.url}/live${query}`, headers).catch((): Upgraded => ({}))
  socket?.destroy()
  await proxy.waitFor('a WebSocket upgrade failed') // the client may see the socket close before the proxy's line is read

  await assertLogged(proxy, { code: 'ST_REDIS', msg: 'the superuser lookup failed' }, 'the Redis timeout was logged')
  await assertLogged(proxy, { code: 'ST_UPSTREAM', msg: 'the upstream request failed', error: /GET \/orders\/42\?access_token=\*+&api_key=\*+&page=2/ }, 'the failed request is named, its tokens hidden')
  await assertLogged(proxy, { code: 'ST_UPSTREAM', msg: 'a WebSocket upgrade failed' })
  assertNoSecret(SECRETS, proxy.output, 'the proxy')
  assertNoSecret(SECRETS, app.output, 'the app')

  // A Redis URL with a password that cannot be reached, and an express-session secret list that is not JSON.
  const unreachable = `redis://:${SECRETS.redisPassword}@127.0.0.1:${await freePort()}`
  const noRedis = await startProxy(t, app, { url: unreachable }, { SUPERTRACE_LOG_LEVEL: 'debug' })
  await get(`${noRedis.url}/hello${query}`, headers)
  await assertLogged(noRedis, { code: 'ST_REDIS', msg: 'is unreachable' })
  assertNoSecret(SECRETS, noRedis.output, 'a proxy whose Redis has a password')
  // The same behind Sentinel: sentinels that cannot be reached, asked with their own password.
  const noSentinels = await startProxy(t, app, { url: unreachable }, { SUPERTRACE_REDIS_SENTINELS: `127.0.0.1:${await freePort()}`, SUPERTRACE_REDIS_SENTINEL_PASSWORD: SECRETS.sentinelPassword, SUPERTRACE_LOG_LEVEL: 'debug' })
  await get(`${noSentinels.url}/orders/42${query}`, headers)
  await assertLogged(noSentinels, { code: 'ST_REDIS', msg: /unreachable .*All sentinels are unreachable/ })
  assertNoSecret(SECRETS, noSentinels.output, 'a proxy whose sentinels have a password')
  await assert.rejects(startProxy(t, app, { url: unreachable }, { SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SESSION_SECRET: `["${SECRETS.sessionSecret}"`, SUPERTRACE_REDIS_SENTINELS: '10.0.0.1:26379', SUPERTRACE_REDIS_SENTINEL_PASSWORD: `${SECRETS.sentinelPassword}\n`, SUPERTRACE_LOG_LEVEL: 'loud' }), (err: Error) => {
    assert.match(err.message, /SUPERTRACE_SESSION_SECRET=\(hidden\) is not valid/)
    assert.match(err.message, /SUPERTRACE_REDIS_SENTINEL_PASSWORD=\(hidden\) is not valid/)
    assert.match(err.message, /SUPERTRACE_LOG_LEVEL="loud" is not valid: it must be one of debug, info, warn, error, silent; for example SUPERTRACE_LOG_LEVEL=warn/)
    assertNoSecret(SECRETS, err.message, 'the start-up error')
    return true
  })
})

test('SUPERTRACE_LOG_LEVEL=error keeps only errors, silent keeps nothing, on both sides', bounded, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, undefined, { SUPERTRACE_LOG_LEVEL: 'silent' })
  const quiet = await startProxy(t, app, redis, { SUPERTRACE_LOG_LEVEL: 'error' })
  const silent = await startProxy(t, app, redis, { SUPERTRACE_LOG_LEVEL: 'silent' })
  await redis.stop('SIGKILL')
  for (const proxy of [quiet, silent]) await get(`${proxy.url}/orders/42`, { cookie: 'sessionid=someone' })
  await app.stop()
  for (const proxy of [quiet, silent]) assert.equal((await get(`${proxy.url}/hello`)).status, 502)

  const events = loggedEvents(quiet.output)
  assert.ok(events.length > 0 && events.every((event) => event.level === 'error'), `errors only:\n${quiet.output}`)
  await assertLogged(quiet, { code: 'ST_UPSTREAM' })
  await assertLogged(quiet, { code: 'ST_REDIS', msg: 'the superuser lookup failed' })
  assert.equal(silent.output, '', 'silent: not one line')
  assert.deepEqual(loggedEvents(app.output), [], 'the app\'s instrumentation logged nothing, though its records failed')
})
