/**
 * Micro-benchmarks of the instrumentation, in a process of their own
 * (`node --expose-gc bench/micro/processor.ts <redis url>`, JSON on stdout):
 *
 *   successful request  a server span and three children (what an Express request
 *                       makes), started and ended through real SDK spans, with
 *                       OpenTelemetry's NoopSpanProcessor and with SupertraceSpanProcessor:
 *                       the difference is what supertrace adds (ns and bytes per request);
 *   record build        buildRecord (which encodes it) for such a request with a thrown TypeError;
 *   record write        RecordWriter.write to a real Redis (SET, the index's MULTI, PUBLISH), one at a time.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api'
import { NoopSpanProcessor, TracerProvider, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { GCProfiler } from 'node:v8'
import { Redactor } from '../../core/redact.ts'
import { loadInstrumentationConfig } from '../../instrumentation/config.ts'
import { processFacts } from '../../instrumentation/record/process-facts.ts'
import { SupertraceSpanProcessor } from '../../instrumentation/processor.ts'
import { buildRecord } from '../../instrumentation/record/record-builder.ts'
import { RedactionCache } from '../../instrumentation/record/redaction-cache.ts'
import { requestOf } from '../../instrumentation/request-spans.ts'
import { RecordWriter } from '../../storage/writer.ts'
import { percentile, spread } from '../lib/stats.ts'

const redisUrl = new URL(process.argv[2] ?? 'redis://127.0.0.1:6379')
const config = { ...loadInstrumentationConfig({}), redisUrl, redis: { url: redisUrl, topology: { kind: 'single' } } as const, ttlSeconds: 60, holdMs: 50 }
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

function tracerWith (processor: SpanProcessor): Tracer {
  return new TracerProvider({ spanProcessors: [processor] }).getTracer('bench')
}

/** One request's spans, as the HTTP and Express instrumentations make them; the server span is returned still open when `keepOpen`. */
function request (tracer: Tracer, fail = false): Span {
  const server = tracer.startSpan('GET /hello', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/hello' } }, ROOT_CONTEXT) as unknown as Span
  const parent = trace.setSpan(ROOT_CONTEXT, server)
  for (const name of ['middleware - query', 'middleware - expressInit', 'request handler - /hello']) {
    const child = tracer.startSpan(name, { attributes: { 'express.type': 'middleware' } }, parent)
    if (fail && name.startsWith('request handler')) {
      try {
        (undefined as unknown as { total: number }).total.toFixed()
      } catch (err) {
        child.recordException(err as Error)
        child.setStatus({ code: SpanStatusCode.ERROR })
      }
    }
    child.end()
  }
  if (!fail) server.end()
  return server
}

interface PerRequest { readonly ns: number, readonly bytes: number }

/** ns and bytes allocated per call of `op`, over `n` calls (bytes = heap growth plus what every GC in between freed). */
function measure (n: number, op: () => void): PerRequest {
  gc()
  const profiler = new GCProfiler()
  profiler.start()
  const before = process.memoryUsage().heapUsed
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) op()
  const ns = Number(process.hrtime.bigint() - t0) / n
  const after = process.memoryUsage().heapUsed
  const freed = (profiler.stop()?.statistics ?? []).reduce((sum, s) => sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize, 0)
  return { ns, bytes: (after - before + freed) / n }
}

const plain = tracerWith(new NoopSpanProcessor())
const processor = new SupertraceSpanProcessor({ config })
const withSupertrace = tracerWith(processor)
const N = 20_000
const ROUNDS = 15
const rounds: Record<'plain' | 'supertrace', PerRequest[]> = { plain: [], supertrace: [] }
for (let i = 0; i < 3; i++) { measure(N, () => request(plain)); measure(N, () => request(withSupertrace)) } // warm-up
// Short rounds, interleaved: a burst of other work on the machine then skews one pair, not a whole side.
for (let i = 0; i < ROUNDS; i++) {
  rounds.plain.push(measure(N, () => request(plain)))
  rounds.supertrace.push(measure(N, () => request(withSupertrace)))
}
const field = (xs: PerRequest[], k: keyof PerRequest): number[] => xs.map((x) => x[k])
const added = rounds.supertrace.map((s, i) => ({ ns: s.ns - (rounds.plain[i] as PerRequest).ns, bytes: s.bytes - (rounds.plain[i] as PerRequest).bytes }))

// A failed request's record: built and encoded in-process, then written to Redis one at a time.
const failing = request(withSupertrace, true)
const spans = requestOf(failing)
if (spans === undefined) throw new Error('the processor did not track the request')
// What the app's server hands the processor: a real IncomingMessage with a browser's headers.
const incoming = new IncomingMessage(new Socket())
incoming.method = 'GET'
incoming.url = '/hello?page=2'
incoming.rawHeaders = ['Host', 'shop.example', 'User-Agent', 'Mozilla/5.0', 'Accept', 'text/html', 'Cookie', 'sessionid=abc; theme=dark']
const response = { status: 500, request: incoming, route: '/hello' }
const redactor = new Redactor()
const sources = { redactor, redactionCache: new RedactionCache(redactor), process: processFacts(''), env: process.env }
const build = measure(2000, () => buildRecord(spans, response, false, sources).json)
const { record, json } = buildRecord(spans, response, false, sources)
const writer = new RecordWriter({ redisUrl, ttlSeconds: 60 })
await writer.write(record) // opens the connection
const writes: number[] = []
for (let i = 0; i < 300; i++) {
  const t0 = performance.now()
  await context.with(ROOT_CONTEXT, () => writer.write(record))
  writes.push(performance.now() - t0)
}
await writer.close()
failing.end()
await processor.shutdown()

process.stdout.write(JSON.stringify({
  successfulRequest: {
    spansPerRequest: 4,
    plainNs: spread(field(rounds.plain, 'ns')),
    supertraceNs: spread(field(rounds.supertrace, 'ns')),
    addedNs: spread(field(added, 'ns')),
    plainBytes: spread(field(rounds.plain, 'bytes')),
    supertraceBytes: spread(field(rounds.supertrace, 'bytes')),
    addedBytes: spread(field(added, 'bytes')),
  },
  record: {
    buildAndEncodeUs: build.ns / 1000,
    bytesAllocated: build.bytes,
    jsonBytes: Buffer.byteLength(json),
    writeMs: { p50: percentile(writes, 50), p99: percentile(writes, 99) },
  },
}) + '\n')
