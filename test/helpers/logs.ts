/** supertrace's log lines (core/log.ts: one JSON object a line on stderr), read back from a process's output. */
import assert from 'node:assert/strict'

export interface LoggedError {
  readonly name: string
  readonly message: string
  readonly code?: string
  readonly stack?: string
  readonly cause?: LoggedError
}

export interface LoggedEvent {
  readonly time: string
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly component: 'proxy' | 'instrumentation'
  readonly msg: string
  readonly code?: string
  readonly request_id?: string
  readonly error?: LoggedError
}

/** Every supertrace log line in `output` (other lines, such as an app's own, are skipped). */
export function loggedEvents (output: string): LoggedEvent[] {
  const events: LoggedEvent[] = []
  for (const line of output.split('\n')) {
    if (!line.startsWith('{"time":')) continue
    events.push(JSON.parse(line) as LoggedEvent)
  }
  return events
}

/** The error's message and its causes' messages, joined: what a person reads. */
export function errorText (error: LoggedError | undefined): string {
  const parts: string[] = []
  for (let e = error; e !== undefined; e = e.cause) parts.push(e.message)
  return parts.join(' / ')
}

export interface Expected {
  readonly code?: string
  readonly level?: LoggedEvent['level']
  /** A phrase of the message. */
  readonly msg?: string | RegExp
  /** A phrase of the error's text (its message and its causes'). */
  readonly error?: string | RegExp
  /** `true`: any request ID (32 hex digits); a string: that one. */
  readonly requestId?: true | string
}

function matches (value: string, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? value.includes(expected) : expected.test(value)
}

/**
 * Asserts that `process` logs an event matching every given field, and returns it. It waits for the line
 * (at most 5 s): a response can reach the test before the log line its handling wrote, which comes
 * through another pipe.
 */
export async function assertLogged (process: { readonly output: string }, expected: Expected, why?: string): Promise<LoggedEvent> {
  const deadline = Date.now() + 5_000
  let found = findLogged(process.output, expected)
  while (found === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    found = findLogged(process.output, expected)
  }
  assert.ok(found !== undefined, `${why ?? 'a log event'} matching ${JSON.stringify(expected, (_k, v: unknown) => v instanceof RegExp ? String(v) : v)} in:\n${process.output}`)
  return found
}

function findLogged (output: string, expected: Expected): LoggedEvent | undefined {
  return loggedEvents(output).find((event) =>
    (expected.code === undefined || event.code === expected.code) &&
    (expected.level === undefined || event.level === expected.level) &&
    (expected.msg === undefined || matches(event.msg, expected.msg)) &&
    (expected.error === undefined || matches(errorText(event.error), expected.error)) &&
    (expected.requestId === undefined || (expected.requestId === true ? /^[0-9a-f]{32}$/.test(event.request_id ?? '') : event.request_id === expected.requestId)))
}
