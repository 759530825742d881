/**
 * `supertrace ingest` as an SDK, an operator and an attacker meet it: a failing request's
 * export becomes a record the proxy finds, a successful one touches no Redis; every bad
 * export gets the OTLP answer it should (400, 401, 404, 405, 413, 415, 503 with
 * Retry-After, partial success), over HTTP and gRPC, and the receiver keeps serving with
 * no other trace's record lost or mixed in.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { Client, credentials, Metadata, status } from '@grpc/grpc-js'
import { SpanKind } from '@opentelemetry/api'
import { recordKey } from '../core/protocol.ts'
import { decodeRecord, type TraceRecord } from '../core/record.ts'
import { get } from './helpers/http.ts'
import { CONTENT_TYPE, logsExport, newRequestId, postExport, requestSpans, tracesExport, twoServiceRequest } from './helpers/otlp.ts'
import { startIngest, startRedis, type RunningRedis } from './helpers/processes.ts'
import { assertNoSecret } from './helpers/secrets.ts'
import { waitUntil } from './helpers/wait-until.ts'

const TOKEN = 'c2f1e0b7a9d84f6e'
const AUTH = { authorization: `Bearer ${TOKEN}` }

async function storedRecord (redis: RunningRedis, requestId: string): Promise<TraceRecord> {
  let json: string | null = null
  await waitUntil(`the record of ${requestId} is stored`, async () => (json = await redis.client.get(recordKey(requestId))) !== null)
  return decodeRecord(json as unknown as string)
}

test('a failing request\'s export becomes a record, in protobuf, JSON and gzip; a successful one touches no Redis', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  for (const [encoding, gzip] of [['protobuf', false], ['json', false], ['protobuf', true], ['json', true]] as const) {
    const failing = newRequestId()
    const body = tracesExport(requestSpans({ traceId: failing, status: 500, exception: { type: 'KeyError', message: `'SPRING' (${encoding})` } }), encoding)
    const answer = await postExport(ingest.url, '/v1/traces', gzip ? gzipSync(body) : body, { 'content-type': CONTENT_TYPE[encoding], ...(gzip ? { 'content-encoding': 'gzip' } : {}) })
    assert.equal(answer.status, 200, `${encoding}${gzip ? ' gzip' : ''}: accepted`)
    assert.equal(answer.headers.get('content-type'), CONTENT_TYPE[encoding], 'answered in the encoding it was sent in')
    const record = await storedRecord(redis, failing)
    assert.equal(record.exceptions[0]?.type, 'KeyError')
    assert.equal(record.exceptions[0]?.message, `'SPRING' (${encoding})`)
    assert.equal(record.spans.length, 3, 'the SERVER span and its two children')
    await waitUntil('it is listed among the recent failures', async () => await redis.client.zscore('supertrace:recent', failing) !== null)
  }
  const succeeding = newRequestId()
  assert.equal((await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: succeeding, status: 200 }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })).status, 200)
  // A child exported after its request succeeded is not kept: nothing needs it.
  const straggler = requestSpans({ traceId: succeeding, status: 200, children: 1 }).filter((span) => span.kind !== SpanKind.SERVER)
  assert.equal((await postExport(ingest.url, '/v1/traces', tracesExport(straggler, 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })).status, 200)
  assert.match((await get(`${ingest.adminUrl}/metrics`)).text, /supertrace_ingest_spans_total\{outcome="after_success"\} 1/)
  const keys = await redis.client.keys('supertrace:trace:*')
  assert.equal(keys.length, 4, 'only the four failing requests were written')
  assert.equal(keys.includes(recordKey(succeeding)), false)
})

test('foreign SDKs redact nothing: the record in Redis does, in the query, the stack text and the message', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  const requestId = newRequestId()
  const secret = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl'
  const stacktrace = `Traceback (most recent call last):\n  File "/app/shop/views.py", line 12, in charge\n    stripe.charge(key="${secret}")\nValueError: declined for Bearer ${secret}\n`
  await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: requestId, status: 500, exception: { type: 'ValueError', message: `declined for Bearer ${secret}`, stacktrace } }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  await storedRecord(redis, requestId)
  const json = await redis.client.get(recordKey(requestId)) ?? ''
  assertNoSecret({ 'JWT in the stack and the message': secret, 'api_key in the query': 'sk_live_0123456789' }, json, 'the record in Redis')
})

test('an app\'s helper adds frames with locals and source lines: the record has them, redacted; frames that are not as documented are ignored and noted', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  const frames = [{
    function: 'discount_for',
    file: '/app/shop/views.py',
    line: 12,
    context: [{ line: 11, text: 'def discount_for(order):' }, { line: 12, text: '    return DISCOUNTS[order.coupon]' }],
    locals: [{ name: 'order', value: '<Order: 7>' }, { name: 'api_token', value: 'tok_live_abcdef' }, { name: 'note', value: 'paid with 4242 4242 4242 4242' }],
  }]
  const [rich, broken] = [newRequestId(), newRequestId()]
  const send = (id: string, value: string) => postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: id, status: 500, exception: { type: 'KeyError', message: "'SPRING'", attributes: { 'supertrace.exception.frames': value } } }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  await send(rich, JSON.stringify(frames))
  await send(broken, '[{"file": 12}]')
  const [frame] = (await storedRecord(redis, rich)).exceptions[0]?.frames ?? []
  assert.deepEqual(frame?.context?.map((l) => l.line), [11, 12])
  assert.deepEqual(frame?.locals?.map((l) => l.name), ['order', 'api_token', 'note'])
  assert.equal(frame?.locals?.[0]?.value, '<Order: 7>')
  assertNoSecret({ 'token local': 'tok_live_abcdef', 'card number in a local': '4242 4242 4242 4242' }, await redis.client.get(recordKey(rich)) ?? '', 'the record in Redis')
  const fallback = await storedRecord(redis, broken)
  assert.equal(fallback.exceptions[0]?.frames[0]?.function, 'discount_for', 'the frames read from the stack text')
  assert.ok(fallback.truncated.some((note) => note.includes('supertrace.exception.frames')), 'and the page will say why')
})

test('log records: the request\'s log lines join its record in time order, and an exception logged as a record (where OpenTelemetry is heading) is its exception', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  for (const encoding of ['protobuf', 'json'] as const) {
    const requestId = newRequestId()
    const spans = requestSpans({ traceId: requestId, status: 500 })
    const server = spans.find((s) => s.name.startsWith('GET orders')) ?? spans[0]
    const logs = logsExport(requestId, server?.spanContext().spanId ?? '', [
      { severityText: 'INFO', body: 'pricing order 7' },
      { severityText: 'ERROR', body: 'pricing failed', attributes: { 'exception.type': 'KeyError', 'exception.message': "'SPRING'", 'exception.stacktrace': 'Traceback (most recent call last):\n  File "/app/shop/views.py", line 12, in discount_for\n    return DISCOUNTS[order.coupon]\nKeyError: \'SPRING\'\n' } },
    ], encoding)
    // The log lines first, as a separate exporter may send them; then the failing spans.
    assert.equal((await postExport(ingest.url, '/v1/logs', logs, { 'content-type': CONTENT_TYPE[encoding] })).status, 200)
    assert.equal((await postExport(ingest.url, '/v1/traces', tracesExport(spans, encoding), { 'content-type': CONTENT_TYPE[encoding] })).status, 200)
    const record = await storedRecord(redis, requestId)
    assert.deepEqual(record.logs.map((line) => [line.severity, line.body]), [['INFO', 'pricing order 7'], ['ERROR', 'pricing failed']], encoding)
    assert.equal(record.exceptions[0]?.type, 'KeyError', `${encoding}: the exception logged as a record`)
    assert.equal(record.exceptions[0]?.frames[0]?.line, 12)
  }
  const metrics = (await get(`${ingest.adminUrl}/metrics`)).text
  assert.match(metrics, /supertrace_ingest_exports_total\{signal="logs",transport="http",outcome="accepted"\} 2/)
})

test('a request\'s spans across exports, children first, and two requests interleaved: one record each, nothing mixed', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  const [first, second] = [newRequestId(), newRequestId()]
  const spansOf = (id: string, message: string) => requestSpans({ traceId: id, status: 500, children: 3, exception: { type: 'RuntimeError', message } })
  const [a, b] = [spansOf(first, 'first'), spansOf(second, 'second')]
  const send = (spans: ReturnType<typeof spansOf>) => postExport(ingest.url, '/v1/traces', tracesExport(spans, 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  // The children of both, in one export, before either SERVER span.
  await send([...a.slice(0, 3), ...b.slice(0, 3)])
  assert.equal(await redis.client.exists(recordKey(first)), 0, 'no record before the request is known to have failed')
  await send([a[3] as (typeof a)[number]])
  await send([b[3] as (typeof b)[number]])
  const [recordA, recordB] = [await storedRecord(redis, first), await storedRecord(redis, second)]
  assert.equal(recordA.spans.length, 4)
  assert.equal(recordB.spans.length, 4)
  assert.equal(recordA.exceptions[0]?.message, 'first')
  assert.equal(recordB.exceptions[0]?.message, 'second')
  const idsOf = (spans: ReturnType<typeof spansOf>) => new Set(spans.map((s) => s.spanContext().spanId))
  assert.ok(recordA.spans.every((s) => idsOf(a).has(s.spanId)), 'the first record holds only the first request\'s spans')
  // A span exported after the record was written updates it.
  const late = requestSpans({ traceId: first, status: 500, children: 1 }).filter((s) => s.name === 'SELECT')
  await send(late)
  await waitUntil('the late span joins the first record', async () => decodeRecord(await redis.client.get(recordKey(first)) ?? '').spans.length === 5)
})

test('an export sent again after its trace was let go (an SDK\'s retry) does not overwrite the record with a fragment', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis, { SUPERTRACE_INGEST_TRACE_SECONDS: '1' })
  const requestId = newRequestId()
  const spans = requestSpans({ traceId: requestId, status: 500, children: 2, exception: { type: 'KeyError', message: 'once' } })
  const send = (sent: typeof spans) => postExport(ingest.url, '/v1/traces', tracesExport(sent, 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  await send(spans)
  assert.equal((await storedRecord(redis, requestId)).spans.length, 3)
  await waitUntil('the trace is let go', async () => /^supertrace_ingest_buffer_traces 0$/m.test((await get(`${ingest.adminUrl}/metrics`)).text))
  await send(spans.filter((span) => span.kind === SpanKind.SERVER))
  // Exports are taken in order and records written in order: once a later one is stored, the resent one was handled.
  const later = newRequestId()
  await send(requestSpans({ traceId: later, status: 500, exception: { type: 'KeyError', message: 'later' } }))
  await storedRecord(redis, later)
  assert.equal(decodeRecord(await redis.client.get(recordKey(requestId)) ?? '').spans.length, 3, 'the record still holds all three spans')
})

test('a request across two services: the one downstream succeeded and exported first, the app failed; the record holds both services\' spans', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  const requestId = newRequestId()
  const { downstream, app } = twoServiceRequest(requestId)
  for (const spans of [downstream, app]) assert.equal((await postExport(ingest.url, '/v1/traces', tracesExport(spans, 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })).status, 200)
  const record = await storedRecord(redis, requestId)
  assert.equal(record.service.name, 'shop', 'the record is the failing request\'s, not the downstream service\'s')
  assert.equal(record.spans.length, 4, 'the downstream SERVER span, its query, the app\'s call and its SERVER span')
  assert.deepEqual(record.spans.filter((span) => span.service === 'prices').map((span) => span.kind).sort(), ['client', 'server'], 'the downstream service\'s spans are marked as its')
})

test('bad exports get the OTLP answer they should, and the receiver keeps serving', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis, { SUPERTRACE_INGEST_TOKEN: TOKEN })
  const valid = (id: string) => tracesExport(requestSpans({ traceId: id, status: 500, exception: { type: 'KeyError', message: 'x' } }), 'protobuf')
  const protobuf = { 'content-type': CONTENT_TYPE.protobuf }

  assert.equal((await postExport(ingest.url, '/v1/traces', valid(newRequestId()), protobuf)).status, 401, 'no token')
  assert.equal((await postExport(ingest.url, '/v1/traces', valid(newRequestId()), { ...protobuf, authorization: 'Bearer wrong' })).status, 401, 'a wrong token')
  assert.equal((await postExport(ingest.url, '/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), { ...protobuf, ...AUTH })).status, 400, 'malformed protobuf')
  assert.equal((await postExport(ingest.url, '/v1/traces', '{"resourceSpans": [', { 'content-type': CONTENT_TYPE.json, ...AUTH })).status, 400, 'malformed JSON')
  assert.equal((await postExport(ingest.url, '/v1/traces', valid(newRequestId()), { 'content-type': 'text/plain', ...AUTH })).status, 415, 'an unknown content type')
  assert.equal((await postExport(ingest.url, '/v1/metrics' as '/v1/traces', valid(newRequestId()), { ...protobuf, ...AUTH })).status, 404, 'a signal it does not take')
  assert.equal((await get(`${ingest.url}/v1/traces`)).status, 405, 'GET')
  // A gzip bomb: 1 GB of zeros in about 1 MB, inflated only up to the cap.
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
  const bombed = await postExport(ingest.url, '/v1/traces', bomb, { ...protobuf, ...AUTH, 'content-encoding': 'gzip' })
  assert.equal(bombed.status, 413, 'a body that inflates past the cap')
  // Wrong-length and all-zero IDs: those spans refused (partial success), the others of the same export kept.
  const kept = newRequestId()
  const json = JSON.parse(Buffer.from(tracesExport(requestSpans({ traceId: kept, status: 500, exception: { type: 'KeyError', message: 'kept' } }), 'json')).toString()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> }
  const spans = json.resourceSpans[0]?.scopeSpans[0]?.spans ?? []
  spans.push({ ...spans[0], traceId: '00000000000000000000000000000000' }, { ...spans[0], spanId: 'abc' })
  const partial = await postExport(ingest.url, '/v1/traces', JSON.stringify(json), { 'content-type': CONTENT_TYPE.json, ...AUTH })
  assert.equal(partial.status, 200)
  const answer = JSON.parse(partial.body.toString()) as { partialSuccess?: { rejectedSpans?: string | number, errorMessage?: string } }
  assert.equal(Number(answer.partialSuccess?.rejectedSpans), 2, 'the two malformed spans are refused, and said so')
  assert.equal((await storedRecord(redis, kept)).exceptions[0]?.message, 'kept', 'the rest of that export still made its record')
  // After all that, an ordinary export still becomes a record.
  const after = newRequestId()
  assert.equal((await postExport(ingest.url, '/v1/traces', valid(after), { ...protobuf, ...AUTH })).status, 200)
  await storedRecord(redis, after)
  const metrics = (await get(`${ingest.adminUrl}/metrics`)).text
  assert.match(metrics, /supertrace_ingest_exports_total\{signal="traces",transport="http",outcome="unauthorized"\} 2/)
  assert.match(metrics, /supertrace_ingest_spans_total\{outcome="rejected"\} 2/)
})

test('an export of 100,000 spans waiting for their requests\' SERVER spans is taken within the buffer\'s bound, what it lets go is counted, and the next export still makes its record', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis, { SUPERTRACE_INGEST_BUFFER_MB: '4' })
  // Children only: their requests' outcome is not known yet, so they must wait in the buffer.
  const spans = Array.from({ length: 20_000 }, () => requestSpans({ traceId: newRequestId(), status: 200, children: 5, bare: true })).flat().filter((span) => span.kind !== SpanKind.SERVER)
  const body = tracesExport(spans, 'protobuf')
  assert.equal(spans.length, 100_000)
  assert.ok(body.length < 16 * 1024 * 1024, `under the receiver's cap on an export (${body.length} bytes)`)
  assert.equal((await postExport(ingest.url, '/v1/traces', body, { 'content-type': CONTENT_TYPE.protobuf })).status, 200)
  const metrics = (await get(`${ingest.adminUrl}/metrics`)).text
  const gauge = (name: string): number => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN)
  assert.ok(gauge('supertrace_ingest_buffer_bytes') <= 4_000_000, 'the buffer stays within SUPERTRACE_INGEST_BUFFER_MB')
  assert.ok(Number(/supertrace_ingest_spans_total\{outcome="evicted"\} (\d+)/.exec(metrics)?.[1]) > 0, 'and counts what it let go')
  assert.equal(await redis.client.keys('supertrace:trace:*').then((keys) => keys.length), 0, 'successful requests touch no Redis')
  const after = newRequestId()
  await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: after, status: 500, exception: { type: 'KeyError', message: 'after the flood' } }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  assert.equal((await storedRecord(redis, after)).exceptions[0]?.message, 'after the flood')
})

test('exports that arrive faster than they are read are answered 503 with Retry-After, which SDKs retry', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  const { port } = new URL(ingest.url)
  // Chunked bodies that never end: each holds the room of a whole export until it does.
  const stalled = Array.from({ length: 4 }, () => {
    const req = request({ port, method: 'POST', path: '/v1/traces', headers: { 'content-type': CONTENT_TYPE.protobuf, 'transfer-encoding': 'chunked' } })
    req.on('error', () => {})
    req.write(Buffer.alloc(10))
    return req
  })
  t.after(() => { for (const req of stalled) req.destroy() })
  await waitUntil('the refused export', async () => {
    const answer = await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: newRequestId(), status: 200 }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
    if (answer.status !== 503) return false
    assert.equal(answer.headers.get('retry-after'), '1')
    return true
  })
  for (const req of stalled) req.destroy()
  await waitUntil('exports are taken again once the stalled ones are gone', async () => (await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: newRequestId(), status: 200 }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })).status === 200)
})

test('with Redis down the receiver still answers every export at once, counts the records it could not store, and stores them again once Redis is back', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis)
  await redis.stop()
  const lost = newRequestId()
  const answered = await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: lost, status: 500, exception: { type: 'KeyError', message: 'while Redis was down' } }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  assert.equal(answered.status, 200, 'the SDK is not made to retry what the receiver took')
  await waitUntil('the failed write is counted', async () => /supertrace_ingest_record_writes_total\{outcome="not_stored"\} 1/.test((await get(`${ingest.adminUrl}/metrics`)).text))
  assert.match(ingest.output, /"code":"ST_REDIS"/, 'and logged with its code')
  const back = await startRedis(t, redis.port)
  const after = newRequestId()
  await postExport(ingest.url, '/v1/traces', tracesExport(requestSpans({ traceId: after, status: 500, exception: { type: 'KeyError', message: 'Redis is back' } }), 'protobuf'), { 'content-type': CONTENT_TYPE.protobuf })
  await storedRecord(back, after)
})

test('OTLP/gRPC: a failing request becomes a record; a wrong token is UNAUTHENTICATED, a malformed export INVALID_ARGUMENT', async (t) => {
  const redis = await startRedis(t)
  const ingest = await startIngest(t, redis, { SUPERTRACE_INGEST_TOKEN: TOKEN })
  const client = new Client(new URL(ingest.grpcUrl).host, credentials.createInsecure())
  t.after(() => client.close())
  const exportOver = (body: Uint8Array, token: string | null) => new Promise<{ code: number }>((resolve) => {
    const metadata = new Metadata()
    if (token !== null) metadata.set('authorization', `Bearer ${token}`)
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), metadata, (err) => resolve({ code: err?.code ?? status.OK }))
  })
  const requestId = newRequestId()
  const body = tracesExport(requestSpans({ traceId: requestId, status: 500, exception: { type: 'KeyError', message: 'over gRPC' } }), 'protobuf')
  assert.equal((await exportOver(body, 'wrong')).code, status.UNAUTHENTICATED)
  assert.equal((await exportOver(Buffer.from([0x0a, 0xff, 0xff]), TOKEN)).code, status.INVALID_ARGUMENT)
  assert.equal((await exportOver(body, TOKEN)).code, status.OK)
  assert.equal((await storedRecord(redis, requestId)).exceptions[0]?.message, 'over gRPC')
})
