/**
 * The record of one failed request: written to Redis by the instrumentation,
 * read by the proxy to build the debug page. This module is the format's one
 * definition; docs/record.md describes it field by field (a test keeps the two in step).
 *
 * A change of shape is a new RECORD_VERSION, and `decodeRecord` keeps reading the
 * previous version for at least one TTL, so a proxy and an app upgraded at
 * different times still understand each other.
 */
import { RecordFormatError } from './errors.ts'
import { isRequestId } from './protocol.ts'

export const RECORD_VERSION = 1

export type AttributeValue = string | number | boolean | ReadonlyArray<string | number | boolean | null>
export type Attributes = Readonly<Record<string, AttributeValue>>

export interface StackFrame {
  /** The function as V8 names it (`Router.handle`, `<anonymous>`); absent for top-level code. */
  readonly function?: string
  /** A path or URL (`file:///app/server.js`, `node:internal/…`). */
  readonly file: string
  readonly line: number
  readonly column: number
}

export interface RecordedException {
  /** `err.name` for an Error (`TypeError`), or `typeof` for a thrown non-Error. */
  readonly type: string
  readonly message: string
  /** `err.stack` as V8 printed it. */
  readonly stack: string
  /** The stack parsed, innermost frame first. */
  readonly frames: readonly StackFrame[]
  /** The span it was recorded on, when OpenTelemetry recorded it. */
  readonly spanId?: string
}

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer'
export type SpanStatusName = 'unset' | 'ok' | 'error'

export interface RecordedSpanEvent {
  readonly name: string
  /** Epoch milliseconds. */
  readonly time: number
  readonly attributes: Attributes
}

export interface RecordedSpan {
  readonly spanId: string
  /** Absent on the request's root span. */
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: SpanKindName
  /** Epoch milliseconds. */
  readonly start: number
  /** Milliseconds; `null` while the span was still open when the record was made. */
  readonly duration: number | null
  readonly status: { readonly code: SpanStatusName, readonly message?: string }
  readonly attributes: Attributes
  readonly events: readonly RecordedSpanEvent[]
}

export interface TraceRecord {
  readonly v: typeof RECORD_VERSION
  /** The request ID, which is the request's W3C trace ID. */
  readonly requestId: string
  /**
   * `false`: written while the 500 was being sent (some spans still open);
   * `true`: rewritten once every span of the request had ended.
   */
  readonly complete: boolean
  readonly service: { readonly name: string, readonly version?: string }
  /** Epoch milliseconds at which the failing response was produced. */
  readonly time: number
  readonly request: { readonly method: string, readonly url: string, readonly route?: string }
  readonly response: { readonly status: number }
  /** Every distinct exception recorded during the request, first recorded first. Empty when none was captured. */
  readonly exceptions: readonly RecordedException[]
  /** The request's spans in start order, capped (see `droppedSpans`). */
  readonly spans: readonly RecordedSpan[]
  /** How many spans were left out to keep the record bounded. */
  readonly droppedSpans: number
}

export function encodeRecord (record: TraceRecord): string {
  return JSON.stringify(record)
}

/**
 * Parses a stored record. Throws `RecordFormatError` on anything that is not a record
 * of a version this build reads, rather than guessing at a shape it does not know.
 */
export function decodeRecord (json: string): TraceRecord {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new RecordFormatError('the stored record is not JSON', { cause })
  }
  if (!isObject(value)) throw new RecordFormatError('the stored record is not a JSON object')
  if (value.v !== RECORD_VERSION) throw new RecordFormatError(`record version ${JSON.stringify(value.v)} is not one this proxy reads (${RECORD_VERSION})`)
  const problem = firstProblem(value)
  if (problem !== undefined) throw new RecordFormatError(`the stored record is malformed: ${problem}`)
  return value as unknown as TraceRecord
}

type Check = (value: unknown) => boolean
const isString: Check = (v) => typeof v === 'string'
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v)
const isArrayOf = (check: Check): Check => (v) => Array.isArray(v) && v.every(check)

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The fields the proxy renders, checked for type; the page treats everything else as text. */
function firstProblem (r: Record<string, unknown>): string | undefined {
  if (!isString(r.requestId) || !isRequestId(r.requestId as string)) return 'requestId'
  if (!isObject(r.service) || !isString(r.service.name)) return 'service.name'
  if (!isNumber(r.time)) return 'time'
  if (!isObject(r.request) || !isString(r.request.method) || !isString(r.request.url)) return 'request'
  if (!isObject(r.response) || !isNumber(r.response.status)) return 'response.status'
  const isFrame: Check = (f) => isObject(f) && isString(f.file) && isNumber(f.line) && isNumber(f.column)
  const isException: Check = (e) => isObject(e) && isString(e.type) && isString(e.message) && isString(e.stack) && isArrayOf(isFrame)(e.frames)
  if (!isArrayOf(isException)(r.exceptions)) return 'exceptions'
  const isSpan: Check = (s) => isObject(s) && isString(s.spanId) && isString(s.name) && isNumber(s.start) &&
    (s.duration === null || isNumber(s.duration)) && isObject(s.status) && isObject(s.attributes) && Array.isArray(s.events)
  if (!isArrayOf(isSpan)(r.spans)) return 'spans'
  return undefined
}
