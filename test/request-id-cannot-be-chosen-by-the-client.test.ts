import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PROXY_TRACESTATE } from '../core/protocol.ts'
import { get, login } from './helpers/http.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

const plainApp = `${repoRoot}test/apps/plain-app.js`

test('every request gets a fresh request ID, sent upstream as x-request-id and as the trace ID of a new traceparent, and returned to the client', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp })

  const first = await get(`${proxy.url}/headers`)
  const second = await get(`${proxy.url}/headers`)

  const requestId = String(first.headers['x-request-id'])
  assert.match(requestId, /^[0-9a-f]{32}$/)
  assert.notEqual(second.headers['x-request-id'], requestId)
  const seen = JSON.parse(first.text) as { headers: Record<string, string> }
  assert.equal(seen.headers['x-request-id'], requestId)
  assert.match(seen.headers.traceparent ?? '', new RegExp(`^00-${requestId}-[0-9a-f]{16}-01$`))
})

test('a client-supplied x-request-id, traceparent or tracestate is replaced, never passed on', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp })
  const forged = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'

  const response = await get(`${proxy.url}/headers`, { 'x-request-id': forged, traceparent: `00-${forged}-bbbbbbbbbbbbbbbb-01`, tracestate: 'vendor=x' })

  const seen = JSON.parse(response.text) as { headers: Record<string, string>, rawHeaders: string[] }
  assert.notEqual(response.headers['x-request-id'], forged)
  assert.equal(seen.headers['x-request-id'], response.headers['x-request-id'])
  assert.ok(!seen.rawHeaders.join('\n').includes(forged), 'the forged ID reaches the app nowhere')
  assert.equal(seen.headers.tracestate, PROXY_TRACESTATE, 'the client\'s tracestate is replaced by the proxy\'s own')
})

test('a superuser who forges another request\'s ID still sees only their own request\'s record', async (t) => {
  const { proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')
  const victim = await get(`${proxy.url}/echo-error?message=victim-secret`, { cookie: 'sessionid=someone-else' })
  const victimId = String(victim.headers['x-request-id'])

  const page = await get(`${proxy.url}/echo-error?message=mine`, { cookie, accept: 'application/json', 'x-request-id': victimId, traceparent: `00-${victimId}-bbbbbbbbbbbbbbbb-01` })

  const report = JSON.parse(page.text) as { requestId: string, record: { exceptions: Array<{ message: string }> } }
  assert.notEqual(report.requestId, victimId)
  assert.equal(report.record.exceptions[0]?.message, 'mine')
  assert.ok(!page.text.includes('victim-secret'))
})
