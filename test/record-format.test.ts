import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { RecordFormatError } from '../core/errors.ts'
import { recordKey } from '../core/protocol.ts'
import { decodeRecord, encodeRecord, RECORD_VERSION } from '../core/record.ts'
import { REQUEST_ID, typicalRecord } from './fixtures/records.ts'
import { get, login } from './helpers/http.ts'
import { startStack } from './helpers/processes.ts'

test('a record of another version, or not a record at all, is refused with ST_RECORD_FORMAT', () => {
  for (const stored of ['{"v":5}', '{"v":0}', '{"v":1}', 'not json', '[]', JSON.stringify({ v: RECORD_VERSION, requestId: 'x' })]) {
    assert.throws(() => decodeRecord(stored), (err: unknown) => err instanceof RecordFormatError && err.code === 'ST_RECORD_FORMAT', stored)
  }
})

/** Records of the right version whose rendered fields have the wrong type: each once crashed the page, so the proxy. */
const MALFORMED: ReadonlyArray<readonly [string, (r: Record<string, any>) => void]> = [
  ['a frame\'s source context that is no list', (r) => { r.exceptions[0].frames[0].context = 'x' }],
  ['a frame\'s locals that are no list', (r) => { r.exceptions[0].frames[0].locals = 'x' }],
  ['a span event that is null', (r) => { r.spans[0].events = [null] }],
  ['a request body that is a number', (r) => { r.request.body = 5 }],
  ['a service version that is an object', (r) => { r.service.version = {} }],
  ['a route that is a number', (r) => { r.request.route = 5 }],
  ['a span status code that is a number', (r) => { r.spans[0].status = { code: 5 } }],
  ['an attribute value that is an object, which would pass the page\'s limits and redaction', (r) => { r.spans[0].attributes = { 'db.options': { password: 'hunter2' } } }],
  ['an attribute list holding an object', (r) => { r.resource = { 'process.command_args': [{ api_key: 'k' }] } }],
  ['a span kind that is none of OpenTelemetry\'s', (r) => { r.spans[0].kind = 'x'.repeat(100_000) }],
  ['a cause chain nested thousands deep', (r) => {
    let exception = r.exceptions[0]
    for (let i = 0; i < 10_000; i++) exception = exception.cause = { type: 'Error', message: '', stack: '', frames: [] }
  }],
  ['suppressed exceptions nested thousands deep', (r) => {
    let exception = r.exceptions[0]
    for (let i = 0; i < 10_000; i++) exception = (exception.suppressed = [{ type: 'Error', message: '', stack: '', frames: [] }])[0]
  }],
  ['a cause kind that is neither cause nor context', (r) => { r.exceptions[0].causeKind = 'because' }],
  ['a request source that is neither app nor spans', (r) => { r.request.source = 'proxy' }],
  ['a span start in milliseconds under the version 3 name', (r) => { delete r.spans[0].startUs; r.spans[0].start = 1 }],
  ['a span\'s service that is a number', (r) => { r.spans[0].service = 5 }],
  ['a log line whose body is an object, which would pass the page\'s limits and redaction', (r) => { r.logs = [{ timeUs: 1, severity: 'ERROR', body: { password: 'hunter2' }, attributes: {} }] }],
  ['log lines that are no list', (r) => { r.logs = 'x' }],
  ['a process without its runtime', (r) => { delete r.process.runtime }],
]

function malformed (mutate: (r: Record<string, any>) => void): string {
  const record = JSON.parse(encodeRecord(typicalRecord())) as Record<string, any>
  mutate(record)
  return JSON.stringify(record)
}

test('a record whose rendered fields have the wrong type is refused with ST_RECORD_FORMAT, not rendered', () => {
  for (const [name, mutate] of MALFORMED) {
    assert.throws(() => decodeRecord(malformed(mutate)), (err: unknown) => err instanceof RecordFormatError, name)
  }
})

test('a version 3 record nested thousands deep is refused as the current version is, not overflowing the stack while it is upgraded', () => {
  const record = JSON.parse(readFileSync(new URL('fixtures/record-v3-after-calls.json', import.meta.url), 'utf8')) as Record<string, any>
  let exception = record.exceptions[0]
  for (let i = 0; i < 10_000; i++) exception = exception.cause = { type: 'Error', message: '', stack: '', frames: [{ file: 'node:x', line: 1, column: 1, origin: 'node' }] }
  assert.throws(() => decodeRecord(JSON.stringify(record)), (err: unknown) => err instanceof RecordFormatError)
})

test('a superuser who opens a malformed stored record is told it could not be read, and the proxy keeps serving', async (t) => {
  const { proxy, redis } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')
  for (const [name, mutate] of MALFORMED) {
    await redis.client.set(recordKey(REQUEST_ID), malformed(mutate))
    const page = await get(`${proxy.url}/_supertrace/requests/${REQUEST_ID}`, { cookie, accept: 'text/plain' })
    assert.match(page.text, /The stored record could not be read/, name)
  }
  assert.equal((await get(`${proxy.url}/hello`)).status, 200)
})

test('a version 1 record, written by an app not yet upgraded, is still read, with empty values for what it lacks', () => {
  const v1 = {
    v: 1,
    requestId: '4bf92f3577b34da6a3ce929d0e0e4736',
    complete: true,
    service: { name: 'shop' },
    time: 1,
    request: { method: 'GET', url: '/orders/42', route: '/orders/:id' },
    response: { status: 500 },
    exceptions: [{ type: 'TypeError', message: 'x', stack: 'TypeError: x', frames: [
      { function: 'handler', file: '/app/server.js', line: 3, column: 9 },
      { file: '/app/node_modules/express/lib/router/layer.js', line: 1, column: 1 },
      { file: 'node:internal/process/task_queues', line: 1, column: 1 },
    ] }],
    spans: [],
    droppedSpans: 0,
  }
  const record = decodeRecord(JSON.stringify(v1))
  assert.equal(record.v, RECORD_VERSION)
  assert.deepEqual(record.request, { source: 'app', method: 'GET', url: '/orders/42', route: '/orders/:id', query: [], headers: [], cookies: [] })
  assert.deepEqual([record.environment, record.resource, record.truncated, record.logs], [[], {}, [], []])
  assert.deepEqual(record.process, { runtime: 'Node.js' }, 'a version 1 record knew nothing of the process but that it was Node\'s')
  assert.deepEqual(record.exceptions[0]?.frames.map((f) => f.origin), ['app', 'library', 'runtime'])
})
