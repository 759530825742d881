/**
 * What the receiver keeps of an OTLP export, whichever wire it came by (protobuf over
 * HTTP or gRPC, or OTLP/JSON): the decoders (protobuf.ts, json.ts) produce these, the
 * trace buffer and the record assembly read them. IDs are lowercase hex, times are epoch
 * microseconds (OTLP's nanoseconds, which no JavaScript number holds exactly), attribute
 * values are OpenTelemetry's: a scalar or a list of scalars (a map or bytes value is kept
 * as its JSON or hex text).
 */
import type { Attributes, SpanKindName, SpanStatusName } from '../../core/record.ts'

/** The resource of the spans or logs beside it: `service.name`, `telemetry.sdk.language`, `process.*`, `host.name`, … */
export interface OtlpResource {
  readonly attributes: Attributes
}

export interface OtlpSpanEvent {
  readonly name: string
  readonly timeUs: number
  readonly attributes: Attributes
  /** Attributes the sender dropped (its `dropped_attributes_count`) plus those past the decoder's cap; absent when none were. */
  readonly droppedAttributes?: number
}

export interface OtlpSpan {
  /** 32 lowercase hex digits. */
  readonly traceId: string
  /** 16 lowercase hex digits. */
  readonly spanId: string
  /** Absent for a trace's root span (OTLP's empty `parent_span_id`). */
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: SpanKindName
  readonly startUs: number
  readonly endUs: number
  readonly status: { readonly code: SpanStatusName, readonly message?: string }
  readonly attributes: Attributes
  readonly events: readonly OtlpSpanEvent[]
  /** As the event's: the sender's `dropped_attributes_count` plus what the decoder cut; absent when none were. */
  readonly droppedAttributes?: number
  /** The sender's `dropped_events_count` plus events past the decoder's cap; absent when none were. */
  readonly droppedEvents?: number
  readonly resource: OtlpResource
  /** Bytes the span took on the wire (protobuf), or its strings' length plus a fixed share per value (JSON, whose parser keeps no offsets): what it costs the trace buffer. */
  readonly wireBytes: number
}

export interface OtlpLogRecord {
  /** Absent when the log record carries no trace context (no ID, or all zeros): it belongs to no request. */
  readonly traceId?: string
  readonly spanId?: string
  /** `time_unix_nano`, or `observed_time_unix_nano` when that is 0. */
  readonly timeUs: number
  /** OTLP's `severity_number` (1–24; 0 unspecified). */
  readonly severityNumber: number
  readonly severityText: string
  /** The body as text: a string as it is, anything else as its JSON. */
  readonly body: string
  /** OTLP's `event_name` (`exception` for an exception recorded as a log); absent when empty. */
  readonly eventName?: string
  readonly attributes: Attributes
  readonly droppedAttributes?: number
  readonly resource: OtlpResource
  readonly wireBytes: number
}

/** One decoded export: what a decoder returns, or a `DecodeError` for what cannot be read. */
export interface DecodedTraces {
  readonly spans: readonly OtlpSpan[]
  /** Spans left out because they were malformed (an ID of the wrong length, all zeros): OTLP's `rejected_spans`. */
  readonly rejected: number
  /** Why they were, for the partial-success message; empty when none was. */
  readonly rejectedReason: string
}

export interface DecodedLogs {
  readonly logs: readonly OtlpLogRecord[]
  readonly rejected: number
  readonly rejectedReason: string
}
