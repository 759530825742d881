import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { decodeRecord, REDACTED } from '../core/record.ts'
import { get, login } from './helpers/http.ts'
import { exampleApp, startStack } from './helpers/processes.ts'

/** The line of the example app where `order.total` is read from an undefined order. */
const throwingLine = readFileSync(exampleApp, 'utf8').split('\n').findIndex((line) => line.includes('order.total.toFixed')) + 1

test('a superuser who hits a failing route sees the debug page with the app\'s exception, file and line', async (t) => {
  const { proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')

  const page = await get(`${proxy.url}/orders/42`, { cookie, accept: 'text/html' })

  assert.equal(page.status, 500)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.match(page.text, /<h1>TypeError at \/orders\/42<\/h1>/)
  assert.match(page.text, /Cannot read properties of undefined \(reading &#39;total&#39;\)/)
  assert.ok(page.text.includes(`deploy/example-app/server.js:${throwingLine}:`), `the page names server.js:${throwingLine}`)
  assert.match(page.text, /GET \/orders\/:id/, 'the server span, named by its route, is in the trace')
  assert.match(page.text, new RegExp(`<code>${page.headers['x-request-id']}</code>`), 'the request ID is shown')
  assert.doesNotMatch(page.text, /<h1>Sorry, something went wrong/, 'the app\'s own 500 page is replaced')
  assert.match(page.text, /<section id="original">[\s\S]*&lt;h1&gt;Sorry, something went wrong/, 'and shown, as text, under what the user saw')
  assert.equal(page.headers['cache-control'], 'no-store, private')
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/)
  assert.equal(page.headers['x-supertrace-record'], undefined, 'the instrumentation\'s marker never reaches the client')
})

test('asking for JSON gives the same content as data: the record with its parsed frames and spans', async (t) => {
  const { proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')

  const response = await get(`${proxy.url}/orders/42`, { cookie, accept: 'application/json' })

  assert.equal(response.status, 500)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  const report = JSON.parse(response.text) as { requestId: string, record: unknown, missingRecord: string | null }
  assert.equal(report.requestId, response.headers['x-request-id'])
  assert.equal(report.missingRecord, null)
  const record = decodeRecord(JSON.stringify(report.record))
  assert.equal(record.requestId, report.requestId)
  assert.equal(record.service.name, 'example-shop')
  assert.deepEqual([record.request.method, record.request.url, record.request.route], ['GET', '/orders/42', '/orders/:id'])
  assert.deepEqual(record.request.cookies, [['sessionid', REDACTED]], 'the session cookie is recorded, its value hidden')
  assert.equal(record.response.status, 500)
  const [exception] = record.exceptions
  assert.equal(exception?.type, 'TypeError')
  assert.ok(exception.frames[0]?.file.endsWith('deploy/example-app/server.js'))
  assert.equal(exception.frames[0]?.line, throwingLine)
  const server = record.spans.find((s) => s.kind === 'server')
  assert.equal(server?.name, 'GET /orders/:id')
  assert.ok(record.spans.some((s) => s.parentSpanId === server.spanId), 'the Express spans are children of the server span')
})

test('an async handler that rejects and an error passed to next() are shown with their own messages', async (t) => {
  const { proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')

  const checkout = await get(`${proxy.url}/checkout`, { cookie })
  const report = await get(`${proxy.url}/report`, { cookie })

  assert.match(checkout.text, /Error: card declined for admin/)
  assert.match(checkout.text, /chargeCard/)
  assert.match(report.text, /RangeError: report period is out of range/)
})

test('a 500 the app sends without throwing shows the request\'s trace and says no exception was captured', async (t) => {
  const { proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')

  const page = await get(`${proxy.url}/maintenance`, { cookie })

  assert.equal(page.status, 500)
  assert.match(page.text, /No exception was captured/)
  assert.match(page.text, /GET \/maintenance/)
})
