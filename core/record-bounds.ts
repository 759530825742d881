/**
 * Keeping a record within its limits, for everything that makes records (the Node
 * instrumentation, the receiver of other languages' exports): the bookkeeping of what was
 * cut, attributes cut to bounds, and the last resort that fits a whole record to a size.
 */
import { cutMarker, cutText, encodeRecord, type AttributeValue, type Attributes, type RecordedException, type TraceRecord } from './record.ts'

/** A record as the writer stores it, and its JSON. */
export interface EncodedRecord {
  readonly record: TraceRecord
  readonly json: string
}

/** Collects the paths of what was cut (`exceptions[0].message`, `spans`), so the page can say so. */
export class Truncation {
  readonly paths: string[] = []

  /** `value` cut at `max` characters, with how much was left out said at the end. */
  text (value: string, max: number, path: string): string {
    if (value.length <= max) return value
    this.mark(path)
    return cutText(value, max)
  }

  list<T> (items: readonly T[], max: number, path: string): readonly T[] {
    if (items.length <= max) return items
    this.mark(path)
    return items.slice(0, max)
  }

  /**
   * `redact(value)` cut at `max`. Only the first 4×`max` characters are redacted (a
   * thrown 100 MB message must not cost a 100 MB scan); that is far more than is kept,
   * so a secret across the slice point is never in what is kept.
   */
  redactedText (value: string, max: number, path: string, redact: (text: string) => string): string {
    const head = value.length > 4 * max ? value.slice(0, 4 * max) : value
    const redacted = redact(head)
    if (head === value && redacted.length <= max) return redacted
    this.mark(path)
    return redacted.slice(0, max) + cutMarker(value.length - max)
  }

  mark (path: string): void {
    if (!this.paths.includes(path)) this.paths.push(path)
  }
}

/** How many attributes, array items and characters each are kept. */
export interface AttributeBounds {
  readonly attributes: number
  readonly arrayItems: number
  readonly chars: number
}

/** Attributes as OpenTelemetry allows them (already redacted), cut to `bounds`; a value of another type is left out. */
export function boundAttributes (attributes: Readonly<Record<string, unknown>>, bounds: AttributeBounds, truncation: Truncation, path: string): Attributes {
  const bounded: Record<string, AttributeValue> = {}
  const entries = truncation.list(Object.entries(attributes), bounds.attributes, path)
  for (const [key, value] of entries) {
    if (typeof value === 'string') bounded[key] = truncation.text(value, bounds.chars, path)
    else if (typeof value === 'number' || typeof value === 'boolean') bounded[key] = value
    else if (Array.isArray(value)) {
      bounded[key] = truncation.list(value, bounds.arrayItems, path)
        .map((v: unknown) => (typeof v === 'string' ? truncation.text(v, bounds.chars, path) : typeof v === 'number' || typeof v === 'boolean' ? v : null))
    }
  }
  return bounded
}

/**
 * Encoded once: checking the size needs the JSON, and the same JSON is stored (encoding
 * the record again took about 4% of the app's CPU for a failing request; docs/benchmarks.md).
 */
export function encodeFitted (record: TraceRecord, maxBytes: number): EncodedRecord {
  const json = encodeRecord(record)
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most records are far under the limit without counting.
  if (json.length * 3 <= maxBytes || Buffer.byteLength(json) <= maxBytes) return { record, json }
  const fitted = fitRecord(record, maxBytes)
  return { record: fitted, json: encodeRecord(fitted) }
}

/**
 * Every part is within its limit, but many parts at their limits add up (tens of MB):
 * shrink until the JSON is at most `maxBytes`. Everything but the spans gets at
 * most half of it (first the other exceptions and the detail of the first one go, then
 * the environment and the resource); the spans fill the rest in start order, so the
 * root and the earliest spans stay. Each part is measured once, not the whole record
 * again and again.
 */
export function fitRecord (record: TraceRecord, maxBytes: number): TraceRecord {
  const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value))
  if (bytes(record) <= maxBytes) return record
  const truncated = new Set(record.truncated)
  let rest: TraceRecord = { ...record, spans: [] }
  if (bytes(rest) > maxBytes / 2) {
    rest = { ...rest, exceptions: rest.exceptions.slice(0, 1).map(withoutDetail) }
    truncated.add('exceptions').add('exceptions[0].frames')
  }
  if (bytes(rest) > maxBytes / 2) {
    rest = { ...rest, environment: [], resource: {} }
    truncated.add('environment').add('resource')
  }
  // Room left for the spans: each costs its JSON plus a comma; the truncation list may still grow by one entry.
  let room = maxBytes - bytes(rest) - 64
  let kept = 0
  for (const span of record.spans) {
    room -= bytes(span) + 1
    if (room < 0) break
    kept++
  }
  if (kept < record.spans.length) truncated.add('spans')
  return { ...rest, spans: record.spans.slice(0, kept), droppedSpans: record.droppedSpans + record.spans.length - kept, truncated: [...truncated] }
}

function withoutDetail (exception: RecordedException): RecordedException {
  const { cause, causeKind, errors, suppressed, ...rest } = exception
  return { ...rest, frames: exception.frames.map(({ context, locals, ...frame }) => frame) }
}
