/**
 * The commands an operator runs about superusers:
 *   supertrace check-session --cookie '<Cookie header>'   why a request is (not) a superuser's
 *   supertrace grant <session id> / revoke <session id>   set mode's Redis set
 * check-session runs the proxy's own pipeline (SuperuserLookup.decide), so what it
 * explains is what the proxy does. Exit codes: 0 yes, 1 no, 2 a configuration error.
 */
import { ConfigError } from '../../core/errors.ts'
import { Logger } from '../../core/log.ts'
import { connectOnDemand, connectRedis, describeTarget } from '../../core/redis.ts'
import { loadLookupToolConfig, type LookupToolConfig } from '../config.ts'
import { mask } from './cookie.ts'
import { SuperuserLookup } from './lookup.ts'

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

export const GRANT_USAGE = `Usage: supertrace grant <session id>
       supertrace revoke <session id>

set mode (SUPERTRACE_LOOKUP=set, the default): adds the session ID to, or removes
it from, the Redis set SUPERTRACE_SUPERUSERS_KEY (default supertrace:superusers).
The session ID is the value of the session cookie. Revoking works at once.
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
  const sessionId = args[0]
  if (sessionId === undefined || sessionId === '' || args.length > 1) {
    err(GRANT_USAGE)
    return 2
  }
  const config = loadOrExplain(command, err)
  if (config === null) return 2
  if (config.lookup.mode !== 'set') {
    err(`supertrace ${command}: SUPERTRACE_LOOKUP=${config.lookup.mode}, and ${command} manages set mode's set of session IDs. In ${config.lookup.mode} mode, superusers are decided by the session itself; see README.md, "Tell the proxy who the superusers are".\n`)
    return 2
  }
  const setKey = config.lookup.superusersKey
  const redis = connectRedis({ ...config.redis, commandTimeoutMs: config.redisTimeoutMs, purpose: command, logger: new Logger('proxy'), onDemand: true })
  try {
    await connectOnDemand(redis)
    const changed = command === 'grant' ? await redis.sadd(setKey, sessionId) : await redis.srem(setKey, sessionId)
    const what = command === 'grant' ? (changed === 1 ? 'is now' : 'already was') : (changed === 1 ? 'is no longer' : 'was not')
    out(`session ${mask(sessionId)} ${what} a superuser's (${setKey})\n`)
    return 0
  } catch (cause) {
    err(`supertrace ${command}: Redis at ${describeTarget(config.redis)} did not answer: ${(cause as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
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
