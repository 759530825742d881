import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { startStack } from './helpers/processes.ts'

test('an app that exports its traces to a collector (OTEL_EXPORTER_OTLP_ENDPOINT) keeps exporting them with supertrace loaded', async (t) => {
  // A collector: real HTTP, OTLP/JSON, collecting the trace IDs it receives.
  const traceIds = new Set<string>()
  const collector = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      for (const match of body.matchAll(/"traceId":"([0-9a-f]{32})"/g)) traceIds.add(match[1] ?? '')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  collector.listen(0, '127.0.0.1')
  await once(collector, 'listening')
  t.after(() => collector.close())
  const { port } = collector.address() as { port: number }
  const { proxy } = await startStack(t, {
    appEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' },
  })

  const ok = await get(`${proxy.url}/hello`)
  const failed = await get(`${proxy.url}/orders/42`)
  // OTEL_BSP_SCHEDULE_DELAY=100 is honoured like the rest of OTEL_*: the export comes well before the 5 s default would send it.
  for (let i = 0; i < 30 && traceIds.size < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100))

  assert.ok(traceIds.has(String(ok.headers['x-request-id'])), 'the successful request was exported')
  assert.ok(traceIds.has(String(failed.headers['x-request-id'])), 'the failed request was exported')
})
