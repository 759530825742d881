/**
 * Recent spans and log lines, gathered by trace: a request's spans arrive across several
 * exports (children often before their SERVER span) and from several services, so they
 * wait here until the request's outcome is known.
 *
 * Bounded in bytes (each span and log line costs what it takes in memory, estimated from its
 * size on the wire): past the bound the oldest traces are let go first. Bounded in time: a
 * trace is let go `traceMs` after its first span arrived. Once a trace's request is known to
 * have succeeded its spans are let go at once, and for `settledMs` more spans of it are
 * refused on arrival (children an SDK exports after their SERVER span). Both orders are
 * first in, first out, so expiry reads only the front of two queues.
 */
import type { OtlpLogRecord, OtlpSpan } from '../otlp/model.ts'
import { LIMITS } from '../limits.ts'

export interface BufferedTrace {
  readonly traceId: string
  readonly spans: OtlpSpan[]
  readonly logs: OtlpLogRecord[]
  /** What it costs the buffer. */
  bytes: number
  /** A SERVER span of it failed: it has (or is getting) a record. */
  isFailing: boolean
  /** Its request succeeded: it waits only for stragglers (settledMs). */
  isSettled: boolean
  /** Its first record has been written: later spans write it again. */
  isRecorded: boolean
  /** Recorded before and since let go: what is here now is a fragment, never written over the stored record. */
  isFragment: boolean
}

/** What became of a span or log line offered to the buffer (see ItemOutcome in operations/metrics.ts). */
export interface Added {
  readonly trace: BufferedTrace
  readonly outcome: 'buffered' | 'over_trace_limit' | 'after_success'
}

/** What the buffer let go of to stay within its bounds, for the metrics. */
export interface Evictions {
  spans: number
  logs: number
}

export class TraceBuffer {
  readonly #maxBytes: number
  readonly #traceMs: number
  readonly #settledMs: number
  /** In order of first arrival: the front is the oldest. */
  readonly #traces = new Map<string, BufferedTrace & { readonly arrivedAt: number }>()
  readonly #settled: Array<{ readonly traceId: string, readonly at: number }> = []
  #bytes = 0
  readonly evicted: Evictions = { spans: 0, logs: 0 }

  constructor (maxBytes: number, traceMs: number, settledMs: number = LIMITS.settledTraceMs) {
    this.#maxBytes = maxBytes
    this.#traceMs = traceMs
    this.#settledMs = settledMs
  }

  get bytes (): number {
    return this.#bytes
  }

  get traceCount (): number {
    return this.#traces.size
  }

  get (traceId: string): BufferedTrace | undefined {
    return this.#traces.get(traceId)
  }

  /** Adds a span to its trace, unless the trace holds LIMITS.spansPerTrace already or its request succeeded (and this span does not fail it). */
  addSpan (span: OtlpSpan, isFailedServerSpan: boolean, now: number): Added {
    const trace = this.#traceOf(span.traceId, now)
    if (isFailedServerSpan) trace.isFailing = true
    const outcome = this.#room(trace, trace.spans.length, LIMITS.spansPerTrace)
    if (outcome === 'buffered') {
      trace.spans.push(span)
      this.#grow(trace, span.wireBytes)
    }
    return { trace, outcome }
  }

  addLog (log: OtlpLogRecord & { readonly traceId: string }, now: number): Added {
    const trace = this.#traceOf(log.traceId, now)
    const outcome = this.#room(trace, trace.logs.length, LIMITS.logsPerTrace)
    if (outcome === 'buffered') {
      trace.logs.push(log)
      this.#grow(trace, log.wireBytes)
    }
    return { trace, outcome }
  }

  #room (trace: BufferedTrace, held: number, max: number): Added['outcome'] {
    if (trace.isSettled && !trace.isFailing) return 'after_success'
    return held < max ? 'buffered' : 'over_trace_limit'
  }

  /** The trace's request succeeded: its spans are let go now, and stragglers refused for a little longer. */
  settle (trace: BufferedTrace, now: number): void {
    if (trace.isSettled || trace.isFailing) return
    trace.isSettled = true
    this.#bytes -= trace.bytes
    trace.bytes = 0
    trace.spans.length = 0
    trace.logs.length = 0
    this.#settled.push({ traceId: trace.traceId, at: now + this.#settledMs })
  }

  /** Lets go of the traces whose time is up. */
  expire (now: number): void {
    while (this.#settled.length > 0 && (this.#settled[0] as { at: number }).at <= now) {
      const { traceId } = this.#settled.shift() as { traceId: string }
      const trace = this.#traces.get(traceId)
      // A span that failed after all turns a settled trace into a failing one: it stays its full time.
      if (trace !== undefined && !trace.isFailing) this.#remove(trace)
    }
    for (const trace of this.#traces.values()) {
      if (trace.arrivedAt + this.#traceMs > now) break
      this.#remove(trace)
    }
  }

  clear (): void {
    this.#traces.clear()
    this.#settled.length = 0
    this.#bytes = 0
  }

  #traceOf (traceId: string, now: number): BufferedTrace {
    let trace = this.#traces.get(traceId)
    if (trace === undefined) {
      trace = { traceId, spans: [], logs: [], bytes: 0, isFailing: false, isSettled: false, isRecorded: false, isFragment: false, arrivedAt: now }
      this.#traces.set(traceId, trace)
    }
    return trace
  }

  #grow (trace: BufferedTrace, wireBytes: number): void {
    const bytes = inMemory(wireBytes)
    trace.bytes += bytes
    this.#bytes += bytes
    // The oldest go first; the trace just added to goes last, if it alone is over the bound.
    for (const oldest of this.#traces.values()) {
      if (this.#bytes <= this.#maxBytes) break
      if (oldest === trace && this.#traces.size > 1) continue
      this.evicted.spans += oldest.spans.length
      this.evicted.logs += oldest.logs.length
      this.#remove(oldest)
    }
  }

  #remove (trace: BufferedTrace): void {
    this.#traces.delete(trace.traceId)
    this.#bytes -= trace.bytes
  }
}

/**
 * What a span or log line takes in memory once decoded, from its size on the wire: about
 * four times as many bytes, plus the objects that hold them (measured on 5-span requests of
 * the real SDK: 1,009 heap bytes for 184 on the wire).
 */
function inMemory (wireBytes: number): number {
  return 4 * wireBytes + 300
}
