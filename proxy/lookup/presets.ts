/**
 * The modes of SUPERTRACE_LOOKUP are presets of one pipeline,
 *   cookie → verify → key → read → decode → field → decide,
 * each giving defaults to the steps it uses. Here the settings become a plan;
 * a setting the mode does not use, or a missing one it needs, is a problem that
 * stops start-up, so that a half-configured lookup never silently says "no" forever.
 */
import { DEFAULT_SUPERUSER_IDS_KEY, DEFAULT_SUPERUSERS_KEY } from '../../core/protocol.ts'
import type { SettingsOf } from '../../core/settings.ts'
import { FieldPath } from './field-path.ts'
import { KeyTemplate } from './key-template.ts'
import { lookupSettings, type JsonPrimitive, type LookupMode, type LuaScript } from './settings.ts'

/** How the value read from Redis becomes data. */
export type Decoding =
  /** express-session (connect-redis): JSON. */
  | 'json'
  /** session-field: JSON when it parses, otherwise the string itself. */
  | 'json-or-string'
  /** django: a pickled dict, read by the strict decoder. */
  | 'pickle'

/** How the field's value is decided. */
export type Verdict =
  | { readonly kind: 'equals', readonly value: JsonPrimitive }
  | { readonly kind: 'member', readonly setKey: string }

export type LookupPlan =
  | { readonly mode: 'set', readonly cookieName: string, readonly superusersKey: string }
  | { readonly mode: 'lua', readonly cookieName: string, readonly script: LuaScript }
  | {
    readonly mode: 'express-session' | 'django' | 'session-field'
    readonly cookieName: string
    /** express-session: the secrets a signature is checked against; otherwise the cookie is the ID. */
    readonly secrets: readonly string[] | null
    readonly key: KeyTemplate
    readonly decoding: Decoding
    /** null: the decoded value itself is compared. */
    readonly field: FieldPath | null
    readonly verdict: Verdict
  }

export type LookupSettings = SettingsOf<typeof lookupSettings>
type SettingName = Exclude<keyof typeof lookupSettings, 'lookupMode'>

/** Which modes read each setting. */
const USED_BY: Readonly<Record<SettingName, readonly LookupMode[]>> = {
  sessionCookie: ['set', 'express-session', 'django', 'session-field', 'lua'],
  sessionSecret: ['express-session'],
  sessionKey: ['express-session', 'django', 'session-field'],
  superuserField: ['express-session', 'django', 'session-field'],
  superuserValue: ['express-session', 'django', 'session-field'],
  superuserIdsKey: ['express-session', 'django', 'session-field'],
  superusersKey: ['set'],
  lookupScript: ['lua'],
}

const LOOKUP_SETTING_NAMES = Object.keys(USED_BY) as SettingName[]

const REQUIRED: Readonly<Partial<Record<LookupMode, readonly SettingName[]>>> = {
  'express-session': ['sessionSecret', 'superuserField'],
  'session-field': ['sessionKey'],
  lua: ['lookupScript'],
}

export const DJANGO_SESSION_KEY = ':1:django.contrib.sessions.cache{id}'

/**
 * The plan for settings `s` read from `env`. Whether a setting is given is judged
 * from `env`, so that a malformed value (already reported by loadSettings) is not
 * reported again as missing; with a malformed mode nothing more can be said.
 */
export function buildLookupPlan (s: LookupSettings, env: NodeJS.ProcessEnv): { plan: LookupPlan | null, problems: string[] } {
  const mode = s.lookupMode
  const isGiven = (name: SettingName | 'lookupMode'): boolean => (env[lookupSettings[name].env] ?? '') !== ''
  if (isGiven('lookupMode') && env.SUPERTRACE_LOOKUP !== mode) return { plan: null, problems: [] }
  const problems: string[] = []
  for (const name of LOOKUP_SETTING_NAMES) {
    const setting = lookupSettings[name]
    if (isGiven(name) && !USED_BY[name].includes(mode)) {
      problems.push(`${setting.env} is set, but SUPERTRACE_LOOKUP=${mode} does not use it; for example SUPERTRACE_LOOKUP=${USED_BY[name][0]}, or unset ${setting.env}`)
    }
  }
  for (const name of REQUIRED[mode] ?? []) {
    const setting = lookupSettings[name]
    if (!isGiven(name)) problems.push(`${setting.env} is required when SUPERTRACE_LOOKUP=${mode}; for example ${setting.env}=${setting.example}`)
  }
  if (isGiven('superuserValue') && isGiven('superuserIdsKey')) {
    problems.push('SUPERTRACE_SUPERUSER_VALUE and SUPERTRACE_SUPERUSER_IDS_KEY are both set: the field is either compared to a value or looked up in a set; for example unset SUPERTRACE_SUPERUSER_VALUE')
  }
  if (problems.length > 0 || LOOKUP_SETTING_NAMES.some((name) => isGiven(name) && s[name] === null)) return { plan: null, problems }

  const cookieName = s.sessionCookie ?? (mode === 'express-session' ? 'connect.sid' : 'sessionid')
  switch (mode) {
    case 'set':
      return { plan: { mode, cookieName, superusersKey: s.superusersKey ?? DEFAULT_SUPERUSERS_KEY }, problems }
    case 'lua':
      return { plan: { mode, cookieName, script: s.lookupScript as LuaScript }, problems }
    case 'express-session':
    case 'django':
    case 'session-field': {
      const isDjango = mode === 'django'
      const idsKey = s.superuserIdsKey ?? (isDjango && s.superuserValue === null ? DEFAULT_SUPERUSER_IDS_KEY : null)
      return {
        plan: {
          mode,
          cookieName,
          // Never null in express-session mode: with no secret, every cookie counts as forged (fail closed).
          secrets: mode === 'express-session' ? s.sessionSecret ?? [] : null,
          key: s.sessionKey ?? new KeyTemplate(isDjango ? DJANGO_SESSION_KEY : 'sess:{id}'),
          decoding: isDjango ? 'pickle' : mode === 'express-session' ? 'json' : 'json-or-string',
          field: s.superuserField ?? (isDjango ? new FieldPath('_auth_user_id') : null),
          verdict: idsKey !== null ? { kind: 'member', setKey: idsKey } : { kind: 'equals', value: s.superuserValue ?? true },
        },
        problems,
      }
    }
  }
}
