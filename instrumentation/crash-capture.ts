/**
 * Errors that escape the app during a request: an `uncaughtException` (a throw in a
 * timer or event callback) or an `unhandledRejection` (Express 4's async handlers,
 * which never answer). On Node 26 both are emitted with the failing request's async
 * context still active (capture notes §1), so the error is recorded under that
 * request, even when no response is ever sent.
 *
 * The app's crash behaviour is kept:
 *  - nothing here handles `unhandledRejection` (a listener would stop Node from
 *    crashing on it): `process.emit` is observed instead;
 *  - an `uncaughtException` listener is added, but while it is the only one it
 *    lets the record reach Redis (at most FLUSH_TIMEOUT_MS) and then throws the
 *    same error again, so Node prints it and exits with code 1 as it would have.
 *    If the app has its own listener, the app decides, as before.
 */
import type { RequestSpans } from './request-spans.ts'
import { captureActiveException } from './request-spans.ts'

export interface UncaughtErrorHandler {
  /** Writes the request's record now: there may never be a response to trigger it. */
  readonly record: (request: RequestSpans) => void
  /** Resolves once the records being written are stored (or have failed). */
  readonly flush: () => Promise<void>
}

/** Sentry waits as long (`shutdownTimeout`): long enough for a local Redis, short for a crashing process. */
const FLUSH_TIMEOUT_MS = 2000

const kInstalled = Symbol.for('supertrace.crash-capture')
let handler: UncaughtErrorHandler | undefined
/** Set while the error is thrown again after the flush: it is already recorded. */
let isRethrowing = false
/** An unhandled rejection that crashes the process is seen twice: as the rejection, then as the uncaught exception. */
let lastRecorded: unknown

/** Installs the process hooks once; later calls only replace the handler. */
export function captureUncaughtErrors (onUncaught: UncaughtErrorHandler): void {
  handler = onUncaught
  const proc = process as NodeJS.Process & { [kInstalled]?: true }
  if (proc[kInstalled] === true) return
  proc[kInstalled] = true

  process.on('uncaughtExceptionMonitor', record)
  const emit = process.emit
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) {
    if (event === 'unhandledRejection') record(args[0])
    return (emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args)
  } as NodeJS.Process['emit']
  process.on('uncaughtException', exitAfterFlush)
}

function record (error: unknown): void {
  if (isRethrowing || error === lastRecorded) return
  lastRecorded = error
  try {
    const request = captureActiveException(error)
    if (request !== undefined) handler?.record(request)
  } catch {
    // Recording must never add a second failure to the app's own.
  }
}

function exitAfterFlush (error: unknown): void {
  // Another listener is the app's: it chose what an uncaught exception does.
  if (process.listenerCount('uncaughtException') > 1) return
  process.off('uncaughtException', exitAfterFlush)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, FLUSH_TIMEOUT_MS) })
  // One turn first: a server span that ended with the error schedules its record with setImmediate.
  const flushed = new Promise<void>((resolve) => setImmediate(resolve)).then(() => handler?.flush())
  void Promise.race([flushed, timeout]).then(() => {
    clearTimeout(timer)
    setImmediate(() => {
      isRethrowing = true
      throw error
    })
  })
}
