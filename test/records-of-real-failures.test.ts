import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { test, type TestContext } from 'node:test'
import { RECENT_FAILURES_KEY, RECENT_FAILURES_LIMIT } from '../core/protocol.ts'
import { decodeRecord, type RecordedException, type StackFrame } from '../core/record.ts'
import { RecordWriter } from '../storage/writer.ts'
import { repoRoot, startApp, startRedis, type RunningHttp, type RunningRedis } from './helpers/processes.ts'
import { failRequest } from './helpers/records.ts'

const failuresApp = `${repoRoot}test/apps/failures-app.js`

async function startFailuresApp (t: TestContext, env: NodeJS.ProcessEnv = {}): Promise<{ redis: RunningRedis, app: RunningHttp }> {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, failuresApp, { SHOP_NAME: 'Example shop', SUPERTRACE_COMMIT: '3f2c1a9', ...env })
  return { redis, app }
}

function appFrames (exception: RecordedException | undefined): StackFrame[] {
  return exception?.frames.filter((f) => f.origin === 'app') ?? []
}

test('a synchronous throw is recorded with its frames, their origin and the source lines around each', async (t) => {
  const { redis, app } = await startFailuresApp(t)
  const { status, record } = await failRequest(redis, `${app.url}/sync/7?page=2`)

  assert.equal(status, 500)
  const [exception] = record.exceptions
  assert.equal(exception?.type, 'TypeError')
  const [top] = exception.frames
  assert.equal(top?.function, 'findOrder')
  assert.ok(top.file.endsWith('test/apps/failures-app.js'))
  assert.equal(top.origin, 'app')
  const throwing = top.context?.find((l) => l.line === top.line)
  assert.match(throwing?.text ?? '', /return orders\[id\]\.lines \/\/ the throwing line/)
  assert.equal(top.context?.length, 7, 'three lines before, the line, three after')
  assert.equal(top.context?.[0]?.line, top.line - 3)
  assert.ok(exception.frames.some((f) => f.origin === 'library' && f.file.includes('/node_modules/') && f.context !== undefined), 'Express\'s frames are library frames, with context')
  assert.ok(exception.frames.every((f) => f.origin !== 'runtime' || f.context === undefined), 'no context is read for Node\'s internals')

  assert.deepEqual([record.request.method, record.request.url, record.request.route], ['GET', '/sync/7?page=2', '/sync/:id'])
  assert.deepEqual(record.request.query, [['page', '2']])
  assert.ok(record.request.headers.some(([name]) => name.toLowerCase() === 'traceparent'))
  assert.equal(record.process.pid, app.child.pid)
  assert.match(record.process.runtime, /^Node\.js v\d+\./)
  assert.equal(record.language, 'nodejs')
  assert.equal(record.request.source, 'app', 'the app saw the request itself: headers, cookies and all')
  assert.deepEqual(record.logs, [])
  assert.equal(record.process.cwd, repoRoot.replace(/\/$/, ''))
  assert.equal(record.process.commit, '3f2c1a9')
  assert.ok((record.process.hostname ?? '').length > 0)
  assert.equal(record.resource['service.name'], 'example-shop')
  assert.deepEqual(record.environment.find(([name]) => name === 'SHOP_NAME'), ['SHOP_NAME', 'Example shop'])
  const names = record.environment.map(([name]) => name)
  assert.deepEqual(names, [...names].sort(), 'environment variables are sorted by name')
  assert.deepEqual(record.truncated, [])
  assert.ok(await redis.client.zscore(RECENT_FAILURES_KEY, record.requestId) !== null, 'the failure is listed among the recent ones')
})

test('an async rejection keeps the awaiting callers as async frames', async (t) => {
  const { redis, app } = await startFailuresApp(t)
  const { record } = await failRequest(redis, `${app.url}/async?amount=12`)

  const [exception] = record.exceptions
  assert.equal(exception?.type, 'RangeError')
  assert.equal(exception.message, 'cannot charge 12')
  assert.equal(exception.frames[0]?.function, 'chargeCard')
  assert.ok(exception.frames.some((f) => f.async === true && f.origin === 'app'), 'the handler that awaited chargeCard is an async frame')
})

test('an error passed to next() and a thrown string are recorded', async (t) => {
  const { redis, app } = await startFailuresApp(t)

  const next = await failRequest(redis, `${app.url}/next`)
  assert.equal(next.record.exceptions[0]?.message, 'report generation failed')
  assert.ok(appFrames(next.record.exceptions[0]).length > 0)

  const thrown = await failRequest(redis, `${app.url}/thrown-string`)
  assert.equal(thrown.status, 500)
  assert.deepEqual(thrown.record.exceptions.map((e) => [e.type, e.message, e.frames.length]), [['string', 'out of stock', 0]])
})

test('a cause chain and an AggregateError are recorded member by member, each with its own stack', async (t) => {
  const { redis, app } = await startFailuresApp(t)

  const { record } = await failRequest(redis, `${app.url}/cause`)
  const outer = record.exceptions[0]
  assert.equal(outer?.message, 'could not start checkout')
  assert.equal(outer.cause?.message, 'config is unreadable')
  assert.equal(outer.cause.cause?.type, 'SyntaxError')
  assert.ok(appFrames(outer.cause).length > 0 && appFrames(outer.cause.cause).length > 0, 'each link has its own frames')
  assert.notEqual(appFrames(outer)[0]?.line, appFrames(outer.cause)[0]?.line)

  const aggregate = (await failRequest(redis, `${app.url}/aggregate`)).record.exceptions[0]
  assert.equal(aggregate?.type, 'AggregateError')
  assert.deepEqual(aggregate.errors?.map((e) => [e.type, e.message]), [['Error', 'inventory is down'], ['TypeError', 'pricing returned nothing']])
  assert.ok(aggregate.errors.every((e) => e.frames.length > 0))
})

test('a failure after a Redis command and an outgoing fetch has both as child spans, their secrets hidden', async (t) => {
  const { redis, app } = await startFailuresApp(t)
  const { record } = await failRequest(redis, `${app.url}/after-calls?token=abc123`)

  assert.equal(record.exceptions[0]?.message, 'the upstream answer was not enough', 'the exception that failed the request comes first')
  const redisCall = record.spans.find((s) => s.kind === 'client' && s.name === 'set')
  assert.ok(redisCall !== undefined, `a Redis span among ${record.spans.map((s) => s.name).join(', ')}`)
  const fetchCall = record.spans.find((s) => s.kind === 'client' && String(s.attributes['url.full'] ?? '').includes('/ok?'))
  assert.ok(fetchCall !== undefined, 'an outgoing fetch span')
  assert.equal(fetchCall.attributes['url.full'], `http://127.0.0.1:${app.port}/ok?token=********************`)
  const ids = new Set(record.spans.map((s) => s.spanId))
  assert.ok(ids.has(redisCall.parentSpanId ?? '') && ids.has(fetchCall.parentSpanId ?? ''), 'both are children within the request')
  assert.equal(record.request.url, '/after-calls?token=********************')
})

test('span times are the SDK\'s own, in whole microseconds: durations keep their fraction of a millisecond', async (t) => {
  const { redis, app } = await startFailuresApp(t)
  const { record } = await failRequest(redis, `${app.url}/after-calls`)

  const times = record.spans.flatMap((s) => [s.startUs, ...(s.durationUs === null ? [] : [s.durationUs]), ...s.events.map((e) => e.timeUs)])
  assert.ok(times.every(Number.isInteger), 'whole microseconds')
  const durations = record.spans.flatMap((s) => s.durationUs === null ? [] : [s.durationUs])
  assert.ok(durations.some((d) => d % 1000 !== 0), `not milliseconds times 1000: ${durations.join(', ')}`)
  const [root] = record.spans
  assert.ok(root !== undefined && Math.abs(root.startUs / 1000 - record.time) < 60_000, 'epoch microseconds: the request\'s first span started within a minute of the failing response')
})

test('a huge failure stays bounded, and what was cut is listed', async (t) => {
  const { redis, app } = await startFailuresApp(t)
  const { record, stored } = await failRequest(redis, `${app.url}/huge`)

  const [exception] = record.exceptions
  assert.ok((exception?.message.length ?? 0) < 5000)
  assert.equal(exception?.frames.length, 50, 'the stack is as deep as the raised Error.stackTraceLimit allows')
  assert.ok(record.truncated.includes('exceptions[0].message'))
  assert.ok(record.spans.length > 300)
  assert.ok(Buffer.byteLength(stored) <= 1_000_000)
})

test('compiled TypeScript: frames point at the .ts file and line, and the context shows TypeScript', async (t) => {
  const outDir = `${repoRoot}test/apps/ts-app/dist`
  t.after(() => rmSync(outDir, { recursive: true, force: true }))
  execFileSync(`${repoRoot}node_modules/.bin/tsc`, ['--ignoreConfig', '--outDir', outDir, '--sourceMap', '--module', 'nodenext', '--target', 'es2022', '--strict', '--types', 'node', `${repoRoot}test/apps/ts-app/server.ts`])
  const redis = await startRedis(t)
  const app = await startApp(t, redis, `${outDir}/server.js`)

  const { record } = await failRequest(redis, `${app.url}/`)
  const top = record.exceptions[0]?.frames[0]
  assert.ok(top !== undefined && top.file.endsWith('test/apps/ts-app/server.ts'), String(top?.file))
  assert.equal(top.function, 'priceOf')
  assert.equal(top.line, 13)
  assert.match(top.context?.find((l) => l.line === 13)?.text ?? '', /order!\.total/)
  assert.ok(top.context?.some((l) => l.text.includes('const discount: number = 0.1')), 'the lines are the TypeScript source')
})

test('the list of recent failures keeps the newest 200, newest scored highest', async (t) => {
  const redis = await startRedis(t)
  const writer = new RecordWriter({ redisUrl: new URL(redis.url), ttlSeconds: 60 })
  t.after(() => writer.close())
  const base = decodeRecord(JSON.stringify({ v: 1, requestId: '1'.repeat(32), complete: true, service: { name: 's' }, time: 0, request: { method: 'GET', url: '/' }, response: { status: 500 }, exceptions: [], spans: [], droppedSpans: 0 }))
  const ids = Array.from({ length: RECENT_FAILURES_LIMIT + 5 }, (_, i) => (i + 1).toString(16).padStart(32, '0'))
  for (const [i, requestId] of ids.entries()) assert.equal(await writer.write({ ...base, requestId, time: 1000 + i }), true)

  const listed = await redis.client.zrange(RECENT_FAILURES_KEY, '0', '-1')
  assert.equal(listed.length, RECENT_FAILURES_LIMIT)
  assert.deepEqual(listed, ids.slice(5), 'the five oldest were trimmed')
})
