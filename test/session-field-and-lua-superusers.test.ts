import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { proxyBin, startStack, freePort, startRedis } from './helpers/processes.ts'
import { assertAppsOwn500, assertDebugPage } from './helpers/superusers.ts'

test('session-field: a JSON session whose role is "admin" is a superuser\'s; another role, a missing key and a plain string are not', async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: {
    SUPERTRACE_LOOKUP: 'session-field',
    SUPERTRACE_SESSION_COOKIE: '_shop_session',
    SUPERTRACE_SESSION_KEY: 'shop:session:{id}',
    SUPERTRACE_SUPERUSER_FIELD: 'account.role',
    SUPERTRACE_SUPERUSER_VALUE: '"admin"',
  } })
  await redis.client.set('shop:session:s-admin', JSON.stringify({ account: { role: 'admin', id: 1 } }))
  await redis.client.set('shop:session:s-user', JSON.stringify({ account: { role: 'customer', id: 2 } }))
  await redis.client.set('shop:session:s-proto', '{"__proto__": {"account": {"role": "admin"}}}')
  await redis.client.set('shop:session:s-text', 'admin')

  await assertDebugPage(proxy.url, '/orders/42', '_shop_session=s-admin', 'the admin')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', '_shop_session=s-user', 'a customer')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', '_shop_session=s-proto', 'a session that hides the role in __proto__')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', '_shop_session=s-text', 'a plain string has no account.role')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', '_shop_session=s-none', 'a session Redis does not have')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', 'sessionid=s-admin', 'the admin\'s ID under another cookie name')
})

test('session-field: a plain-string session is compared whole, and a numeric user ID can be looked up in a set', async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: {
    SUPERTRACE_LOOKUP: 'session-field',
    SUPERTRACE_SESSION_KEY: 'user-of:{id}',
    SUPERTRACE_SUPERUSER_IDS_KEY: 'staff',
  } })
  await redis.client.sadd('staff', '7', 'root')
  await redis.client.set('user-of:a', '7') // JSON: the number 7
  await redis.client.set('user-of:b', 'root') // not JSON: the string itself
  await redis.client.set('user-of:c', '8')
  await redis.client.set('user-of:d', '[7]')

  await assertDebugPage(proxy.url, '/orders/42', 'sessionid=a', 'user 7, in the set')
  await assertDebugPage(proxy.url, '/orders/42', 'sessionid=b', 'root, in the set')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', 'sessionid=c', 'user 8, not in the set')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', 'sessionid=d', 'a list is not a user ID')
})

const LUA = 'return redis.call("SISMEMBER", "lua:admins", ARGV[1])'

test('lua: the script decides in one EVALSHA per lookup, loaded once at start-up and again only if Redis forgot it', async (t) => {
  const script = join(tmpdir(), `supertrace-${process.pid}-is-superuser.lua`)
  writeFileSync(script, LUA)
  const { redis, app, proxy } = await startStack(t, { proxyEnv: { SUPERTRACE_LOOKUP: 'lua', SUPERTRACE_LOOKUP_SCRIPT: `@${script}` } })
  await redis.client.sadd('lua:admins', 'boss')

  await assertDebugPage(proxy.url, '/orders/42', 'sessionid=boss', 'boss, for whom the script answers 1')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', 'sessionid=intern', 'intern, for whom it answers 0')
  await assertDebugPage(proxy.url, '/orders/42', 'sessionid=boss', 'boss again')
  const stats = await redis.client.info('commandstats')
  assert.match(stats, /cmdstat_script\|load:calls=1,/, 'SCRIPT LOAD ran once')
  assert.match(stats, /cmdstat_evalsha:calls=3,/, 'one EVALSHA per lookup')
  assert.doesNotMatch(stats, /cmdstat_eval:/, 'the script text is never sent again with EVAL')

  await redis.client.script('FLUSH')
  await assertDebugPage(proxy.url, '/orders/42', 'sessionid=boss', 'boss after SCRIPT FLUSH: the script is loaded again')
  await redis.client.srem('lua:admins', 'boss')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', 'sessionid=boss', 'boss at once after leaving the set')
})

test('lua: a script Redis cannot compile stops the proxy at start-up, naming SUPERTRACE_LOOKUP_SCRIPT', async (t) => {
  const redis = await startRedis(t)
  const result = spawnSync(process.execPath, [proxyBin, 'proxy'], {
    env: { ...process.env, SUPERTRACE_UPSTREAM: 'http://127.0.0.1:1', SUPERTRACE_PORT: String(await freePort()), SUPERTRACE_ADMIN_PORT: String(await freePort()), SUPERTRACE_REDIS_URL: redis.url, SUPERTRACE_LOOKUP: 'lua', SUPERTRACE_LOOKUP_SCRIPT: 'return redis.call(' },
    encoding: 'utf8',
    timeout: 10_000,
  })
  assert.equal(result.status, 78)
  assert.match(result.stderr, /SUPERTRACE_LOOKUP_SCRIPT was refused by Redis: .*; for example SUPERTRACE_LOOKUP_SCRIPT='return redis.call\("SISMEMBER", "supertrace:superusers", ARGV\[1\]\)'/)
})
