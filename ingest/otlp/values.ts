/**
 * What the protobuf and JSON decoders share: the caps that bound a hostile export, the
 * mapping of OTLP's enums, times and AnyValues to the model's, and the tally of spans left out.
 */
import type { AttributeValue, SpanKindName, SpanStatusName } from '../../core/record.ts'

/** Attributes kept per span, event, log record or resource: OpenTelemetry's own default `AttributeCountLimit`. */
export const MAX_ATTRIBUTES = 128
/** Events kept per span: OpenTelemetry's default `EventCountLimit`. */
export const MAX_EVENTS = 128
/** Elements kept of one array or map value; the rest are left out. */
export const MAX_VALUE_ITEMS = 1000
/** Levels of arrays and maps inside a value; anything deeper becomes `null`, so no export can exhaust the stack. */
export const MAX_VALUE_DEPTH = 8

/**
 * An AnyValue as the decoders read it, before it becomes an attribute value: scalars as
 * they are (bytes as hex, a 64-bit integer past 2^53 as its decimal text), an array as an
 * array, a map as a prototype-less object (so that a key `__proto__` is only a key).
 */
export type PlainValue = string | number | boolean | null | readonly PlainValue[] | { readonly [key: string]: PlainValue }

/** OTLP's SpanKind by number; UNSPECIFIED (0) is INTERNAL, as the specification says to treat it. */
const SPAN_KINDS: readonly SpanKindName[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer']
const STATUS_CODES: readonly SpanStatusName[] = ['unset', 'ok', 'error']

/** A number no SDK sends maps to INTERNAL, as UNSPECIFIED does. */
export function spanKindOf (code: number): SpanKindName {
  return SPAN_KINDS[code] ?? 'internal'
}

export function statusCodeOf (code: number): SpanStatusName {
  return STATUS_CODES[code] ?? 'unset'
}

/** OTLP's severity number, or 0 (unspecified) outside the enum's 1–24. */
export function severityOf (code: number): number {
  return Number.isInteger(code) && code >= 1 && code <= 24 ? code : 0
}

/** What an ID field holds: an ID, nothing (absent or empty), zeros, too few or too many bytes, or (JSON) text that is not hex. */
export type IdState = 'ok' | 'absent' | 'all zeros' | 'of the wrong length' | 'not hex'

/**
 * Why a span is left out, or undefined to keep it: a trace and a span ID are required. An
 * absent or all-zero parent is how SDKs mark a root span; only a malformed one rejects it.
 */
export function spanIdsProblem (traceId: IdState, spanId: IdState, parentSpanId: IdState): string | undefined {
  if (traceId !== 'ok') return `trace ID ${traceId}`
  if (spanId !== 'ok') return `span ID ${spanId}`
  if (parentSpanId === 'of the wrong length' || parentSpanId === 'not hex') return `parent span ID ${parentSpanId}`
  return undefined
}

/** Why a log record is left out, or undefined to keep it: one outside any span has no IDs, or zeros; only malformed ones reject it. */
export function logIdsProblem (traceId: IdState, spanId: IdState): string | undefined {
  if (traceId === 'of the wrong length' || traceId === 'not hex') return `trace ID ${traceId}`
  if (spanId === 'of the wrong length' || spanId === 'not hex') return `span ID ${spanId}`
  return undefined
}

const HEX_OF_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** `bytes[start, end)` as lowercase hex. */
export function hexOf (bytes: Uint8Array, start: number, end: number): string {
  let hex = ''
  for (let i = start; i < end; i++) hex += HEX_OF_BYTE[bytes[i]!]
  return hex
}

const TWO_TO_32 = 4294967296

/**
 * Nanoseconds as the two 32-bit halves of a fixed64, to epoch microseconds, exactly and
 * without BigInt: (hi·2^32 + lo) / 1000 = ⌊hi/1000⌋·2^32 + ((hi mod 1000)·2^32 + lo) / 1000,
 * and the second dividend stays under 2^42. Exact for any time before the year 2255.
 */
export function microsFromNanoHalves (lo: number, hi: number): number {
  const hiRemainder = hi % 1000
  return (hi - hiRemainder) / 1000 * TWO_TO_32 + Math.floor((hiRemainder * TWO_TO_32 + lo) / 1000)
}

const NANOS_TEXT = /^\d{1,20}$/

/** OTLP/JSON's nanoseconds, a decimal string (exact: its last three digits are dropped as text) or a number. */
export function microsFromNanos (value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value / 1000) : undefined
  if (!NANOS_TEXT.test(value)) return undefined
  return value.length <= 3 ? 0 : Number(value.slice(0, -3))
}

/** A signed 64-bit integer given as its two's-complement halves: a number when JavaScript holds it exactly, else its decimal text. */
export function int64From (lo: number, hi: number): number | string {
  const signedHi = hi | 0
  // |value| < 2^53 exactly when the high half, signed, is within ±2^21.
  if (signedHi >= -0x200000 && signedHi < 0x200000) return signedHi * TWO_TO_32 + lo
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString()
}

const INT_TEXT = /^-?\d{1,20}$/

/** OTLP/JSON's int64, a number or decimal text: a number when exact, else the text; undefined when it is neither. */
export function int64FromJson (value: unknown): number | string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string' || !INT_TEXT.test(value)) return undefined
  const number = Number(value)
  return Number.isSafeInteger(number) ? number : BigInt(value).toString()
}

/**
 * An AnyValue as an attribute value: scalars as they are, an array of scalars as an array,
 * anything nested (a map, an array holding one) as its JSON text. `null` (an empty AnyValue)
 * gives undefined: the attribute is left out.
 */
export function attributeValueOf (value: PlainValue): AttributeValue | undefined {
  if (value === null) return undefined
  if (typeof value !== 'object') return value
  if (!Array.isArray(value)) return JSON.stringify(value)
  const items = value as readonly PlainValue[]
  for (const item of items) {
    if (item !== null && typeof item === 'object') return JSON.stringify(items)
  }
  return items as ReadonlyArray<string | number | boolean | null>
}

/** A log record's body as text: a string as it is, anything else as its JSON. */
export function bodyTextOf (value: PlainValue): string {
  return typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value)
}

/** Sets `attributes[key]`, as an own property even for `__proto__`, which plain assignment would take as the prototype. */
export function putAttribute (attributes: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__') Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true })
  else attributes[key] = value
}

/** Why items of an export were left out, counted by reason: OTLP's `rejected_spans` and its message. */
export class Rejections {
  count = 0
  private readonly byReason = new Map<string, number>()

  add (reason: string): void {
    this.count++
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1)
  }

  /** For example `2 spans: trace ID not 16 bytes; 1 span: span ID all zeros`; empty when none was left out. */
  reason (noun: string): string {
    return [...this.byReason].map(([reason, count]) => `${count} ${noun}${count === 1 ? '' : 's'}: ${reason}`).join('; ')
  }
}
