/**
 * deploy/collector/ (README "Beyond one machine"): the OpenTelemetry Collector configurations
 * for apps whose spans reach supertrace through a Collector. Each file parses, names only
 * settings its components have, and wires its pipelines to components it defines; the
 * loadbalancing one keeps each trace on one `supertrace ingest`, and the fan-out one sends
 * traces and logs to a receiver's OTLP/HTTP port as one more exporter. Every check is also
 * shown failing on a broken copy, with the path named.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { collectorConfigProblems, fanOutProblems, loadBalancingProblems, readCollectorConfigs } from './helpers/collector-configs.ts'

const files = readCollectorConfigs()

function config (file: string): Record<string, Record<string, Record<string, unknown>>> {
  const found = files.find((f) => f.file === file)
  assert.ok(found !== undefined, `deploy/collector/${file} exists`)
  return found.config as Record<string, Record<string, Record<string, unknown>>>
}

/** A deep copy of a file's configuration after `change`: the files themselves are never touched. */
function broken (file: string, change: (copy: Record<string, Record<string, Record<string, unknown>>>) => void): unknown {
  const copy = structuredClone(config(file))
  change(copy)
  return copy
}

function assertProblem (problems: readonly string[], expected: string): void {
  assert.ok(problems.some((p) => p.includes(expected)), `expected a problem naming ${JSON.stringify(expected)}; got ${JSON.stringify(problems)}`)
}

function exporter (copy: Record<string, Record<string, Record<string, unknown>>>, id: string): Record<string, unknown> {
  const found = copy.exporters?.[id]
  assert.ok(found !== undefined && found !== null && typeof found === 'object', `exporters.${id} exists`)
  return found as Record<string, unknown>
}

function pipeline (copy: Record<string, Record<string, Record<string, unknown>>>, id: string): { receivers: string[], processors: string[], exporters: string[] } {
  const found = (copy.service?.pipelines as Record<string, unknown> | undefined)?.[id]
  assert.ok(found !== undefined, `service.pipelines.${id} exists`)
  return found as { receivers: string[], processors: string[], exporters: string[] }
}

test('each Collector configuration parses and names only settings, components and pipelines the Collector knows', () => {
  assert.deepEqual(files.map((f) => f.file), ['fan-out.yaml', 'loadbalancing.yaml'])
  for (const { file, config } of files) assert.deepEqual(collectorConfigProblems(config), [], file)
})

test('a misspelled setting, an undefined component, a deprecated name or an unused one is named with its path', () => {
  assertProblem(collectorConfigProblems(broken('loadbalancing.yaml', (c) => {
    const lb = exporter(c, 'loadbalancing')
    lb.routingkey = lb.routing_key
    delete lb.routing_key
  })), 'exporters.loadbalancing.routingkey: not a setting of loadbalancing')
  assertProblem(collectorConfigProblems(broken('fan-out.yaml', (c) => { exporter(c, 'otlp_http/supertrace').header = {} })), 'exporters.otlp_http/supertrace.header: not a setting of otlp_http')
  assertProblem(collectorConfigProblems(broken('loadbalancing.yaml', (c) => { pipeline(c, 'logs').exporters = ['otlp_http/supertrace'] })), 'service.pipelines.logs.exporters: otlp_http/supertrace is not defined under exporters')
  assertProblem(collectorConfigProblems(broken('fan-out.yaml', (c) => {
    const exporters = c.exporters ?? {}
    exporters['otlphttp/supertrace'] = exporters['otlp_http/supertrace'] ?? {}
  })), 'exporters.otlphttp/supertrace: otlphttp is the deprecated name of otlp_http')
  assertProblem(collectorConfigProblems(broken('fan-out.yaml', (c) => { (c.processors ?? {}).batch = { send_batch_size: 512 }; pipeline(c, 'traces').processors = ['memory_limiter']; pipeline(c, 'logs').processors = ['memory_limiter'] })), 'processors.batch: used by no pipeline')
  assertProblem(collectorConfigProblems(broken('fan-out.yaml', (c) => { (c.processors ?? {}).tail_sampling = {} })), 'processors.tail_sampling: tail_sampling is not a processor this check knows')
})

test('behind the loadbalancing exporter, each trace\'s spans and logs reach one supertrace ingest, on its gRPC port, with the token', () => {
  const lb = config('loadbalancing.yaml')
  assert.deepEqual(loadBalancingProblems(lb), [])
  assert.deepEqual((exporter(lb, 'loadbalancing').resolver as { static: { hostnames: string[] } }).static.hostnames, ['supertrace-ingest-1:4317', 'supertrace-ingest-2:4317', 'supertrace-ingest-3:4317'])

  assertProblem(loadBalancingProblems(broken('loadbalancing.yaml', (c) => { exporter(c, 'loadbalancing').routing_key = 'service' })), 'exporters.loadbalancing.routing_key: service is not traceID')
  assertProblem(loadBalancingProblems(broken('loadbalancing.yaml', (c) => {
    (exporter(c, 'loadbalancing').resolver as { static: { hostnames: string[] } }).static.hostnames = ['supertrace-ingest-1:4318']
  })), 'exporters.loadbalancing.resolver.static.hostnames: supertrace-ingest-1:4318 is not supertrace ingest\'s OTLP/gRPC port 4317')
  assertProblem(loadBalancingProblems(broken('loadbalancing.yaml', (c) => {
    Object.assign(exporter(c, 'loadbalancing').resolver as object, { dns: { hostname: 'supertrace-ingest-headless' } })
  })), 'exporters.loadbalancing.resolver: 2 resolvers (static, dns); give exactly one')
  assertProblem(loadBalancingProblems(broken('loadbalancing.yaml', (c) => {
    delete ((exporter(c, 'loadbalancing').protocol as { otlp: { headers?: unknown } }).otlp.headers)
  })), 'exporters.loadbalancing.protocol.otlp.headers.authorization: not Bearer ${env:SUPERTRACE_INGEST_TOKEN}')
  assertProblem(loadBalancingProblems(broken('loadbalancing.yaml', (c) => { delete (c.service?.pipelines as Record<string, unknown>).logs })), 'service.pipelines: no logs pipeline exports to loadbalancing')
})

test('as one more exporter of an existing Collector, traces and logs go to supertrace ingest\'s 4318 over OTLP/HTTP, unsampled and unbatched, beside the backend', () => {
  const fanOut = config('fan-out.yaml')
  assert.deepEqual(fanOutProblems(fanOut), [])
  assert.equal(exporter(fanOut, 'otlp_http/supertrace').endpoint, 'http://supertrace-ingest:4318')
  assert.deepEqual(pipeline(fanOut, 'traces/supertrace').exporters, ['otlp_http/supertrace'])
  assert.deepEqual(pipeline(fanOut, 'logs/supertrace').exporters, ['otlp_http/supertrace'])

  assertProblem(fanOutProblems(broken('fan-out.yaml', (c) => { exporter(c, 'otlp_http/supertrace').endpoint = 'http://supertrace-ingest:4317' })), 'exporters.otlp_http/supertrace.endpoint: http://supertrace-ingest:4317 is not supertrace ingest\'s OTLP/HTTP port 4318')
  assertProblem(fanOutProblems(broken('fan-out.yaml', (c) => { exporter(c, 'otlp_http/supertrace').endpoint = 'http://supertrace-ingest:4318/v1/traces' })), 'has the path /v1/traces; the exporter appends /v1/traces and /v1/logs itself')
  assertProblem(fanOutProblems(broken('fan-out.yaml', (c) => { pipeline(c, 'traces/supertrace').processors = ['memory_limiter', 'batch'] })), 'service.pipelines.traces/supertrace.processors: batch drops or holds back spans on their way to supertrace')
  assertProblem(fanOutProblems(broken('fan-out.yaml', (c) => { pipeline(c, 'logs/supertrace').exporters = ['otlp_grpc/backend'] })), 'service.pipelines: no logs pipeline exports to otlp_http/supertrace')
  assertProblem(fanOutProblems(broken('fan-out.yaml', (c) => { exporter(c, 'otlp_http/supertrace').headers = {} })), 'exporters.otlp_http/supertrace.headers.Authorization: not Bearer ${env:SUPERTRACE_INGEST_TOKEN}')
  assertProblem(fanOutProblems(broken('fan-out.yaml', (c) => {
    const receivers = c.receivers ?? {}
    receivers['otlp/supertrace'] = receivers.otlp ?? {}
    pipeline(c, 'traces/supertrace').receivers = ['otlp/supertrace']
  })), 'service.pipelines.traces/supertrace.receivers: otlp/supertrace feeds no other pipeline')
})
