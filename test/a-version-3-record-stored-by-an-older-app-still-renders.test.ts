import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { recordKey } from '../core/protocol.ts'
import { decodeStored, isRepeat, RECORD_VERSION, type TraceRecord } from '../core/record.ts'
import { get, login } from './helpers/http.ts'
import { startStack } from './helpers/processes.ts'

/**
 * What the version 3 instrumentation stored for `GET /after-calls?token=…&page=2` of
 * test/apps/failures-app.js (an app not yet upgraded): span times in milliseconds,
 * Node's frames as `node`, `process.node`.
 */
const STORED_V3 = readFileSync(new URL('fixtures/record-v3-after-calls.json', import.meta.url), 'utf8')
const V3 = JSON.parse(STORED_V3) as { requestId: string, spans: Array<{ start: number, duration: number }> }

test('a version 3 record is read in the version 4 shape: microseconds, the runtime\'s frames and process, Node\'s language, the app\'s request, no log lines', () => {
  const record = decodeStored(STORED_V3) as TraceRecord
  assert.equal(record.v, RECORD_VERSION)
  assert.deepEqual(record.spans.map((s) => s.startUs), V3.spans.map((s) => s.start * 1000))
  assert.deepEqual(record.spans.map((s) => s.durationUs), V3.spans.map((s) => Math.round(s.duration * 1000)))
  assert.ok(record.spans.every((s) => s.events.every((e) => Number.isInteger(e.timeUs))))
  assert.deepEqual(record.exceptions[0]?.frames.map((f) => f.origin), ['app', 'runtime'])
  assert.equal(record.process.runtime, 'Node.js v26.10.0')
  assert.equal(record.language, 'nodejs')
  assert.equal(record.request.source, 'app')
  assert.deepEqual(record.logs, [])
})

test('a version 3 repeat, a pointer to an earlier failure\'s record, is read as a version 4 one', () => {
  const repeat = { v: 3, requestId: '4bf92f3577b34da6a3ce929d0e0e4737', sameAs: V3.requestId, time: 1, request: { method: 'GET', url: '/after-calls' }, response: { status: 500 } }
  const stored = decodeStored(JSON.stringify(repeat))
  assert.ok(isRepeat(stored))
  assert.deepEqual(stored, { ...repeat, v: RECORD_VERSION })
})

test('a superuser who opens a version 3 record stored by an app not yet upgraded gets its page, in every format', async (t) => {
  const { proxy, redis } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')
  await redis.client.set(recordKey(V3.requestId), STORED_V3)
  const page = (accept: string): Promise<string> => get(`${proxy.url}/_supertrace/requests/${V3.requestId}`, { cookie, accept }).then((r) => r.body.toString())

  const html = await page('text/html')
  assert.match(html, /<title>Error at \/after-calls<\/title>/)
  assert.match(html, /<dt>Runtime<\/dt><dd>Node.js v26.10.0<\/dd>/)
  assert.match(html, /<summary>1 frame in Node internals<\/summary>/)
  assert.match(html, /<span class="tag">node<\/span>/)
  assert.match(html, /GET \/after-calls<\/span>\n<span class="dur">48.9 ms<\/span>/, 'the root span, 48.854519 ms, in its microseconds')
  assert.match(html, /<span class="dur">301 µs<\/span>/, 'the Redis connect, 0.301417 ms')
  const text = await page('text/plain')
  assert.match(text, /^Error at \/after-calls\nException: +Error: the upstream answer was not enough/)
  assert.match(text, /Trace \(11 spans, /)
  assert.match(await page('text/markdown'), /^## `Error` at `\/after-calls`/)
  const json = JSON.parse(await page('application/json')) as { record: TraceRecord }
  assert.equal(json.record.v, RECORD_VERSION)
  assert.deepEqual(json.record.spans.map((s) => s.startUs), V3.spans.map((s) => s.start * 1000))
})
