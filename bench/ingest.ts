/**
 * `node bench/ingest.ts [--seconds 10] [--docs]`: what `supertrace ingest` costs and how it holds up.
 *
 *   decode + assembly  exports of 512 spans (successful requests of five spans each, made by
 *                      the real OpenTelemetry SDK and encoded by its OTLP serializers), taken in
 *                      this process on one core: spans a second, protobuf and OTLP/JSON;
 *   flood              a real `supertrace ingest` sent exports as fast as 16 connections can
 *                      post them (far more than it can take): its RSS second by second, what it
 *                      answered (503s are counted, SDKs retry them) and what its buffer let go;
 *   page after record  a real proxy, receiver and Redis: a superuser's 500 whose app exports its
 *                      spans 100 ms after answering (OTEL_BSP_SCHEDULE_DELAY=100): how long
 *                      after the export was answered the debug page arrives, p50 and p99.
 *
 * Prints markdown; with --docs puts it into docs/benchmarks.md between the ingest markers.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Logger } from '../core/log.ts'
import { Redactor } from '../core/redact.ts'
import { DEFAULT_SUPERUSERS_KEY } from '../core/protocol.ts'
import { IngestMetrics } from '../ingest/operations/metrics.ts'
import { ExportIntake } from '../ingest/receivers/intake.ts'
import { FailingTraces } from '../ingest/traces/failing-traces.ts'
import { TraceBuffer } from '../ingest/traces/trace-buffer.ts'
import { get } from '../test/helpers/http.ts'
import { CONTENT_TYPE, newRequestId, postExport, requestSpans, tracesExport, type ExportEncoding } from '../test/helpers/otlp.ts'
import { repoRoot, startApp, startIngest, startProxy, startRedis, type Teardown } from '../test/helpers/processes.ts'
import { writeDocsSection } from './lib/docs.ts'
import { rssBytes } from './lib/proc.ts'
import { percentile } from './lib/stats.ts'

const { values: options } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, docs: { type: 'boolean', default: false } } })
const FLOOD_SECONDS = Number(options.seconds)
const SPANS_PER_EXPORT = 512
const SPANS_PER_REQUEST = 5

/** Exports of successful five-span requests, each request a trace of its own. */
function exportsOf (count: number, encoding: ExportEncoding): Uint8Array[] {
  return exportsWithIds(count, encoding).map(({ body }) => body)
}

function exportsWithIds (count: number, encoding: ExportEncoding): Array<{ readonly body: Uint8Array, readonly traceIds: readonly string[] }> {
  return Array.from({ length: count }, () => {
    const traceIds = Array.from({ length: SPANS_PER_EXPORT / SPANS_PER_REQUEST }, newRequestId)
    const spans = traceIds.flatMap((traceId) => requestSpans({ traceId, status: 200, children: SPANS_PER_REQUEST - 1 }))
    return { body: tracesExport(spans, encoding), traceIds }
  })
}

/**
 * A protobuf export that can be sent again as new requests: where each of its trace IDs lies
 * in the bytes, so every send writes fresh IDs there (a copy and a few hundred small writes,
 * far cheaper than encoding anew) and the receiver sees only new traces, as from real traffic.
 */
class ReusableExport {
  readonly #body: Buffer
  readonly #offsets: number[][]
  #sent = 0

  constructor (body: Uint8Array, traceIds: readonly string[]) {
    this.#body = Buffer.from(body)
    this.#offsets = traceIds.map((id) => {
      const bytes = Buffer.from(id, 'hex')
      const at: number[] = []
      for (let i = this.#body.indexOf(bytes); i !== -1; i = this.#body.indexOf(bytes, i + 16)) at.push(i)
      return at
    })
  }

  next (): Buffer {
    const copy = Buffer.from(this.#body)
    const round = ++this.#sent
    this.#offsets.forEach((offsets, i) => {
      for (const at of offsets) {
        copy.writeUInt32BE(round, at)
        copy.writeUInt32BE(i + 1, at + 4)
      }
    })
    return copy
  }
}

function decodeAndAssemble (encoding: ExportEncoding): number {
  const exports = exportsOf(200, encoding)
  const buffer = new TraceBuffer(1024 * 1_000_000, 30_000)
  const metrics = new IngestMetrics(() => ({ bytes: buffer.bytes, traces: buffer.traceCount }))
  const traces = new FailingTraces({ buffer, store: { write: async () => true }, redactor: new Redactor(), metrics, logger: new Logger('ingest') })
  const intake = new ExportIntake(traces, metrics)
  for (const body of exports.slice(0, 20)) intake.take('traces', encoding, body) // warm-up
  buffer.clear()
  const started = process.hrtime.bigint()
  let spans = 0
  for (const body of exports) {
    intake.take('traces', encoding, body)
    spans += SPANS_PER_EXPORT
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  void traces.close()
  return spans / seconds
}

class Stops implements Teardown {
  readonly #stops: Array<() => unknown> = []
  after (fn: () => unknown): void {
    this.#stops.push(fn)
  }

  async stop (): Promise<void> {
    for (const fn of this.#stops.reverse()) await fn()
  }
}

async function flood (): Promise<string> {
  const t = new Stops()
  try {
    const redis = await startRedis(t)
    const ingest = await startIngest(t, redis, { SUPERTRACE_INGEST_BUFFER_MB: '64' })
    const bodies = exportsWithIds(100, 'protobuf').map(({ body, traceIds }) => new ReusableExport(body, traceIds))
    const pid = ingest.child.pid as number
    const rss: number[] = [rssBytes(pid)]
    let sent = 0
    const answers = new Map<number, number>()
    const until = Date.now() + FLOOD_SECONDS * 1000
    const sampler = setInterval(() => rss.push(rssBytes(pid)), 1000)
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (Date.now() < until) {
        const body = (bodies[sent++ % bodies.length] as ReusableExport).next()
        const answer = await postExport(ingest.url, '/v1/traces', body, { 'content-type': CONTENT_TYPE.protobuf }).catch(() => ({ status: 0 }))
        answers.set(answer.status, (answers.get(answer.status) ?? 0) + 1)
      }
    }))
    clearInterval(sampler)
    const metrics = (await get(`${ingest.adminUrl}/metrics`)).text
    const counted = (outcome: string): number => Number(new RegExp(`supertrace_ingest_spans_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)
    const mb = (bytes: number): string => (bytes / 1e6).toFixed(0)
    const taken = (answers.get(200) ?? 0) * SPANS_PER_EXPORT
    return [
      `Flood: 16 connections posting 512-span exports for ${FLOOD_SECONDS} s to one \`supertrace ingest\` (SUPERTRACE_INGEST_BUFFER_MB=64):`,
      `- answered: ${[...answers].map(([status, n]) => `${n} × ${status === 0 ? 'no answer' : status}`).join(', ')}; ${Math.round(taken / FLOOD_SECONDS)} spans/s taken`,
      `- spans buffered ${counted('buffered')}, evicted to stay within the buffer ${counted('evicted')}`,
      `- RSS, one sample a second: ${rss.map(mb).join(', ')} MB (first ${mb(rss[0] ?? 0)}, max ${mb(Math.max(...rss))}, last ${mb(rss.at(-1) ?? 0)})`,
    ].join('\n')
  } finally {
    await t.stop()
  }
}

async function pageAfterRecord (): Promise<string> {
  const t = new Stops()
  try {
    const redis = await startRedis(t)
    await redis.client.sadd(DEFAULT_SUPERUSERS_KEY, 'boss')
    const ingest = await startIngest(t, redis)
    const app = await startApp(t, redis, `${repoRoot}bench/apps/otlp-app.ts`, { OTEL_EXPORTER_OTLP_ENDPOINT: ingest.url, EXPORT_DELAY_MS: '100' }, [])
    const proxy = await startProxy(t, app, redis, { SUPERTRACE_TRACE_WAIT_MS: '2000' })
    const afterRecord: number[] = []
    for (let i = 0; i < 200; i++) {
      const page = await get(`${proxy.url}/fail`, { cookie: 'sessionid=boss', accept: 'application/json' })
      const received = performance.timeOrigin + performance.now()
      const requestId = page.headers['x-request-id'] as string
      const answered = new RegExp(`exported ${requestId} answered at ([\\d.]+)`)
      await app.waitUntil('the app logs its export', async () => answered.test(app.output))
      afterRecord.push(received - Number(answered.exec(app.output)?.[1]))
    }
    return `Page after record: a superuser's 500 whose app exports 100 ms after answering; from the receiver's answer to the export to the debug page, over 200 requests: p50 ${percentile(afterRecord, 50).toFixed(2)} ms, p99 ${percentile(afterRecord, 99).toFixed(2)} ms (target: p99 ≤ 20 ms).`
  } finally {
    await t.stop()
  }
}

const protobuf = decodeAndAssemble('protobuf')
const json = decodeAndAssemble('json')
const lines = [
  '| decode + assembly, one core | spans/s | target |',
  '|---|---|---|',
  `| OTLP/protobuf, 512-span exports of 5-span requests | ${Math.round(protobuf)} | ≥ 100,000: ${protobuf >= 100_000 ? 'met' : '**missed**'} |`,
  `| OTLP/JSON, the same | ${Math.round(json)} | |`,
  '',
  await flood(),
  '',
  await pageAfterRecord(),
  '',
]
const output = lines.join('\n')
process.stdout.write(output)
if (options.docs) writeDocsSection('<!-- ingest:start (written by node bench/ingest.ts --docs) -->', '<!-- ingest:end -->', output)
await sleep(0)
