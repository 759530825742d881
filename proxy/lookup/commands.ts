/**
 * The commands an operator runs about superusers:
 *   supertrace check-session --cookie '<Cookie header>'   why a request is (not) a superuser's
 *   supertrace grant <id> / revoke <id>                   the Redis set the lookup checks
 * check-session runs the proxy's own pipeline (SuperuserLookup.decide), so what it
 * explains is what the proxy does. Exit codes: 0 yes, 1 no, 2 a configuration error.
 */
import { ConfigError } from '../../core/errors.ts'
import { Logger } from '../../core/log.ts'
import { DEFAULT_SUPERUSERS_KEY } from '../../core/protocol.ts'
import { connectOnDemand, connectRedis, describeTarget } from '../../core/redis.ts'
import { loadLookupToolConfig, type LookupToolConfig } from '../config.ts'
import { mask } from './cookie.ts'
import { SuperuserLookup } from './lookup.ts'
import type { LookupPlan } from './presets.ts'

type Write = (text: string) => void

export const CHECK_SESSION_USAGE = `Usage: supertrace check-session --cookie '<Cookie header>'

Explains, step by step, whether a request with this Cookie header is a superuser's:
the mode, the cookie, its signature, the Redis key, the session found there, the
field, the set checked, and the answer. Secrets are never shown, and cookie values
and session IDs only by their first characters. It reads the proxy's settings
(SUPERTRACE_LOOKUP and the rest; see supertrace proxy --help) from the environment.

Copy the Cookie header from the browser's developer tools (Network, the request, Cookie).
Exit 0: a superuser; 1: not; 2: the settings are wrong.
`

export const GRANT_USAGE = `Usage: supertrace grant <id>
       supertrace revoke <id>

Adds the ID to, or removes it from, the Redis set the lookup checks. Revoking works at once.
  set mode (SUPERTRACE_LOOKUP=set, the default): a session ID (the session cookie's
    value), in SUPERTRACE_SUPERUSERS_KEY (default ${DEFAULT_SUPERUSERS_KEY}).
  a mode that looks the session's field up in SUPERTRACE_SUPERUSER_IDS_KEY (django by
    default; express-session or session-field with it set): a user ID, the field's value.
`

export async function checkSession (args: readonly string[], out: Write, err: Write): Promise<number> {
  const at = args.indexOf('--cookie')
  const cookieHeader = at === -1 ? undefined : args[at + 1]
  if (cookieHeader === undefined) {
    err(CHECK_SESSION_USAGE)
    return 2
  }
  const config = loadOrExplain('check-session', err)
  if (config === null) return 2
  const logger = new Logger('proxy')
  const redis = connectRedis({ ...config.redis, commandTimeoutMs: config.redisTimeoutMs, purpose: 'check-session', logger, onDemand: true })
  try {
    const lookup = new SuperuserLookup(config.lookup, redis, logger)
    out(`mode     ${config.lookup.mode} (SUPERTRACE_LOOKUP), Redis ${describeTarget(config.redis)}\n`)
    try {
      await connectOnDemand(redis)
      await lookup.prepare()
    } catch (cause) {
      if (cause instanceof ConfigError) {
        err(`supertrace check-session: the settings are wrong:\n${cause.problems.map((p) => `  ${p}`).join('\n')}\n`)
        return 2
      }
      // Redis unreachable: the pipeline below says so in its own words, as the proxy would decide.
    }
    const decision = await lookup.decide(cookieHeader)
    for (const step of decision.steps) out(`${step.name.padEnd(8)} ${step.text}\n`)
    out(decision.isSuperuser
      ? `yes      a superuser: ${decision.reason}. A 500 shows them the debug page.\n`
      : `no       not a superuser: ${decision.reason}. A 500 shows them the app's own page.\n`)
    return decision.isSuperuser ? 0 : 1
  } finally {
    redis.disconnect()
  }
}

export async function grantOrRevoke (command: 'grant' | 'revoke', args: readonly string[], out: Write, err: Write): Promise<number> {
  const id = args[0]
  if (id === undefined || id === '' || args.length > 1) {
    err(GRANT_USAGE)
    return 2
  }
  const config = loadOrExplain(command, err)
  if (config === null) return 2
  const target = grantTarget(config.lookup)
  if (target === null) {
    err(`supertrace ${command}: SUPERTRACE_LOOKUP=${config.lookup.mode} decides by ${config.lookup.mode === 'lua' ? 'your script' : 'comparing the session\'s field to SUPERTRACE_SUPERUSER_VALUE'}, with no set for ${command} to change. To keep superusers in a set, set SUPERTRACE_SUPERUSER_IDS_KEY (the field then holds a user ID), or use SUPERTRACE_LOOKUP=set; see README.md, "Tell the proxy who the superusers are".\n`)
    return 2
  }
  const redis = connectRedis({ ...config.redis, commandTimeoutMs: config.redisTimeoutMs, purpose: command, logger: new Logger('proxy'), onDemand: true })
  try {
    await connectOnDemand(redis)
    const changed = command === 'grant' ? await redis.sadd(target.setKey, id) : await redis.srem(target.setKey, id)
    const what = command === 'grant' ? (changed === 1 ? 'is now' : 'already was') : (changed === 1 ? 'is no longer' : 'was not')
    // A session ID logs its holder in, so only its first characters are shown; a user ID is no secret.
    out(target.kind === 'session'
      ? `session ${mask(id)} ${what} a superuser's (${target.setKey})\n`
      : `user ${JSON.stringify(id)} ${what} a superuser (${target.setKey}, checked against ${target.field})\n`)
    return 0
  } catch (cause) {
    err(`supertrace ${command}: Redis at ${describeTarget(config.redis)} did not answer: ${(cause as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
}

/** The set grant and revoke change: set mode's session IDs, or the user IDs a session's field is looked up in; null when the lookup has none. */
function grantTarget (plan: LookupPlan): { kind: 'session', setKey: string } | { kind: 'user', setKey: string, field: string } | null {
  if (plan.mode === 'set') return { kind: 'session', setKey: plan.superusersKey }
  if (plan.mode === 'lua' || plan.verdict.kind !== 'member') return null
  return { kind: 'user', setKey: plan.verdict.setKey, field: plan.field?.path ?? 'the session\'s value' }
}

function loadOrExplain (command: string, err: Write): LookupToolConfig | null {
  try {
    return loadLookupToolConfig()
  } catch (cause) {
    if (!(cause instanceof ConfigError)) throw cause
    err(`supertrace ${command}: the settings are wrong:\n${cause.problems.map((p) => `  ${p}`).join('\n')}\n`)
    return null
  }
}
