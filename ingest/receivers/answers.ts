/**
 * What the receiver answers an export, as the OTLP specification says, in the encoding
 * the export came in: on success an `Export…ServiceResponse`, with `partial_success` when
 * some items were refused (malformed ones: the SDK must not send them again); on failure
 * a `google.rpc.Status`. Over HTTP the status code tells the SDK whether to retry: 400,
 * 401, 404, 405, 413 and 415 are final; 429 and 503 carry Retry-After and are retried.
 */
import type { Signal } from '../operations/metrics.ts'

export type Encoding = 'protobuf' | 'json'

export const CONTENT_TYPES: Readonly<Record<Encoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
}

/** The google.rpc.Code a failure body carries for each HTTP status the receiver answers with. */
const STATUS_CODES: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  404: 12, // UNIMPLEMENTED
  405: 12,
  413: 8, // RESOURCE_EXHAUSTED
  415: 3,
  503: 14, // UNAVAILABLE
}
const INTERNAL = 13

/** The success body: empty when nothing was refused (an empty message is valid protobuf and `{}` valid JSON). */
export function exportResponse (signal: Signal, encoding: Encoding, rejected: number, message: string): Buffer {
  if (encoding === 'json') {
    if (rejected === 0) return Buffer.from('{}')
    const field = signal === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords'
    return Buffer.from(JSON.stringify({ partialSuccess: { [field]: String(rejected), errorMessage: message } }))
  }
  if (rejected === 0) return Buffer.alloc(0)
  // Export{Trace,Logs}PartialSuccess: 1 rejected_{spans,log_records} (int64), 2 error_message (string).
  const partial = new ProtobufWriter().varint(1, rejected).string(2, message).bytes()
  return new ProtobufWriter().message(1, partial).bytes()
}

/** The failure body of an HTTP answer: google.rpc.Status { 1 code, 2 message }. */
export function statusBody (encoding: Encoding, httpStatus: number, message: string): Buffer {
  const code = STATUS_CODES[httpStatus] ?? INTERNAL
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }))
  return new ProtobufWriter().varint(1, code).string(2, message).bytes()
}

/** Just what the answers above need of protobuf's wire format: varint and length-delimited fields. */
class ProtobufWriter {
  readonly #parts: Buffer[] = []

  varint (field: number, value: number): this {
    this.#parts.push(encodeVarint(field << 3), encodeVarint(value))
    return this
  }

  string (field: number, value: string): this {
    return this.message(field, Buffer.from(value, 'utf8'))
  }

  message (field: number, value: Buffer): this {
    this.#parts.push(encodeVarint((field << 3) | 2), encodeVarint(value.length), value)
    return this
  }

  bytes (): Buffer {
    return Buffer.concat(this.#parts)
  }
}

function encodeVarint (value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}
