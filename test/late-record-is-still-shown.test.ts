import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, login } from './helpers/http.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

test('a record the app stores after its 500 has left still reaches the superuser\'s page', async (t) => {
  // The plain app, without the instrumentation, announces a record on its 500 but stores it 300 ms after the response has gone.
  const { redis, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js`, nodeFlags: [], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '5000' } })
  await redis.client.sadd('supertrace:superusers', 'boss')

  const page = await get(`${proxy.url}/late-record?delay=300`, { cookie: 'sessionid=boss' })

  assert.equal(page.status, 500)
  assert.match(page.text, /written after the 500 left/)
  assert.match(page.text, new RegExp(String(page.headers['x-request-id'])))
})

test('when no record comes in time, the superuser still gets a page that says so', async (t) => {
  const { redis, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js`, nodeFlags: [], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '100' } })
  await redis.client.sadd('supertrace:superusers', 'boss')

  const page = await get(`${proxy.url}/late-record?delay=3000`, { cookie: 'sessionid=boss' })

  assert.equal(page.status, 500)
  assert.match(page.text, /No record from the app/)
  assert.match(page.text, /none arrived within 100 ms/)
  assert.match(page.text, /GET \/late-record\?delay=3000/)
})

test('a 500 from an app without the instrumentation gives the superuser a page that asks whether it is loaded', async (t) => {
  const { proxy } = await startStack(t, { nodeFlags: [] })
  const cookie = await login(proxy.url, 'admin')

  const page = await get(`${proxy.url}/orders/42`, { cookie })

  assert.equal(page.status, 500)
  assert.match(page.text, /carried no record marker/)
  assert.match(page.text, /is it loaded\? `node --import supertrace\/register server\.js`/)
})
