/**
 * Turns traces into records: every decoded span and log line goes into the trace buffer;
 * a trace whose SERVER span failed (error status, a 5xx, an exception) becomes a record at
 * once, and its later spans and log lines write it again (gathered for LIMITS.rewriteDelayMs,
 * so a burst of stragglers is one write). Only failing traces touch Redis. A trace whose
 * request succeeded (its own SERVER span, the child of the proxy's: foreign-record.ts) is let
 * go at once (trace-buffer.ts).
 */
import type { Logger } from '../../core/log.ts'
import type { Redactor } from '../../core/redact.ts'
import type { EncodedRecord } from '../../core/record-bounds.ts'
import type { TraceRecord } from '../../core/record.ts'
import { LIMITS } from '../limits.ts'
import type { OtlpLogRecord, OtlpSpan } from '../otlp/model.ts'
import type { IngestMetrics, ItemOutcome } from '../operations/metrics.ts'
import { buildForeignRecord, entrySpanOf, isFailedServerSpan, isRequestsOwnSpan } from './foreign-record.ts'
import type { BufferedTrace, TraceBuffer } from './trace-buffer.ts'

/** Where records go: the same writer the Node instrumentation uses (key, TTL, recent index, notification). */
export interface RecordStore {
  write (record: TraceRecord, json: string): Promise<boolean>
}

export interface FailingTracesParts {
  readonly buffer: TraceBuffer
  readonly store: RecordStore
  readonly redactor: Redactor
  readonly metrics: IngestMetrics
  readonly logger: Logger
}

/** How often traces whose time is up are let go. */
const EXPIRY_INTERVAL_MS = 1000

export class FailingTraces {
  readonly #parts: FailingTracesParts
  /** Recorded traces with stragglers waiting to be written, by trace ID. */
  readonly #rewrites = new Map<string, NodeJS.Timeout>()
  readonly #expiry: NodeJS.Timeout
  readonly #writes = new Set<Promise<unknown>>()
  /** The traces recorded lately, oldest first, bounded: what survives a trace's being let go. */
  readonly #recorded = new Set<string>()
  #evictedSpans = 0
  #evictedLogs = 0

  constructor (parts: FailingTracesParts) {
    this.#parts = parts
    this.#expiry = setInterval(() => { parts.buffer.expire(Date.now()) }, EXPIRY_INTERVAL_MS).unref()
  }

  /** One export's spans. */
  acceptSpans (spans: readonly OtlpSpan[], now: number = Date.now()): void {
    const { buffer, metrics } = this.#parts
    const touched = new Set<BufferedTrace>()
    const counts = new OutcomeCounts()
    for (const span of spans) {
      const isFailed = isFailedServerSpan(span)
      const { trace, outcome } = buffer.addSpan(span, isFailed, now)
      counts.add(outcome)
      // Only the request's own SERVER span settles it: a downstream service may succeed where the request fails.
      if (!isFailed && isRequestsOwnSpan(span)) buffer.settle(trace, now)
      touched.add(trace)
    }
    counts.report((outcome, n) => { metrics.countSpans(outcome, n) })
    this.#countEvictions()
    for (const trace of touched) if (trace.isFailing) this.#schedule(trace)
  }

  /** One export's log records: joined to their trace by its ID; one without is no request's. */
  acceptLogs (logs: readonly OtlpLogRecord[], now: number = Date.now()): void {
    const { buffer, metrics } = this.#parts
    const touched = new Set<BufferedTrace>()
    const counts = new OutcomeCounts()
    for (const log of logs) {
      if (log.traceId === undefined) {
        counts.add('no_trace')
        continue
      }
      const { trace, outcome } = buffer.addLog({ ...log, traceId: log.traceId }, now)
      counts.add(outcome)
      touched.add(trace)
    }
    counts.report((outcome, n) => { metrics.countLogs(outcome, n) })
    this.#countEvictions()
    for (const trace of touched) if (trace.isFailing) this.#schedule(trace)
  }

  /** Writes what is waiting, then stops. */
  async close (): Promise<void> {
    clearInterval(this.#expiry)
    for (const [traceId, timer] of this.#rewrites) {
      clearTimeout(timer)
      this.#rewrites.delete(traceId)
      const trace = this.#parts.buffer.get(traceId)
      if (trace !== undefined) this.#write(trace)
    }
    await Promise.all(this.#writes)
    this.#parts.buffer.clear()
  }

  /**
   * The first record of a trace is written at once (a superuser may be waiting); later ones gather
   * stragglers first. A trace recorded before and since let go (its time was up, or the buffer
   * needed the room) is not written again from what came after: the stored record holds more.
   */
  #schedule (trace: BufferedTrace): void {
    if (this.#rewrites.has(trace.traceId) || trace.isFragment) return
    if (!trace.isRecorded) {
      trace.isRecorded = true
      if (this.#recorded.has(trace.traceId)) {
        trace.isFragment = true
        return
      }
      this.#recorded.add(trace.traceId)
      if (this.#recorded.size > LIMITS.recordedTracesRemembered) this.#recorded.delete(this.#recorded.values().next().value as string)
      this.#write(trace)
      return
    }
    this.#rewrites.set(trace.traceId, setTimeout(() => {
      this.#rewrites.delete(trace.traceId)
      this.#write(trace)
    }, LIMITS.rewriteDelayMs).unref())
  }

  #write (trace: BufferedTrace): void {
    const { store, redactor, metrics, logger } = this.#parts
    const entry = entrySpanOf(trace.spans)
    if (entry === undefined) return
    let encoded: EncodedRecord
    try {
      encoded = buildForeignRecord(trace.traceId, entry, trace.spans, trace.logs, redactor)
    } catch (err) {
      // A record that cannot be made is this trace's loss only, never the receiver's.
      logger.error('the record of a failed request could not be made from its spans', err, trace.traceId)
      return
    }
    const written = store.write(encoded.record, encoded.json).then((stored) => { metrics.countRecordWrite(stored ? 'stored' : 'not_stored') })
    this.#writes.add(written)
    void written.finally(() => this.#writes.delete(written))
  }

  #countEvictions (): void {
    const { evicted } = this.#parts.buffer
    this.#parts.metrics.countSpans('evicted', evicted.spans - this.#evictedSpans)
    this.#parts.metrics.countLogs('evicted', evicted.logs - this.#evictedLogs)
    this.#evictedSpans = evicted.spans
    this.#evictedLogs = evicted.logs
  }
}

/** An export's items counted by outcome, then reported once each: prom-client is not called per span. */
class OutcomeCounts {
  readonly #counts = new Map<ItemOutcome, number>()

  add (outcome: ItemOutcome): void {
    this.#counts.set(outcome, (this.#counts.get(outcome) ?? 0) + 1)
  }

  report (count: (outcome: ItemOutcome, n: number) => void): void {
    for (const [outcome, n] of this.#counts) count(outcome, n)
  }
}
