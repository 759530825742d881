/**
 * Every size limit of a record, in one place, and the bookkeeping of what was cut.
 * A record that is still larger than LIMITS.recordBytes once every part is within
 * its limit is shrunk further by `fitRecord` (record-builder.ts), so the largest
 * record stored is LIMITS.recordBytes bytes of JSON.
 */
import { cutMarker, cutText } from '../../core/record.ts'

export const LIMITS = {
  /** The whole record as JSON, in UTF-8 bytes (what Redis stores and the proxy reads). */
  recordBytes: 1_000_000,
  /** An exception's message (Django trims values at 4096 characters). */
  messageChars: 4096,
  /** An exception's stack as V8 printed it. */
  stackChars: 16_384,
  /** Frames kept per exception (Error.stackTraceLimit is raised to this many). */
  framesPerException: 50,
  /** How deep `cause` chains are followed, and how many members of an AggregateError are kept. */
  causeDepth: 5,
  aggregateMembers: 10,
  /** Source lines: three before the failing line, three after; each line cut at this many characters. */
  contextLinesBefore: 3,
  contextLinesAfter: 3,
  sourceLineChars: 240,
  /** Source files (and maps) larger than this are not read; the cache holds at most this many files and characters. */
  sourceFileBytes: 2_000_000,
  cachedSourceFiles: 200,
  cachedSourceBytes: 32_000_000,
  /** Redacted texts kept for the next record (redaction-cache.ts): at most this many, of at most this many characters in all. */
  cachedRedactions: 4096,
  cachedRedactionChars: 4_000_000,
  /** Local variables: frames (innermost first), variables per frame, characters per value. */
  localsFrames: 5,
  localsPerFrame: 20,
  localValueChars: 200,
  /** Exceptions whose locals are captured per second; past that, pausing is off until the next second. */
  localsCapturesPerSecond: 20,
  /** Pauses per second (each thrown exception pauses, in a request or not); past that, pausing is off until the next second. */
  localsPausesPerSecond: 200,
  /** Spans and exceptions a request keeps (request-spans.ts); past them, spans are counted as dropped. */
  spansPerRequest: 1000,
  exceptionsPerRequest: 20,
  /** Per span: */
  attributesPerSpan: 64,
  attributeChars: 1024,
  attributeArrayItems: 64,
  eventsPerSpan: 32,
  /** Request parts. */
  urlChars: 4096,
  pairsPerPart: 100,
  pairValueChars: 1024,
  bodyChars: 8192,
  /** Environment variables and resource attributes. */
  environmentVariables: 300,
  environmentValueChars: 1024,
  resourceAttributes: 64,
} as const

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
