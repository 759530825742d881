/**
 * The one catalogue of supertrace's errors. Every error has a stable `code`
 * (documented in docs/errors.md, checked by a test); nothing branches on a message.
 */

export const ErrorCodes = {
  /** A setting is missing or malformed; the message names it and shows an example. */
  CONFIG: 'ST_CONFIG',
  /** A stored record is not JSON, or not of a record version this build reads. */
  RECORD_FORMAT: 'ST_RECORD_FORMAT',
  /** Redis refused, failed or did not answer in time. */
  REDIS: 'ST_REDIS',
  /** The upstream app could not be reached, or broke off its response. */
  UPSTREAM: 'ST_UPSTREAM',
  /** The upstream app took longer than a SUPERTRACE_UPSTREAM_*_TIMEOUT_MS setting allows. */
  UPSTREAM_TIMEOUT: 'ST_UPSTREAM_TIMEOUT',
  /** A session cookie or the session it names could not be used to decide: forged, missing, unreadable or of the wrong type. */
  SESSION: 'ST_SESSION',
  /** The proxy's listener could not accept a connection, usually for lack of file descriptors (EMFILE). */
  ACCEPT: 'ST_ACCEPT',
  /** An error no code of the proxy handled: an 'error' event without a listener or a rejected promise nobody awaited. */
  UNHANDLED: 'ST_UNHANDLED',
  /** An OTLP export's body is not an export of its content type: malformed protobuf or JSON, or gzip that does not inflate. */
  OTLP_DECODE: 'ST_OTLP_DECODE',
  /** An OTLP export is larger, on the wire or inflated, than the receiver accepts. */
  OTLP_TOO_LARGE: 'ST_OTLP_TOO_LARGE',
  /** An OTLP export came with a Content-Encoding other than gzip or identity. */
  OTLP_ENCODING: 'ST_OTLP_ENCODING',
  /** The exporter's connection broke before its export's body was whole. */
  OTLP_ABORTED: 'ST_OTLP_ABORTED',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

export class SupertraceError extends Error {
  readonly code: ErrorCode

  constructor (code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** What codedError returns, named so that the published types show each class as a SupertraceError. */
type CodedErrorClass<Name extends string> = new (message: string, options?: ErrorOptions) => SupertraceError & { readonly name: Name }

/**
 * The one way to declare an error of the catalogue: a class with its fixed `code` and
 * `name`, taking a message and `{ cause }`. A class that needs more (ConfigError's
 * problems, UpstreamTimeoutError's setting) extends the returned class.
 */
function codedError<const Name extends string> (code: ErrorCode, name: Name): CodedErrorClass<Name> {
  return class extends SupertraceError {
    override readonly name: Name = name

    constructor (message: string, options?: ErrorOptions) {
      super(code, message, options)
    }
  }
}

/** One or more settings are wrong. `problems` holds one line per variable. */
export class ConfigError extends codedError(ErrorCodes.CONFIG, 'ConfigError') {
  readonly problems: readonly string[]

  constructor (problems: readonly string[]) {
    super(problems.join('\n'))
    this.problems = problems
  }
}

export class RecordFormatError extends codedError(ErrorCodes.RECORD_FORMAT, 'RecordFormatError') {}

export class RedisError extends codedError(ErrorCodes.REDIS, 'RedisError') {}

export class UpstreamError extends codedError(ErrorCodes.UPSTREAM, 'UpstreamError') {}

/**
 * A Redis command the proxy did not send because its circuit breaker is open
 * (proxy/superuser/redis-breaker.ts): ST_REDIS, but expected, so not logged per request.
 */
export class RedisBreakerOpenError extends codedError(ErrorCodes.REDIS, 'RedisBreakerOpenError') {
  constructor () {
    super('Redis was not asked: the circuit breaker is open after repeated Redis failures')
  }
}

/** The upstream app was too slow: `setting` names the timeout it ran past. */
export class UpstreamTimeoutError extends codedError(ErrorCodes.UPSTREAM_TIMEOUT, 'UpstreamTimeoutError') {
  readonly setting: string

  constructor (message: string, setting: string, options?: ErrorOptions) {
    super(message, options)
    this.setting = setting
  }
}

/** A stored session value the superuser lookup cannot read (it is then not a superuser's): not a logged-out or forged cookie, which is normal traffic. The message never holds the cookie's value. */
export class SessionError extends codedError(ErrorCodes.SESSION, 'SessionError') {}

export class AcceptError extends codedError(ErrorCodes.ACCEPT, 'AcceptError') {}

/** Wraps what reached process-level 'uncaughtException' or 'unhandledRejection'; the original is its cause. */
export class UnhandledError extends codedError(ErrorCodes.UNHANDLED, 'UnhandledError') {}

/** An OTLP export that cannot be read: the message says where, never with the export's content. */
export class DecodeError extends codedError(ErrorCodes.OTLP_DECODE, 'DecodeError') {}

export class ExportTooLargeError extends codedError(ErrorCodes.OTLP_TOO_LARGE, 'ExportTooLargeError') {}

export class UnsupportedEncodingError extends codedError(ErrorCodes.OTLP_ENCODING, 'UnsupportedEncodingError') {}

export class ExportAbortedError extends codedError(ErrorCodes.OTLP_ABORTED, 'ExportAbortedError') {}
