/**
 * Every size limit of a record the instrumentation makes, in one place. A record that is
 * still larger than LIMITS.recordBytes once every part is within its limit is shrunk further
 * by `encodeFitted` (core/record-bounds.ts), so the largest record stored is
 * LIMITS.recordBytes bytes of JSON.
 */

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
