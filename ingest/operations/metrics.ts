/**
 * The receiver's Prometheus metrics (prom-client), served at /metrics on its admin port
 * (SUPERTRACE_INGEST_ADMIN_PORT). Counted per export and per batch, never per span in a
 * loop of prom-client calls: an export of thousands of spans adds its counts at once.
 * Label values are fixed sets, so the number of series stays bounded whatever arrives.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'

export type Signal = 'traces' | 'logs'
export type Transport = 'http' | 'grpc'
/** What the receiver answered an export: see receivers/answers.ts. */
export type ExportOutcome = 'accepted' | 'partial' | 'bad_request' | 'unauthorized' | 'too_large' | 'unsupported' | 'overloaded'
/**
 * What became of spans and log lines: `buffered` waiting for their request's outcome;
 * `rejected` malformed (the export's partial success says so); `over_trace_limit` past what
 * one trace keeps; `evicted` let go to keep the buffer within SUPERTRACE_INGEST_BUFFER_MB;
 * `no_trace` a log line with no trace ID, which belongs to no request; `after_success` it came
 * after its request was known to have succeeded, when nothing needs it.
 */
export type ItemOutcome = 'buffered' | 'rejected' | 'over_trace_limit' | 'evicted' | 'no_trace' | 'after_success'
export type RecordWrite = 'stored' | 'not_stored'

export interface BufferState {
  readonly bytes: number
  readonly traces: number
}

export class IngestMetrics {
  readonly registry = new Registry()
  readonly #exports: Counter<'signal' | 'transport' | 'outcome'>
  readonly #spans: Counter<'outcome'>
  readonly #logs: Counter<'outcome'>
  readonly #records: Counter<'outcome'>

  constructor (buffer: () => BufferState) {
    collectDefaultMetrics({ register: this.registry, prefix: 'supertrace_ingest_' })
    this.#exports = new Counter({ name: 'supertrace_ingest_exports_total', help: 'OTLP exports received, by signal, transport and what they were answered.', labelNames: ['signal', 'transport', 'outcome'], registers: [this.registry] })
    this.#spans = new Counter({ name: 'supertrace_ingest_spans_total', help: 'Spans received, by what became of them.', labelNames: ['outcome'], registers: [this.registry] })
    this.#logs = new Counter({ name: 'supertrace_ingest_log_records_total', help: 'Log records received, by what became of them.', labelNames: ['outcome'], registers: [this.registry] })
    this.#records = new Counter({ name: 'supertrace_ingest_record_writes_total', help: 'Writes of failed requests\' records to Redis (a record is written again as later spans arrive); the stored form of each is in supertrace_app_records_total on the proxy.', labelNames: ['outcome'], registers: [this.registry] })
    new Gauge({ name: 'supertrace_ingest_buffer_bytes', help: 'Bytes of spans and log lines waiting for their request\'s outcome (at most SUPERTRACE_INGEST_BUFFER_MB).', registers: [this.registry], collect () { this.set(buffer().bytes) } })
    new Gauge({ name: 'supertrace_ingest_buffer_traces', help: 'Traces waiting in the buffer.', registers: [this.registry], collect () { this.set(buffer().traces) } })
  }

  countExport (signal: Signal, transport: Transport, outcome: ExportOutcome): void {
    this.#exports.inc({ signal, transport, outcome })
  }

  countSpans (outcome: ItemOutcome, n: number): void {
    if (n > 0) this.#spans.inc({ outcome }, n)
  }

  countLogs (outcome: ItemOutcome, n: number): void {
    if (n > 0) this.#logs.inc({ outcome }, n)
  }

  countRecordWrite (outcome: RecordWrite): void {
    this.#records.inc({ outcome })
  }
}
