/**
 * The superuser lookup's settings. Each is parsed on its own here; which of
 * them a mode needs, and the defaults a mode gives them, are in presets.ts.
 * `null` means "not set": the mode's default applies.
 */
import { readFileSync } from 'node:fs'
import { DEFAULT_SUPERUSER_IDS_KEY, DEFAULT_SUPERUSERS_KEY } from '../../core/protocol.ts'
import { redisKey, SettingProblem, token, type Setting, type SettingsTable } from '../../core/settings.ts'
import { fieldPath, type FieldPath } from './field-path.ts'
import { keyTemplate, type KeyTemplate } from './key-template.ts'

export const LOOKUP_MODES = ['set', 'express-session', 'django', 'session-field', 'lua'] as const
export type LookupMode = (typeof LOOKUP_MODES)[number]

/** What SUPERTRACE_SUPERUSER_VALUE may be: the field is compared to it with `===`. */
export type JsonPrimitive = string | number | boolean | null

export interface LuaScript {
  readonly source: string
  /** `SUPERTRACE_LOOKUP_SCRIPT` itself, or the file it named. */
  readonly origin: string
}

function optional<T> (setting: Omit<Setting<T | null>, 'default'>): Setting<T | null> {
  return { ...setting, default: null }
}

export const lookupSettings = {
  lookupMode: {
    env: 'SUPERTRACE_LOOKUP',
    description: 'How a session is found to be a superuser\'s: set, express-session, django, session-field or lua.',
    default: 'set',
    example: 'express-session',
    parse: (raw: string): LookupMode => {
      const mode = LOOKUP_MODES.find((m) => m === raw)
      if (mode === undefined) throw new SettingProblem(`be one of ${LOOKUP_MODES.join(', ')}`)
      return mode
    },
  } satisfies Setting<LookupMode>,
  sessionCookie: optional({
    env: 'SUPERTRACE_SESSION_COOKIE',
    description: 'The name of the app\'s session cookie.',
    defaultText: 'sessionid; connect.sid in express-session mode',
    example: 'sessionid',
    parse: token,
  }),
  sessionSecret: optional({
    env: 'SUPERTRACE_SESSION_SECRET',
    description: 'express-session mode: the app\'s session secret, or a JSON array of them (rotation: any one verifies).',
    defaultText: 'none; required in express-session mode',
    example: '\'["new secret","old secret"]\'',
    isSecret: true,
    parse: secrets,
  }),
  sessionKey: optional({
    env: 'SUPERTRACE_SESSION_KEY',
    description: 'The Redis key of a session, with {id} where the session ID goes.',
    defaultText: 'sess:{id} (express-session); :1:django.contrib.sessions.cache{id} (django); none (required) in session-field mode',
    example: 'sess:{id}',
    parse: keyTemplate,
  }) satisfies Setting<KeyTemplate | null>,
  superuserField: optional({
    env: 'SUPERTRACE_SUPERUSER_FIELD',
    description: 'A dotted path into the decoded session, e.g. user.isAdmin or passport.user.',
    defaultText: '_auth_user_id (django); none (required) in express-session mode; the whole value in session-field mode',
    example: 'user.isAdmin',
    parse: fieldPath,
  }) satisfies Setting<FieldPath | null>,
  superuserValue: optional({
    env: 'SUPERTRACE_SUPERUSER_VALUE',
    description: 'The field is compared to this JSON value (a string, number, true, false or null).',
    defaultText: 'true',
    example: 'true',
    parse: jsonPrimitive,
  }) satisfies Setting<JsonPrimitive | null>,
  superuserIdsKey: optional({
    env: 'SUPERTRACE_SUPERUSER_IDS_KEY',
    description: 'When set, the field\'s value must instead be a member of this Redis set (SADD <key> <user id>).',
    defaultText: `${DEFAULT_SUPERUSER_IDS_KEY} in django mode`,
    example: DEFAULT_SUPERUSER_IDS_KEY,
    parse: redisKey,
  }),
  superusersKey: optional({
    env: 'SUPERTRACE_SUPERUSERS_KEY',
    description: 'set mode: the Redis set of superuser session IDs (SADD <key> <session id>).',
    defaultText: DEFAULT_SUPERUSERS_KEY,
    example: DEFAULT_SUPERUSERS_KEY,
    parse: redisKey,
  }),
  lookupScript: optional({
    env: 'SUPERTRACE_LOOKUP_SCRIPT',
    description: 'lua mode: a Lua script given the session ID as ARGV[1], answering 1 for a superuser; or @path/to/file.lua.',
    defaultText: 'none; required in lua mode',
    example: '@/etc/supertrace/is-superuser.lua',
    parse: luaScript,
  }) satisfies Setting<LuaScript | null>,
} satisfies SettingsTable

/** One secret, or a JSON array of them: express-session's `secret` option takes either. */
function secrets (raw: string): readonly string[] {
  if (!raw.trimStart().startsWith('[')) return [raw]
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new SettingProblem('be a secret, or a JSON array of secrets')
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((s) => typeof s === 'string' && s !== '')) throw new SettingProblem('be a secret, or a JSON array of non-empty strings')
  return parsed as string[]
}

function jsonPrimitive (raw: string): JsonPrimitive {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new SettingProblem('be a JSON value: true, a number, or a string in double quotes such as "admin"')
  }
  if (parsed !== null && !['string', 'number', 'boolean'].includes(typeof parsed)) throw new SettingProblem('be a JSON string, number, true, false or null (not an object or array)')
  return parsed as JsonPrimitive
}

function luaScript (raw: string): LuaScript {
  let source = raw
  let origin = 'SUPERTRACE_LOOKUP_SCRIPT'
  if (raw.startsWith('@')) {
    origin = raw.slice(1)
    try {
      source = readFileSync(origin, 'utf8')
    } catch (err) {
      throw new SettingProblem(`name a readable file after @ (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
    }
  }
  if (source.trim() === '') throw new SettingProblem('be a Lua script that returns 1 for a superuser')
  return { source, origin }
}
