/**
 * One line per event on stderr, shaped for both people and log shippers:
 *   supertrace proxy error ST_REDIS request_id=4bf9… the superuser lookup failed: …
 * Errors are logged once, where they are handled, with the request ID when there is one.
 */
import { SupertraceError } from './errors.ts'

export type LogLevel = 'info' | 'warn' | 'error'

export class Logger {
  readonly #component: string

  constructor (component: 'proxy' | 'instrumentation') {
    this.#component = component
  }

  info (message: string): void {
    this.#write('info', undefined, undefined, message)
  }

  warn (message: string, requestId?: string): void {
    this.#write('warn', undefined, requestId, message)
  }

  /** Logs `err` with its code and its cause's message, which is usually the useful part. */
  error (context: string, err: unknown, requestId?: string): void {
    const code = err instanceof SupertraceError ? err.code : undefined
    this.#write('error', code, requestId, `${context}: ${describe(err)}`)
  }

  #write (level: LogLevel, code: string | undefined, requestId: string | undefined, message: string): void {
    const parts = ['supertrace', this.#component, level]
    if (code !== undefined) parts.push(code)
    if (requestId !== undefined) parts.push(`request_id=${requestId}`)
    parts.push(message)
    process.stderr.write(parts.join(' ') + '\n')
  }
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message
}
