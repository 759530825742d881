/**
 * Settings come from environment variables, each described once in a table that
 * drives parsing, error messages and `--help` alike. Values are parsed once at
 * start-up into a frozen object; nothing reads `process.env` after that.
 */

export interface Setting<T> {
  /** The environment variable, e.g. `SUPERTRACE_PORT`. */
  readonly env: string
  readonly description: string
  /** `undefined` marks a required setting. */
  readonly default: T | undefined
  /** A valid value, shown in errors and in `--help`. */
  readonly example: string
  /** Shown by `--help` instead of the default, when the default depends on other settings. */
  readonly defaultText?: string
  /** A secret's value is never repeated in an error message. */
  readonly isSecret?: boolean
  /** Returns the value, or throws a `SettingProblem` saying what a valid value is. */
  readonly parse: (raw: string) => T
}

/** Thrown by a parser: `must` completes the sentence "<VAR> must …". */
export class SettingProblem extends Error {
  override readonly name = 'SettingProblem'
}

export type SettingsTable = Readonly<Record<string, Setting<unknown>>>
export type SettingsOf<T extends SettingsTable> = { readonly [K in keyof T]: T[K] extends Setting<infer V> ? V : never }

export interface LoadedSettings<T extends SettingsTable> {
  readonly values: SettingsOf<T>
  /** One line per bad variable: what is wrong, and a valid example. */
  readonly problems: readonly string[]
}

/**
 * Reads every setting of `table` from `env`. A bad or missing value is reported
 * in `problems` and replaced by its default, so the caller decides whether to stop
 * (the proxy) or to warn and go on (the instrumentation, which must never stop its app).
 */
export function loadSettings<T extends SettingsTable> (table: T, env: NodeJS.ProcessEnv): LoadedSettings<T> {
  const values: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [key, setting] of Object.entries(table)) {
    const raw = env[setting.env]
    if (raw === undefined || raw === '') {
      if (setting.default === undefined) problems.push(`${setting.env} is required; for example ${setting.env}=${setting.example}`)
      values[key] = setting.default
      continue
    }
    try {
      values[key] = setting.parse(raw)
    } catch (err) {
      const why = err instanceof SettingProblem ? err.message : String(err)
      problems.push(`${setting.env}=${setting.isSecret === true ? '(hidden)' : JSON.stringify(raw)} is not valid: it must ${why}; for example ${setting.env}=${setting.example}`)
      values[key] = setting.default
    }
  }
  return { values: Object.freeze(values) as SettingsOf<T>, problems }
}

/** The settings as `--help` lists them: variable, default, what it does. */
export function describeSettings (table: SettingsTable): string {
  const rows = Object.values(table).map((s) => [s.env, s.defaultText !== undefined ? `default ${s.defaultText}` : s.default === undefined ? `(required, e.g. ${s.example})` : `default ${formatDefault(s.default)}`, s.description] as const)
  const nameWidth = Math.max(...rows.map(([name]) => name.length))
  return rows.map(([name, def, text]) => `  ${name.padEnd(nameWidth)}  ${text}\n  ${' '.repeat(nameWidth)}  ${def}`).join('\n')
}

function formatDefault (value: unknown): string {
  if (value === null) return 'none (off)'
  return typeof value === 'string' || value instanceof URL ? String(value) : JSON.stringify(value)
}

// ---- parsers ---------------------------------------------------------------

export function integer (min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw)
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new SettingProblem(`be a whole number from ${min} to ${max}`)
    }
    return value
  }
}

export function url (protocols: readonly string[]): (raw: string) => URL {
  return (raw) => {
    let parsed: URL
    try {
      parsed = new URL(raw)
    } catch {
      throw new SettingProblem(`be a URL starting with ${protocols.join(' or ')}`)
    }
    if (!protocols.includes(parsed.protocol)) throw new SettingProblem(`be a URL starting with ${protocols.join(' or ')}`)
    return parsed
  }
}

/** An HTTP token (RFC 9110 §5.6.2): what a cookie or header name may be. */
export function token (raw: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(raw)) throw new SettingProblem('be a cookie name (letters, digits and !#$%&\'*+-.^_`|~)')
  return raw
}

export function hostname (raw: string): string {
  if (!/^[\w.:[\]-]+$/.test(raw)) throw new SettingProblem('be a host name or an IP address')
  return raw
}

/** A Redis key or key prefix: printable, no spaces, so that it reads the same in redis-cli. */
export function redisKey (raw: string): string {
  if (!/^[\x21-\x7e]{1,256}$/.test(raw)) throw new SettingProblem('be 1 to 256 printable characters with no spaces')
  return raw
}

/** On or off: `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`. */
export function flag (raw: string): boolean {
  const value = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off'].includes(value)) return false
  throw new SettingProblem('be true or false')
}

/** Comma-separated names (`DATABASE_URL,WEBHOOK`): letters, digits, `_`, `-` and `.`. */
export function nameList (raw: string): readonly string[] {
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '')
  if (!names.every((name) => /^[\w.-]{1,100}$/.test(name))) throw new SettingProblem('be names separated by commas (letters, digits, _, - and .)')
  return Object.freeze(names)
}

/** A version-control revision: printable, no spaces, at most 100 characters. */
export function revision (raw: string): string {
  const value = raw.trim()
  if (!/^[\x21-\x7e]{1,100}$/.test(value)) throw new SettingProblem('be a commit ID (up to 100 printable characters, no spaces)')
  return value
}
