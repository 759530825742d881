import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHmac } from 'node:crypto'
import { get } from './helpers/http.ts'
import { repoRoot, startStack } from './helpers/processes.ts'
import { assertAppsOwn500, assertDebugPage } from './helpers/superusers.ts'
import type { TestContext } from 'node:test'
import { assertLogged, loggedEvents } from './helpers/logs.ts'
import { scrape } from './helpers/metrics.ts'

const APP = `${repoRoot}test/apps/express-session-app.js`
const bounded = { timeout: 30_000 }

/** The express-session app with supertrace/register, and the proxy in express-session mode in front. */
function startExpressSessionStack (t: TestContext, appSecrets: readonly string[], proxyEnv: NodeJS.ProcessEnv): ReturnType<typeof startStack> {
  return startStack(t, { appFile: APP, appEnv: { SESSION_SECRETS: JSON.stringify(appSecrets) }, proxyEnv: { SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SUPERUSER_FIELD: 'user.isAdmin', ...proxyEnv } })
}

async function logIn (baseUrl: string, user: string): Promise<string> {
  const response = await get(`${baseUrl}/login?user=${user}`)
  const cookie = response.headers['set-cookie']?.[0]?.split(';')[0]
  if (cookie?.startsWith('connect.sid=s%3A') !== true) throw new Error(`express-session set no signed cookie for ${user}`)
  return cookie
}

/** `<id>.<signature>` as cookie-signature makes it; the app accepting such a cookie is what proves it right. */
function sign (id: string, secret: string): string {
  return `${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`
}

function sessionIdOf (cookie: string): string {
  const signed = decodeURIComponent(cookie.slice('connect.sid='.length)).slice(2)
  return signed.slice(0, signed.lastIndexOf('.'))
}

test('express-session: an admin sees the debug page, an ordinary user and a logged-out admin the app\'s own 500', bounded, async (t) => {
  const { redis, app, proxy } = await startExpressSessionStack(t, ['keyboard cat'], { SUPERTRACE_SESSION_SECRET: 'keyboard cat' })
  const admin = await logIn(proxy.url, 'admin')
  const alice = await logIn(proxy.url, 'alice')
  assert.ok(await redis.client.get(`sess:${sessionIdOf(admin)}`), 'connect-redis stored the session under sess:<id>')

  await assertDebugPage(proxy.url, '/orders/42', admin, 'the admin')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', alice, 'alice, logged in but not an admin')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', '', 'a visitor without a session')

  await get(`${proxy.url}/logout`, { cookie: admin })
  assert.equal((await get(`${app.url}/whoami`, { cookie: admin })).text, 'nobody\n', 'the app logged the admin out')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', admin, 'the admin\'s old cookie after logging out, at once')
})

test('express-session: an unsigned session ID or a forged signature is never a superuser, even for an admin\'s session', bounded, async (t) => {
  const { app, proxy } = await startExpressSessionStack(t, ['keyboard cat'], { SUPERTRACE_SESSION_SECRET: 'keyboard cat' })
  const admin = await logIn(proxy.url, 'admin')
  const id = sessionIdOf(admin)
  const realSignature = decodeURIComponent(admin).slice(decodeURIComponent(admin).lastIndexOf('.') + 1)

  const attempts = {
    'the bare session ID': `connect.sid=${id}`,
    'the session ID marked signed, with no signature': `connect.sid=${encodeURIComponent(`s:${id}`)}`,
    'a made-up signature': `connect.sid=${encodeURIComponent(`s:${id}.${'A'.repeat(43)}`)}`,
    'a signature made with another secret': `connect.sid=${encodeURIComponent(`s:${sign(id, 'not the secret')}`)}`,
    'the real signature, truncated': `connect.sid=${encodeURIComponent(`s:${id}.${realSignature.slice(0, -1)}`)}`,
    'the real signature with padding added': `connect.sid=${encodeURIComponent(`s:${id}.${realSignature}=`)}`,
    'the real signature on another ID': `connect.sid=${encodeURIComponent(`s:${id}x.${realSignature}`)}`,
  }
  for (const [what, cookie] of Object.entries(attempts)) {
    await assertAppsOwn500(proxy.url, app.url, '/orders/42', cookie, what)
  }
  await assertDebugPage(proxy.url, '/orders/42', admin, 'while the admin\'s real cookie still works')
  await assertLogged(proxy, { level: 'info', requestId: true, msg: 'the session cookie was refused, so not a superuser: the session cookie\'s signature is not valid' })
  assert.ok(!proxy.output.includes(id), 'the session ID never reaches the log')
})

test('express-session: a logged-out session\'s cookie or a forged one on a 500 is normal traffic, counted and not an error; Redis failing still is one', bounded, async (t) => {
  const { redis, app, proxy } = await startExpressSessionStack(t, ['keyboard cat'], { SUPERTRACE_SESSION_SECRET: 'keyboard cat', SUPERTRACE_REDIS_TIMEOUT_MS: '200' })
  const admin = await logIn(proxy.url, 'admin')
  await get(`${proxy.url}/logout`, { cookie: admin })

  await assertAppsOwn500(proxy.url, app.url, '/orders/42', admin, 'the admin\'s cookie after logging out')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', `connect.sid=${encodeURIComponent(`s:${sign(sessionIdOf(admin), 'not the secret')}`)}`, 'a forged cookie')

  const counted = await scrape(proxy.adminUrl)
  assert.equal(counted.get('supertrace_superuser_lookups_total{outcome="no_session"}'), 1, 'the logged-out session')
  assert.equal(counted.get('supertrace_superuser_lookups_total{outcome="bad_cookie"}'), 1, 'the forged cookie')
  assert.equal(counted.get('supertrace_errors_total{code="ST_SESSION"}') ?? 0, 0, 'neither is an error')
  await assertLogged(proxy, { level: 'info', msg: 'the session cookie was refused', requestId: true })
  assert.deepEqual(loggedEvents(proxy.output).filter((event) => event.level === 'error'), [], 'no error line')

  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })
  await assertAppsOwn500(proxy.url, app.url, '/broken-early', admin, 'with Redis hanging (a 500 the app sends before it reads the session)')
  await assertLogged(proxy, { level: 'error', code: 'ST_REDIS', requestId: true, msg: 'the superuser lookup failed' })
  assert.equal((await scrape(proxy.adminUrl)).get('supertrace_superuser_lookups_total{outcome="redis_failed"}'), 1)
})

test('express-session: with rotated secrets, cookies signed with the old and the new secret both count, a retired one does not', bounded, async (t) => {
  const { app, proxy } = await startExpressSessionStack(t, ['new secret', 'old secret'], { SUPERTRACE_SESSION_SECRET: '["new secret","old secret"]' })
  const admin = await logIn(proxy.url, 'admin')
  const id = sessionIdOf(admin)
  const oldSigned = `connect.sid=${encodeURIComponent(`s:${sign(id, 'old secret')}`)}`
  const retired = `connect.sid=${encodeURIComponent(`s:${sign(id, 'retired secret')}`)}`
  assert.equal((await get(`${app.url}/whoami`, { cookie: oldSigned })).text, 'admin\n', 'the app accepts the old secret\'s signature')
  assert.equal((await get(`${app.url}/whoami`, { cookie: retired })).text, 'nobody\n', 'and not a retired one')

  await assertDebugPage(proxy.url, '/orders/42', admin, 'signed with the new secret')
  await assertDebugPage(proxy.url, '/orders/42', oldSigned, 'signed with the old secret')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', retired, 'signed with a retired secret')
})

test('express-session: admins can be a set of user names instead of a field that is true', bounded, async (t) => {
  const { redis, app, proxy } = await startExpressSessionStack(t, ['keyboard cat'], {
    SUPERTRACE_SESSION_SECRET: 'keyboard cat',
    SUPERTRACE_SUPERUSER_FIELD: 'user.name',
    SUPERTRACE_SUPERUSER_IDS_KEY: 'shop:admins',
  })
  await redis.client.sadd('shop:admins', 'bob')
  const bob = await logIn(proxy.url, 'bob')
  const admin = await logIn(proxy.url, 'admin')

  await assertDebugPage(proxy.url, '/orders/42', bob, 'bob, whose name is in shop:admins')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', admin, 'admin, whose name is not in the set')
  await redis.client.srem('shop:admins', 'bob')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', bob, 'bob, at once after SREM')
})

test('express-session: with Redis paused during the lookup, an admin gets the app\'s plain 500 within the timeout', bounded, async (t) => {
  const { redis, app, proxy } = await startExpressSessionStack(t, ['keyboard cat'], { SUPERTRACE_SESSION_SECRET: 'keyboard cat', SUPERTRACE_REDIS_TIMEOUT_MS: '200' })
  const admin = await logIn(proxy.url, 'admin')
  const direct = await get(`${app.url}/broken-early`, { cookie: admin })
  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })

  const proxied = await get(`${proxy.url}/broken-early`, { cookie: admin })

  assert.equal(proxied.status, 500)
  assert.equal(proxied.text, direct.text)
  assert.equal(proxied.text, 'Sorry, the shop is down\n')
  await assertLogged(proxy, { code: 'ST_REDIS', requestId: true, msg: 'the superuser lookup failed' })
})
