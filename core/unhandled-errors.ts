/**
 * What becomes of an error that no code of the proxy handled.
 *
 * Node's default (print it, exit 1) would end every request in flight for an error
 * that usually concerns one connection: an 'error' event nobody listened to on a
 * socket a client reset, a write after a response ended, an undici request error.
 * Such an error leaves nothing shared in doubt, so it is logged (ST_UNHANDLED, with
 * its stack: it is still a bug to fix) and the proxy goes on serving.
 *
 * Any other error may have left shared state half-changed, where Node's advice
 * holds: do not resume. The proxy then stops as on SIGTERM (requests in flight get
 * the grace period) and exits 70, for its supervisor to start a fresh one.
 */
import { UnhandledError } from './errors.ts'
import type { Logger } from './log.ts'

/** Exit code after an unexpected error: EX_SOFTWARE. */
export const EXIT_SOFTWARE = 70

/**
 * Error codes that belong to one connection or one request: Node's socket and stream
 * codes, and undici's request errors (UND_ERR_SOCKET, UND_ERR_ABORTED, its timeouts…).
 */
const CONNECTION_CODES = new Set([
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH',
  'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_ALREADY_FINISHED',
  'ERR_HTTP_HEADERS_SENT', 'ERR_HTTP_REQUEST_TIMEOUT', 'ERR_HTTP_SOCKET_ASSIGNED',
])

export function concernsOneConnection (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('UND_ERR_'))
}

/** Installs the process-level handlers; `stop` begins a graceful stop with the given exit code. */
export function handleUnhandledErrors (logger: Logger, stop: (exitCode: number) => void): void {
  const onError = (err: unknown, origin: string): void => {
    const isContained = concernsOneConnection(err)
    const what = isContained ? 'it concerns one connection, so the proxy goes on serving' : 'the proxy stops gracefully and exits 70 for its supervisor to restart it'
    // The stack on the one line, since one event is one line.
    const stack = err instanceof Error ? (err.stack ?? err.message).split('\n').map((line) => line.trim()).join(' ') : String(err)
    logger.error(`an error nobody handled reached the process (${origin}); ${what}`, new UnhandledError(stack))
    if (!isContained) stop(EXIT_SOFTWARE)
  }
  process.on('uncaughtException', (err: Error) => onError(err, 'an uncaught exception'))
  process.on('unhandledRejection', (reason: unknown) => onError(reason, 'an unhandled rejection'))
}
