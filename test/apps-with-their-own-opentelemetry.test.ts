import assert from 'node:assert/strict'
import { ROOT_CONTEXT } from '@opentelemetry/api'
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace'
import { test, type TestContext } from 'node:test'
import { recordKey } from '../core/protocol.ts'
import { decodeRecord, decodeStored, isRepeat } from '../core/record.ts'
import { startCollector, type Collector } from './helpers/collector.ts'
import { assertRecordsFailure, failingLine, superuserRecord } from './helpers/failures.ts'
import { get } from './helpers/http.ts'
import { INSTRUMENTED, repoRoot, startApp, startProxy, startRedis } from './helpers/processes.ts'

const server = `${repoRoot}test/apps/own-sdk/server.cjs`
const ownSdk = ['--import', `${repoRoot}test/apps/own-sdk/tracing.mjs`]
const SUPERUSER = 'sessionid=own-otel'

function exportEnv (collector: Collector): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' }
}

/** The span names exported for each request, in a form that does not depend on trace IDs or order. */
function exportedShapes (collector: Collector): string[] {
  const byTrace = new Map<string, string[]>()
  for (const span of collector.spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span.name])
  return [...byTrace.values()].map((names) => names.sort().join(' | ')).sort()
}

async function exportedFor (t: TestContext, env: NodeJS.ProcessEnv, flags: readonly string[]): Promise<{ shapes: string[], output: string }> {
  const redis = await startRedis(t)
  const collector = await startCollector(t)
  const app = await startApp(t, redis, server, { ...env, ...exportEnv(collector) }, flags)
  const ok = await get(`${app.url}/ok`, { traceparent: `00-${'a'.repeat(32)}-${'1'.repeat(16)}-01` })
  const failed = await get(`${app.url}/fail`, { traceparent: `00-${'b'.repeat(32)}-${'1'.repeat(16)}-01` })
  assert.deepEqual([ok.status, failed.status], [200, 500])
  await collector.receive(['a'.repeat(32), 'b'.repeat(32)])
  await app.stop()
  return { shapes: exportedShapes(collector), output: app.output }
}

test('an app with its own NodeSDK adds new SupertraceSpanProcessor() and sets only SUPERTRACE_REDIS_URL: the superuser sees its exception', async (t) => {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', SUPERUSER.split('=')[1] ?? '')
  const app = await startApp(t, redis, server, {}, ownSdk)
  const proxy = await startProxy(t, app, redis)

  const { status, record } = await superuserRecord(`${proxy.url}/fail`, SUPERUSER)

  assert.equal(status, 500)
  assertRecordsFailure(record, server, failingLine(server, 'fail'))
  assert.equal(record.service.name, 'own-sdk-app', 'the record comes from the app\'s own tracer provider')
})

test('an app with its own SDK that is also started with --import supertrace/register keeps its provider and exports exactly what it exported before supertrace', async (t) => {
  const before = await exportedFor(t, { WITHOUT_SUPERTRACE: '1' }, ownSdk)
  const after = await exportedFor(t, {}, [...ownSdk, ...INSTRUMENTED])

  assert.ok(before.shapes.length === 2 && before.shapes.every((shape) => shape.includes('request handler')), `both requests were exported with their Express spans: ${JSON.stringify(before.shapes)}`)
  assert.deepEqual(after.shapes, before.shapes)
  assert.match(after.output, /already has an OpenTelemetry tracer provider; supertrace\/register leaves it alone/)
})

/** The requests a TraceIdRatioBased(ratio) sampler exports, decided on the request ID as on a new trace. */
function sampledByRatio (requestIds: readonly string[], ratio: number): Set<string> {
  const sampler = new TraceIdRatioBasedSampler(ratio)
  return new Set(requestIds.filter((id) => sampler.shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED))
}

for (const setup of [
  { name: 'supertrace/register with OTEL_TRACES_SAMPLER=parentbased_traceidratio and OTEL_TRACES_SAMPLER_ARG=0.1', flags: INSTRUMENTED, env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  { name: 'its own NodeSDK with new SupertraceSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }))', flags: ownSdk, env: { APP_SAMPLE_RATIO: '0.1' } },
]) {
  test(`an app that samples 10% for export, by ${setup.name}, still exports exactly the 10% its sampler picks behind the proxy, and every failing request has its record, full or a repeat of a full one`, async (t) => {
    const redis = await startRedis(t)
    const collector = await startCollector(t)
    const app = await startApp(t, redis, server, { ...setup.env, ...exportEnv(collector) }, setup.flags)
    const proxy = await startProxy(t, app, redis)

    const requestIds: string[] = []
    const failedIds: string[] = []
    for (let i = 0; i < 200; i++) {
      const failing = i % 4 === 0
      const response = await get(`${proxy.url}/${failing ? 'fail' : 'ok'}`)
      const id = String(response.headers['x-request-id'])
      requestIds.push(id)
      if (failing) failedIds.push(id)
    }
    const expected = sampledByRatio(requestIds, 0.1)
    await collector.receive(expected)

    assert.ok(expected.size >= 5 && expected.size <= 45, `about 10% of 200 requests are picked (${expected.size})`)
    assert.deepEqual([...collector.traceIds()].sort(), [...expected].sort(), 'exported: exactly the traces the app\'s sampler picks, not every proxied request')
    const line = failingLine(server, 'fail')
    for (const id of failedIds) {
      const json = await redis.client.get(recordKey(id))
      assert.ok(json !== null, `the failing request ${id} has a record, sampled for export or not`)
      // The same failure 50 times: after the first three, each is stored as a repeat of the first (docs/record.md, "Repeats").
      const stored = decodeStored(json)
      const record = isRepeat(stored) ? decodeRecord(String(await redis.client.get(recordKey(stored.sameAs)))) : stored
      assertRecordsFailure(record, server, line)
      assert.ok(record.spans.some((s) => s.attributes['express.type'] !== undefined), 'the record has the Express spans too')
    }
  })
}
