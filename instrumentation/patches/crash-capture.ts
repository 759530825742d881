/**
 * Errors that escape the app during a request: an `uncaughtException` (a throw in a
 * timer or event callback) or an `unhandledRejection` (Express 4's async handlers,
 * which never answer). On Node 26 both are emitted with the failing request's async
 * context still active, so the error is recorded under that request, even when no
 * response is ever sent.
 *
 * The app's crash behaviour is kept:
 *  - nothing here handles `unhandledRejection` (a listener would stop Node from
 *    crashing on it): `process.emit` is observed instead;
 *  - `uncaughtExceptionMonitor` sees the error before Node looks for listeners. Only
 *    if a record is being written and the app has no `uncaughtException` listener
 *    of its own does supertrace add a one-off listener, which lets the record reach
 *    Redis (at most FLUSH_TIMEOUT_MS) and then throws the same error again, so Node
 *    prints it and exits with code 1 as it would have. Otherwise Node (or the app's
 *    own listener) handles the error exactly as before.
 */
import type { RequestSpans } from '../request-spans.ts'
import { captureActiveException } from '../request-spans.ts'

export interface UncaughtErrorHandler {
  /** Writes the request's record now: there may never be a response to trigger it. */
  readonly record: (request: RequestSpans) => void
  /** Whether records are being written (or about to be), which a crash would lose. */
  readonly isWriting: () => boolean
  /** Resolves once the records being written are stored (or have failed). */
  readonly flush: () => Promise<void>
}

/** Sentry waits as long (`shutdownTimeout`): long enough for a local Redis, short for a crashing process. */
const FLUSH_TIMEOUT_MS = 2000

/** What global-patches.ts installs: a listener, and a replacement for `process.emit` made from the original. */
export interface UncaughtErrorHooks {
  /** For `process.on('uncaughtExceptionMonitor', …)`. */
  readonly monitor: (error: Error) => void
  readonly emit: (original: NodeJS.Process['emit']) => NodeJS.Process['emit']
}

export function uncaughtErrorHooks (handler: UncaughtErrorHandler): UncaughtErrorHooks {
  /** Set while the error is thrown again after the flush: it is already recorded. */
  let isRethrowing = false
  /** An unhandled rejection that crashes the process is seen twice: as the rejection, then as the uncaught exception. */
  let lastRecorded: unknown

  const record = (error: unknown): void => {
    if (error === lastRecorded) return
    lastRecorded = error
    try {
      const request = captureActiveException(error)
      if (request !== undefined) handler.record(request)
    } catch {
      // Recording must never add a second failure to the app's own.
    }
  }

  const exitAfterFlush = (error: unknown): void => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, FLUSH_TIMEOUT_MS) })
    void Promise.race([handler.flush(), timeout]).then(() => {
      clearTimeout(timer)
      setImmediate(() => {
        isRethrowing = true
        throw error
      })
    })
  }

  return {
    monitor: (error) => {
      if (isRethrowing) return
      record(error)
      if (handler.isWriting() && process.listenerCount('uncaughtException') === 0) process.once('uncaughtException', exitAfterFlush)
    },
    emit: (original) => function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) {
      if (event === 'unhandledRejection') record(args[0])
      return (original as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args)
    } as NodeJS.Process['emit'],
  }
}
