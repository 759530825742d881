import assert from 'node:assert/strict'
import { test } from 'node:test'
import { recordKey } from '../core/protocol.ts'
import { get } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { proxyBin, repoRoot, run, startApp, startProxy } from './helpers/processes.ts'
import { startRedisCluster } from './helpers/redis-topologies.ts'
import { assertAppsOwn500 } from './helpers/superusers.ts'

const failuresApp = `${repoRoot}test/apps/failures-app.js`
const ADMIN = 'sessionid=cluster-admin-session'
const FAILURES = 12

test('on a Redis Cluster of three masters, records spread across the masters, and a superuser sees each failure\'s page and the list of recent failures; anyone else gets the app\'s own 500', { timeout: 90_000 }, async (t) => {
  const cluster = await startRedisCluster(t)
  const env = { SUPERTRACE_REDIS_CLUSTER_NODES: cluster.nodesSetting }
  const app = await startApp(t, cluster, failuresApp, env)
  const proxy = await startProxy(t, app, cluster, env)

  const grant = run(t, process.execPath, [proxyBin, 'grant', 'cluster-admin-session'], env)
  await grant.waitFor('is now a superuser\'s')

  await assertAppsOwn500(proxy.url, app.url, '/sync/2', 'sessionid=someone-else', 'a visitor\'s 500 on a cluster')
  await assertAppsOwn500(proxy.url, app.url, '/sync/2', '', 'an anonymous 500 on a cluster')

  const requestIds: string[] = []
  for (let i = 0; i < FAILURES; i++) {
    const page = await get(`${proxy.url}/sync/${i + 2}`, { cookie: ADMIN, accept: ACCEPT.text })
    assert.equal(page.status, 500)
    assert.match(page.text, /TypeError: Cannot read properties of undefined \(reading 'lines'\)/, 'the debug page shows the app\'s exception')
    assert.match(page.text, /findOrder/, 'from the record the app wrote through the cluster: its frames')
    assert.doesNotMatch(page.text, /No record from the app/)
    requestIds.push(String(page.headers['x-request-id']))
  }

  // Where each record lives: SCAN on a cluster node lists only the keys of its own slots.
  const recordsPerMaster = await Promise.all(cluster.masters.map(async (master) => {
    const [, keys] = await master.client.scan('0', 'MATCH', 'supertrace:trace:*', 'COUNT', 10_000)
    return new Set(keys)
  }))
  t.diagnostic(`records per master: ${recordsPerMaster.map((keys) => requestIds.filter((id) => keys.has(recordKey(id))).length).join(', ')}`)
  for (const id of requestIds) {
    assert.equal(recordsPerMaster.filter((keys) => keys.has(recordKey(id))).length, 1, `the record of ${id} is stored on exactly one master`)
  }
  const holding = recordsPerMaster.filter((keys) => requestIds.some((id) => keys.has(recordKey(id)))).length
  assert.ok(holding >= 2, `${FAILURES} records are spread over ${holding} of the 3 masters`)

  const list = JSON.parse((await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN, accept: ACCEPT.json })).text) as { failures: Array<{ requestId: string }> }
  const listed = list.failures.map((failure) => failure.requestId)
  for (const id of requestIds) assert.ok(listed.includes(id), `the recent failures list ${id}, read from whichever master holds it`)
  assert.deepEqual(listed.filter((id) => requestIds.includes(id)), requestIds.toReversed(), 'newest first')

  const later = await get(`${proxy.url}/_supertrace/requests/${requestIds[0]}`, { cookie: ADMIN, accept: ACCEPT.text })
  assert.equal(later.status, 200)
  assert.match(later.text, /findOrder/)
  const visitor = await get(`${proxy.url}/_supertrace/requests/${requestIds[0]}`, { cookie: 'sessionid=someone-else', accept: ACCEPT.text })
  assert.doesNotMatch(visitor.text, /findOrder/, 'a visitor never sees a record')
})
