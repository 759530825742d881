/**
 * One export, whichever receiver took it: decoded by its encoding, its spans or log
 * records handed to the failing-traces processor. Both receivers (http.ts, grpc.ts) call
 * this and map its outcome to their protocol's answer.
 */
import { decodeLogsJson, decodeTracesJson } from '../otlp/json.ts'
import { decodeLogsProtobuf, decodeTracesProtobuf } from '../otlp/protobuf.ts'
import type { IngestMetrics, Signal } from '../operations/metrics.ts'
import type { FailingTraces } from '../traces/failing-traces.ts'
import type { Encoding } from './answers.ts'

/** What an export had refused: malformed items, and why (OTLP's partial success). */
export interface Refused {
  readonly rejected: number
  readonly reason: string
}

export class ExportIntake {
  readonly #traces: FailingTraces
  readonly #metrics: IngestMetrics

  constructor (traces: FailingTraces, metrics: IngestMetrics) {
    this.#traces = traces
    this.#metrics = metrics
  }

  /** Throws DecodeError when the export cannot be read at all (answered 400 / INVALID_ARGUMENT, not retried). */
  take (signal: Signal, encoding: Encoding, body: Uint8Array): Refused {
    if (signal === 'traces') {
      const decoded = encoding === 'json' ? decodeTracesJson(Buffer.from(body).toString('utf8')) : decodeTracesProtobuf(body)
      this.#metrics.countSpans('rejected', decoded.rejected)
      this.#traces.acceptSpans(decoded.spans)
      return { rejected: decoded.rejected, reason: decoded.rejectedReason }
    }
    const decoded = encoding === 'json' ? decodeLogsJson(Buffer.from(body).toString('utf8')) : decodeLogsProtobuf(body)
    this.#metrics.countLogs('rejected', decoded.rejected)
    this.#traces.acceptLogs(decoded.logs)
    return { rejected: decoded.rejected, reason: decoded.rejectedReason }
  }
}
