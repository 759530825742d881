import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { loggedEvents } from './helpers/logs.ts'
import { repoRoot, startApp, startProxy, type RunningHttp } from './helpers/processes.ts'
import { startRedisSentinels } from './helpers/redis-topologies.ts'
import { assertAppsOwn500, assertPagesOfStoredRecords } from './helpers/superusers.ts'

const failuresApp = `${repoRoot}test/apps/failures-app.js`
const ADMIN = 'sessionid=sentinel-admin-session'
const PASSWORDS = { sentinels: 'S3CRETsentinelPASSWORD', master: 'S3CRETmasterPASSWORD', wrong: 'S3CRETwrongPASSWORD' }

function assertNoPassword (output: string, who: string): void {
  for (const [whose, password] of Object.entries(PASSWORDS)) assert.ok(!output.includes(password), `${who}: the ${whose} password never reaches a log line:\n${output}`)
}

test('behind sentinels that ask for a password of their own (requirepass) in front of a master with another one', { timeout: 90_000 }, async (t) => {
  const redis = await startRedisSentinels(t, { sentinelPassword: PASSWORDS.sentinels, masterPassword: PASSWORDS.master })
  const sentinelEnv = { SUPERTRACE_REDIS_SENTINELS: redis.sentinelsSetting, SUPERTRACE_REDIS_SENTINEL_NAME: redis.masterName }
  await redis.master.client.sadd('supertrace:superusers', 'sentinel-admin-session')

  await t.test('with SUPERTRACE_REDIS_SENTINEL_PASSWORD set, the app stores its record through Sentinel and the superuser sees its debug page; anyone else gets the app\'s own 500', async () => {
    const env = { ...sentinelEnv, SUPERTRACE_REDIS_SENTINEL_PASSWORD: PASSWORDS.sentinels }
    const app = await startApp(t, redis, failuresApp, env)
    const proxy = await startProxy(t, app, redis, env)

    await assertPagesOfStoredRecords(proxy.url, app.url, redis.master.client, ADMIN, 'behind password-protected sentinels')
    assertNoPassword(proxy.output, 'the proxy')
    assertNoPassword(app.output, 'the app')
  })

  for (const [situation, password] of [['a wrong sentinel password', PASSWORDS.wrong], ['no sentinel password (the setting forgotten)', undefined]] as const) {
    await t.test(`with ${situation}, nothing crashes and the superuser gets the app's own 500; each connection logs the problem once`, { timeout: 30_000 }, async () => {
      const env = { ...sentinelEnv, SUPERTRACE_REDIS_SENTINEL_PASSWORD: password }
      const app = await startApp(t, redis, failuresApp, env)
      const proxy = await startProxy(t, app, redis, env)

      for (const path of ['/sync/2', '/sync/3', '/sync/4']) await assertAppsOwn500(proxy.url, app.url, path, ADMIN, `the superuser, with ${situation}`)
      assert.equal((await get(`${proxy.url}/ok`)).status, 200, 'ordinary responses pass through')
      assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
      assert.equal(app.child.exitCode, null, 'the app is still running')
      assertProblemLoggedOncePerConnection(proxy, ['superuser lookups and records', 'record notifications'])
      assertProblemLoggedOncePerConnection(app, ['writing records'])
      assertNoPassword(proxy.output, 'the proxy')
      assertNoPassword(app.output, 'the app')
    })
  }
})

/** One ST_REDIS line per connection, and it says what the sentinels answered (WRONGPASS or NOAUTH). */
function assertProblemLoggedOncePerConnection (process: RunningHttp, purposes: readonly string[]): void {
  const lines = loggedEvents(process.output).filter((event) => event.code === 'ST_REDIS' && /unreachable/.test(event.msg))
  for (const purpose of purposes) {
    const forPurpose = lines.filter((event) => event.msg.includes(`for ${purpose} (`))
    assert.equal(forPurpose.length, 1, `one line for the ${purpose} connection:\n${process.output}`)
    assert.match(forPurpose[0]?.msg ?? '', /WRONGPASS|NOAUTH/, 'the line names what the sentinels answered')
  }
}
