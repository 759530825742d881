/**
 * Every size limit of the receiver, in one place: what an export may be, what one trace
 * keeps, what a record built from foreign spans is cut to. The settings (the buffer's
 * size, how long traces wait) are ingest/config.ts.
 */
export const LIMITS = {
  // The wire.
  /** An export's body as sent, and once inflated (the Collector's own default cap is 20 MiB). */
  exportBytes: 16 * 1024 * 1024,
  /** Bytes of export bodies being read at once: past it, exports are answered 503 with Retry-After (the SDKs retry). */
  bodiesInFlightBytes: 64 * 1024 * 1024,
  /** Seconds an SDK is told to wait before it retries an export refused for load. */
  retryAfterSeconds: 1,
  // One trace in the buffer.
  spansPerTrace: 1000,
  logsPerTrace: 200,
  /** After a trace's request succeeded, its spans are kept this long for nothing more (children exported after their SERVER span). */
  settledTraceMs: 2000,
  /** A recorded trace's later spans are gathered this long before its record is written again. */
  rewriteDelayMs: 50,
  /** Trace IDs of records written lately (about 40 bytes each), so that a trace let go is not recorded again from fragments. */
  recordedTracesRemembered: 50_000,
  // The record.
  /** The whole record as JSON, in UTF-8 bytes: as the Node instrumentation's. */
  recordBytes: 1_000_000,
  spans: 400,
  attributesPerSpan: 64,
  attributeArrayItems: 64,
  eventsPerSpan: 32,
  exceptions: 16,
  messageChars: 4096,
  stackChars: 16_384,
  attributeChars: 2048,
  logBodyChars: 2048,
  localsPerFrame: 40,
  localValueChars: 1024,
  /** The JSON of a frames attribute added by an app's helper (supertrace.exception.frames). */
  richFramesChars: 256 * 1024,
  // A stack text (ingest/stacks/): it comes from another process and may be anything.
  /** Frames kept per exception, innermost first (the instrumentation keeps as many). */
  framesPerException: 50,
  /** Causes followed from the exception that failed the request. */
  causeDepth: 8,
  /** Java's suppressed exceptions kept per exception. */
  suppressedPerException: 8,
  /** Exceptions read from one stack text, causes and suppressed ones together; later headers are ignored. */
  exceptionsPerStack: 24,
  /** A line longer than this is never read as a frame or a header (it can still be part of a message). */
  stackLineChars: 2000,
  /** A source line a stack text carries (Python's), as the instrumentation cuts its own. */
  sourceLineChars: 240,
} as const
