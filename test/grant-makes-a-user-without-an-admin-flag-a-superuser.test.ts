import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { get } from './helpers/http.ts'
import { proxyBin, repoRoot, startApp, startProxy, startRedis } from './helpers/processes.ts'
import { assertAppsOwn500, assertDebugPage } from './helpers/superusers.ts'

const APP = `${repoRoot}test/apps/express-session-app.js`
const run = promisify(execFile)

test('express-session whose session holds only the user: grant and revoke put the user\'s ID in the set the field is checked against, at once', { timeout: 30_000 }, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, APP, { SESSION_SECRETS: JSON.stringify(['keyboard cat']) })
  // The app's session is { user: { name, isAdmin } }; ada's isAdmin is false, so the name is what identifies her.
  const settings = {
    SUPERTRACE_REDIS_URL: redis.url,
    SUPERTRACE_LOOKUP: 'express-session',
    SUPERTRACE_SESSION_SECRET: 'keyboard cat',
    SUPERTRACE_SUPERUSER_FIELD: 'user.name',
    SUPERTRACE_SUPERUSER_IDS_KEY: 'shop:admins',
  }
  const proxy = await startProxy(t, app, redis, settings)
  const supertrace = (...args: string[]): Promise<{ stdout: string }> => run(process.execPath, [proxyBin, ...args], { env: { PATH: process.env.PATH, ...settings } })
  const ada = (await get(`${proxy.url}/login?user=ada`)).headers['set-cookie']?.[0]?.split(';')[0] ?? ''
  await assertAppsOwn500(proxy.url, app.url, '/orders/7', ada, 'ada, before she is granted')

  assert.equal((await supertrace('grant', 'ada')).stdout, 'user "ada" is now a superuser (shop:admins, checked against user.name)\n')
  assert.equal(await redis.client.sismember('shop:admins', 'ada'), 1)
  await assertDebugPage(proxy.url, '/orders/7', ada, 'ada, once granted')

  assert.equal((await supertrace('revoke', 'ada')).stdout, 'user "ada" is no longer a superuser (shop:admins, checked against user.name)\n')
  await assertAppsOwn500(proxy.url, app.url, '/orders/7', ada, 'ada, once revoked')
})
