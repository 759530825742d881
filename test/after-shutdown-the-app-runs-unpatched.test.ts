import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { recordKey } from '../core/protocol.ts'
import { chosenTraceparent, recordInRedis } from './helpers/failures.ts'
import { get } from './helpers/http.ts'
import { repoRoot, startApp, startRedis, type RunningHttp, type RunningRedis } from './helpers/processes.ts'

const app = `${repoRoot}test/apps/shuts-down.cjs`

/** Everything supertrace changes in the process while its processor records (names as test/apps/shuts-down.cjs reports them). */
const PATCHED = [
  'ServerResponse.prototype.writeHead',
  'ServerResponse.prototype.end',
  'process.emit',
  'Span.prototype.recordException is the original',
  'Error.stackTraceLimit',
  'uncaughtExceptionMonitor listeners',
  'open inspector sessions',
  'the debugger pauses on caught exceptions',
]

interface ShutdownReport {
  /** What differs from the process before the SDK started, at each step of /shutdown. */
  readonly running: readonly string[]
  readonly afterSecondShutdown: readonly string[]
  readonly afterShutdown: readonly string[]
  readonly isSameShutdownPromise: boolean
}

async function startShutsDown (t: TestContext): Promise<{ redis: RunningRedis, secondRedis: RunningRedis, server: RunningHttp }> {
  const redis = await startRedis(t)
  const secondRedis = await startRedis(t)
  const server = await startApp(t, redis, app, { SUPERTRACE_CAPTURE_LOCALS: 'true', SECOND_REDIS_URL: secondRedis.url }, [])
  return { redis, secondRedis, server }
}

async function shutDown (server: RunningHttp): Promise<ShutdownReport> {
  const response = await get(`${server.url}/shutdown`)
  assert.equal(response.status, 200, response.text)
  return JSON.parse(response.text) as ShutdownReport
}

test('a second SupertraceSpanProcessor made while the first records is refused with a warning: the failing request\'s record goes to the first one\'s Redis only, and the second one\'s shutdown leaves the first one\'s patches in place', async (t) => {
  const { redis, secondRedis, server } = await startShutsDown(t)
  const { traceId, traceparent } = chosenTraceparent()

  const failed = await get(`${server.url}/fail`, { traceparent })
  const record = await recordInRedis(redis.client, traceId)

  assert.match(server.output, /another SupertraceSpanProcessor is already recording in this process; this one records nothing/)
  assert.equal(failed.headers['x-supertrace-record'], '1', 'the first processor held the 5xx')
  assert.equal(record.requestId, traceId)
  assert.equal(await secondRedis.client.exists(recordKey(traceId)), 0, 'the second processor wrote nothing')
  assert.deepEqual((await shutDown(server)).afterSecondShutdown, PATCHED)
})

test('after its processor shuts down, the app runs as before supertrace: original prototypes, span class and process.emit, no listener, no inspector session, no pausing, Error.stackTraceLimit back, and a 5xx goes out as the app sent it', async (t) => {
  const { redis, server } = await startShutsDown(t)

  const report = await shutDown(server)
  const { traceId, traceparent } = chosenTraceparent()
  const failed = await get(`${server.url}/fail`, { traceparent })

  assert.deepEqual(report.running, PATCHED, 'while the processor records, every patch shows')
  assert.deepEqual(report.afterShutdown, [])
  assert.equal(failed.status, 500)
  assert.equal(failed.headers['x-supertrace-record'], undefined, 'the 5xx is not held for a record')
  assert.equal(await redis.client.exists(recordKey(traceId)), 0)
})

test('shutdown() called again returns the promise of the first call', async (t) => {
  const { server } = await startShutsDown(t)

  assert.equal((await shutDown(server)).isSameShutdownPromise, true)
})
