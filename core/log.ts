/**
 * One JSON line per event on stderr, for log shippers (and `jq` at a terminal):
 *   {"time":"2026-11-25T12:00:00.000Z","level":"error","component":"proxy","msg":"the superuser lookup failed, so not a superuser",
 *    "code":"ST_REDIS","request_id":"4bf9…","error":{"name":"RedisError","message":"Redis could not answer","cause":{…}}}
 * Errors are logged once, where they are handled, with the request ID when there is one.
 *
 * Never a secret: every message and error text goes through the Redactor's shape rules
 * (bearer and basic credentials, JWTs, URL passwords, `token=…`-style pairs, card
 * numbers), a net under the call sites, which already leave cookie values out.
 *
 * The level is one per process (SUPERTRACE_LOG_LEVEL, applied by each side's entry
 * point); a disabled level costs one comparison. Every warning and error with a code is
 * also published on the `supertrace:log` diagnostics channel, whatever the level, for
 * the proxy's metrics; publishing costs nothing while nobody subscribes.
 */
import { channel } from 'node:diagnostics_channel'
import { SupertraceError, type ErrorCode } from './errors.ts'
import { Redactor } from './redact.ts'
import { SettingProblem, type Setting } from './settings.ts'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
type EventLevel = Exclude<LogLevel, 'silent'>

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export const logLevelSetting = {
  env: 'SUPERTRACE_LOG_LEVEL',
  description: 'The least severe log events written to stderr, one JSON line each: debug, info, warn, error, or silent for none.',
  default: 'info',
  example: 'warn',
  parse: (raw: string): LogLevel => {
    const level = raw.trim().toLowerCase()
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new SettingProblem(`be one of ${LOG_LEVELS.join(', ')}`)
    return level as LogLevel
  },
} satisfies Setting<LogLevel>

let threshold = RANK.info

/** Sets this process's level; each entry point calls it once its settings are read. */
export function setLogLevel (level: LogLevel): void {
  // A config object built by hand, without the setting, keeps the default rather than silencing every line.
  threshold = RANK[level] ?? RANK.info
}

/**
 * For a server that must outlive whatever reads its log (the proxy): once stderr fails (a closed pipe,
 * EPIPE), nothing more is written. Without a listener each failed write is an uncaught exception, which
 * is logged, which fails again: a loop that starves the process, signals included.
 */
export function outliveTheLogReader (): void {
  process.stderr.on('error', () => { threshold = RANK.silent })
}

/** What `supertrace:log` subscribers get: a coded warning or error, never its text. */
export interface LogEvent {
  readonly component: Component
  readonly level: EventLevel
  readonly code: ErrorCode
}

export const logEvents = channel('supertrace:log')

type Component = 'proxy' | 'instrumentation' | 'ingest'

/** The shape rules only: names (SUPERTRACE_REDACT) belong to records, not to supertrace's own messages. */
const redactor = new Redactor()

export class Logger {
  readonly #component: Component

  constructor (component: Component) {
    this.#component = component
  }

  debug (message: string, requestId?: string): void {
    if (RANK.debug >= threshold) this.#write('debug', message, undefined, requestId, undefined)
  }

  info (message: string, requestId?: string): void {
    if (RANK.info >= threshold) this.#write('info', message, undefined, requestId, undefined)
  }

  /** `code`: the ST_* code of the problem, when the warning is about one (Redis unreachable: ST_REDIS). */
  warn (message: string, requestId?: string, code?: ErrorCode): void {
    if (code !== undefined) this.#publish('warn', code)
    if (RANK.warn >= threshold) this.#write('warn', message, code, requestId, undefined)
  }

  /** Logs `context` as the message, and `err` (its code, name, message and causes) as the details. */
  error (context: string, err: unknown, requestId?: string): void {
    const code = err instanceof SupertraceError ? err.code : undefined
    if (code !== undefined) this.#publish('error', code)
    if (RANK.error >= threshold) this.#write('error', context, code, requestId, err)
  }

  #publish (level: EventLevel, code: ErrorCode): void {
    if (logEvents.hasSubscribers) logEvents.publish({ component: this.#component, level, code } satisfies LogEvent)
  }

  #write (level: EventLevel, message: string, code: string | undefined, requestId: string | undefined, err: unknown): void {
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, component: this.#component, msg: redactor.text(message) }
    if (code !== undefined) line.code = code
    if (requestId !== undefined) line.request_id = requestId
    if (err !== undefined) line.error = details(err, 0)
    process.stderr.write(JSON.stringify(line) + '\n')
  }
}

/** Causes are followed this deep (a cycle or a long chain stops here). */
const MAX_CAUSES = 3

interface ErrorDetails {
  readonly name: string
  readonly message: string
  /** A Node system error's code (ECONNREFUSED), or ours (ST_REDIS). */
  readonly code?: string
  /** Only for an error that is not one of ours: a bug, whose stack is the useful part. */
  readonly stack?: string
  readonly cause?: ErrorDetails
}

function details (err: unknown, depth: number): ErrorDetails {
  if (!(err instanceof Error)) return { name: typeof err, message: redactor.text(String(err)) }
  const code = (err as { code?: unknown }).code
  const cause = err.cause
  return {
    name: err.name,
    message: redactor.text(err.message),
    // The top-level code is the line's own `code`; a cause's (ECONNREFUSED) is kept here.
    ...(typeof code === 'string' && depth > 0 ? { code } : {}),
    ...(depth > 0 || err instanceof SupertraceError || err.stack === undefined ? {} : { stack: redactor.text(err.stack) }),
    ...(cause !== undefined && depth < MAX_CAUSES ? { cause: details(cause, depth + 1) } : {}),
  }
}

/**
 * For problems that come in bursts (a refused connection, a failed accept): `write` runs at
 * most once a second, told how many were not logged since its last line (`more`: '' or
 * " (and N more since the last line)"), so a burst is one line a second, not thousands.
 */
export function atMostOnceASecond (write: (more: string) => void): () => void {
  let lastAt = 0
  let skipped = 0
  return () => {
    const now = Date.now()
    if (now - lastAt < 1000) {
      skipped++
      return
    }
    const more = skipped === 0 ? '' : ` (and ${skipped} more since the last line)`
    lastAt = now
    skipped = 0
    write(more)
  }
}
