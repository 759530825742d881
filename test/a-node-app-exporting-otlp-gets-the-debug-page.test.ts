/**
 * A Node app with its own, standard OpenTelemetry set-up (NodeSDK and the official OTLP
 * exporters, no supertrace code) exports to `supertrace ingest`, over each of the three
 * protocols an SDK offers. Its superuser gets the debug page: the original exception, the
 * app's frame at its file and line, the request's Redis span and its log line. Everyone
 * else gets the app's own 500, byte for byte.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DEFAULT_SUPERUSERS_KEY } from '../core/protocol.ts'
import type { TraceRecord } from '../core/record.ts'
import { get, visible } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startApp, startIngest, startProxy, startRedis } from './helpers/processes.ts'
import { waitUntil } from './helpers/wait-until.ts'

const APP = `${repoRoot}test/apps/otlp-node/server.cjs`
const FAILING_LINE = readFileSync(APP, 'utf8').split('\n').findIndex((line) => line.includes('the failing line')) + 1

for (const protocol of ['http/json', 'http/protobuf', 'grpc'] as const) {
  test(`a Node app exporting ${protocol} to supertrace ingest: its superuser gets the debug page, anyone else its own 500`, async (t) => {
    const redis = await startRedis(t)
    await redis.client.sadd(DEFAULT_SUPERUSERS_KEY, 'boss')
    const ingest = await startIngest(t, redis)
    const app = await startApp(t, redis, APP, {
      REDIS_URL: redis.url,
      OTEL_SERVICE_NAME: 'node-shop',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? ingest.grpcUrl : ingest.url,
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'none',
      // What the README recommends: spans leave the app within 100 ms, not up to 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    }, [])
    const proxy = await startProxy(t, app, redis, { SUPERTRACE_TRACE_WAIT_MS: '5000' })

    const page = await get(`${proxy.url}/orders/7`, { cookie: 'sessionid=boss', accept: ACCEPT.json })
    assert.equal(page.status, 500)
    const { record } = JSON.parse(page.text) as { record: TraceRecord | null }
    assert.ok(record !== null, `the page has the record: ${page.text.slice(0, 400)}`)
    assert.equal(record.language, 'nodejs')
    assert.equal(record.service.name, 'node-shop')
    assert.equal(record.request.source, 'spans')
    assert.equal(record.request.method, 'GET')
    assert.equal(record.response.status, 500)
    const [failure] = record.exceptions
    assert.equal(failure?.type, 'TypeError')
    assert.match(failure?.message ?? '', /reading 'rate'/)
    const appFrame = failure?.frames.find((frame) => frame.origin === 'app')
    assert.match(appFrame?.file ?? '', /otlp-node\/server\.cjs$/, 'the innermost app frame is the app\'s file')
    assert.equal(appFrame?.line, FAILING_LINE, 'at the failing line')
    assert.equal(appFrame?.function, 'discountFor')
    const isRedis = (attributes: TraceRecord['spans'][number]['attributes']): boolean => attributes['db.system'] === 'redis' || attributes['db.system.name'] === 'redis'
    assert.ok(record.spans.some((span) => span.kind === 'client' && isRedis(span.attributes)), 'the request\'s Redis call is in the waterfall')
    // Log records have an exporter of their own and may come after the spans: they join the record, which the request's permanent page shows.
    const permanent = `${proxy.url}/_supertrace/requests/${record.requestId}`
    await waitUntil('the line the app logged during the request joins its record', async () => {
      const stored = JSON.parse((await get(permanent, { cookie: 'sessionid=boss', accept: ACCEPT.json })).text) as { record: TraceRecord | null }
      return stored.record?.logs.some((line) => line.body === 'pricing order 7' && line.severity === 'INFO') === true
    })
    const server = record.spans.find((span) => span.kind === 'server')
    assert.ok(server !== undefined && server.durationUs !== null && server.durationUs > 0, 'span times are kept in microseconds')

    const html = await get(`${proxy.url}/orders/7`, { cookie: 'sessionid=boss', accept: ACCEPT.html })
    assert.match(html.text, /Cannot read properties of undefined/, 'the HTML page shows the exception')

    const direct = await get(`${app.url}/orders/7`)
    for (const cookie of [undefined, 'sessionid=nobody']) {
      const proxied = await get(`${proxy.url}/orders/7`, cookie === undefined ? {} : { cookie })
      assert.deepEqual(visible(proxied), visible(direct), `${cookie ?? 'no session'}: the app's own 500, byte for byte`)
    }
  })
}
