import assert from 'node:assert/strict'
import { once } from 'node:events'
import { request } from 'node:http'
import { test } from 'node:test'
import { assertRecordsFailure, chosenTraceparent, failingLine, recordInRedis, superuserRecord } from './helpers/failures.ts'
import { get, visible } from './helpers/http.ts'
import { INSTRUMENTED, repoRoot, run, startApp, startProxy, startRedis } from './helpers/processes.ts'

const app = `${repoRoot}test/apps/frameworks/node-http.mjs`

for (const [kind, situation] of [
  ['crash-sync', 'the request listener throws'],
  ['crash-timer', 'a timer started by the request throws'],
  ['crash-async', 'the request\'s promise rejects with nobody handling it'],
] as const) {
  test(`a node:http app where ${situation} still crashes as before, and the record of that request is in Redis first`, async (t) => {
    const redis = await startRedis(t)
    const server = await startApp(t, redis, app)
    const expected = failingLine(app, kind)
    const { traceId, traceparent } = chosenTraceparent()
    const exited = once(server.child, 'close')

    const pending = request(`${server.url}/${kind.replace('crash-', 'crash/')}`, { headers: { traceparent }, agent: false })
    pending.on('error', () => {})
    pending.end()
    const [code] = await exited as [number | null]

    assert.equal(code, 1, 'the process exits with code 1, as Node does on an uncaught error')
    assert.ok(server.output.includes(expected.message), 'Node printed the error, as it would have without supertrace')
    const record = await recordInRedis(redis.client, traceId)
    assert.equal(record.requestId, traceId, 'the record is the failing request\'s')
    assertRecordsFailure(record, app, expected)
  })
}

test('an uncaught exception outside any request crashes the process exactly as it does without supertrace: same output, same exit code', async (t) => {
  const file = `${repoRoot}test/apps/crash-outside-requests.mjs`
  const redis = await startRedis(t)
  const outcome = async (flags: readonly string[]): Promise<{ code: number | null, stderr: string }> => {
    const child = run(t, process.execPath, [...flags, file], { SUPERTRACE_REDIS_URL: redis.url })
    const [code] = await once(child.child, 'close') as [number | null]
    return { code, stderr: child.output }
  }

  const without = await outcome([])
  const withSupertrace = await outcome(INSTRUMENTED)

  assert.equal(without.code, 1)
  assert.deepEqual(withSupertrace, without)
})

test('a node:http app with its own uncaughtException listener keeps running as before, and the request whose timer threw has its record', async (t) => {
  const redis = await startRedis(t)
  const server = await startApp(t, redis, app, { KEEP_RUNNING: '1' })
  const expected = failingLine(app, 'crash-timer')
  const { traceId, traceparent } = chosenTraceparent()

  const pending = request(`${server.url}/crash/timer`, { headers: { traceparent }, agent: false })
  pending.on('error', () => {})
  pending.end()
  const record = await recordInRedis(redis.client, traceId)
  pending.destroy()

  assertRecordsFailure(record, app, expected)
  await server.waitFor(`the app logged: ${expected.message}`)
  assert.equal((await get(`${server.url}/handled`)).status, 500, 'the app still serves requests')
  assert.equal(server.child.exitCode, null)
})

test('a node:http app that catches its own error and sends its own 500: the superuser sees the request with no exception, which supertrace cannot reach', async (t) => {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', 'su')
  const server = await startApp(t, redis, app)
  const proxy = await startProxy(t, server, redis)

  const { status, record } = await superuserRecord(`${proxy.url}/handled`, 'sessionid=su')
  const anonymous = await get(`${proxy.url}/handled`)
  const direct = await get(`${server.url}/handled`)

  assert.equal(status, 500)
  assert.equal(record.response.status, 500)
  assert.deepEqual(record.exceptions, [])
  assert.ok(record.spans.some((s) => s.kind === 'server'))
  assert.deepEqual(visible(anonymous), visible(direct))
})
