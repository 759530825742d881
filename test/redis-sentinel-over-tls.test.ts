import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertLogged } from './helpers/logs.ts'
import { repoRoot, startApp, startProxy } from './helpers/processes.ts'
import { startRedisSentinels } from './helpers/redis-topologies.ts'
import { assertAppsOwn500, assertPagesOfStoredRecords } from './helpers/superusers.ts'
import { makeCertificates } from './helpers/tls.ts'

const failuresApp = `${repoRoot}test/apps/failures-app.js`
const ADMIN = 'sessionid=sentinel-admin-session'
const SENTINEL_PASSWORD = 'S3CRETsentinelPASSWORD'

test('behind sentinels and a master that speak TLS alone (no plain port), each with a password, as managed Redis runs them', { timeout: 90_000 }, async (t) => {
  const certificates = await makeCertificates(t)
  const redis = await startRedisSentinels(t, { sentinelPassword: SENTINEL_PASSWORD, masterPassword: 'S3CRETmasterPASSWORD', tls: certificates })
  assert.match(redis.url, /^rediss:/)
  const env = {
    SUPERTRACE_REDIS_SENTINELS: redis.sentinelsSetting,
    SUPERTRACE_REDIS_SENTINEL_NAME: redis.masterName,
    SUPERTRACE_REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    // The throwaway CA, trusted the way a private CA is in production.
    NODE_EXTRA_CA_CERTS: certificates.caFile,
  }
  await redis.master.client.sadd('supertrace:superusers', 'sentinel-admin-session')

  await t.test('a rediss: SUPERTRACE_REDIS_URL alone puts TLS on the sentinels and the master: the superuser sees the page of the record the app stored', async () => {
    const app = await startApp(t, redis, failuresApp, env)
    const proxy = await startProxy(t, app, redis, env)

    await assertPagesOfStoredRecords(proxy.url, app.url, redis.master.client, ADMIN, 'over TLS')
  })

  await t.test('SUPERTRACE_REDIS_SENTINEL_TLS=false, against sentinels that speak TLS alone, fails closed: the app\'s own 500 and the problem logged', async () => {
    const plain = { ...env, SUPERTRACE_REDIS_SENTINEL_TLS: 'false' }
    const app = await startApp(t, redis, failuresApp, plain)
    const proxy = await startProxy(t, app, redis, plain)

    await assertAppsOwn500(proxy.url, app.url, '/sync/2', ADMIN, 'the superuser, without TLS to the sentinels')
    await assertLogged(proxy, { code: 'ST_REDIS', msg: /is unreachable for superuser lookups and records \(All sentinels are unreachable/ })
    assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
    assert.equal(app.child.exitCode, null, 'the app is still running')
  })
})
