/**
 * The superuser lookup: one pipeline, cookie → verify → key → read → decode →
 * field → decide, run for a 500 that the proxy would replace and for
 * `supertrace check-session` alike, so what an admin is told is what the proxy does.
 *
 * It fails closed: any doubt (no cookie, a bad signature, no session, an
 * unreadable value, a wrong type, a Redis error or timeout) is "no". It keeps no
 * cache, so a session that is gone stops counting at once. Redis only ever gets
 * single-key reads (GET, SISMEMBER, EVALSHA) with the cookie's data as an
 * argument; every command is bounded by SUPERTRACE_REDIS_TIMEOUT_MS, and in the
 * proxy goes through the circuit breaker (superuser/redis-breaker.ts).
 */
import { createHash } from 'node:crypto'
import { ReplyError } from 'ioredis'
import { ConfigError, RedisBreakerOpenError, RedisError, SessionError, SupertraceError } from '../../core/errors.ts'
import type { Logger } from '../../core/log.ts'
import { DEFAULT_SUPERUSERS_KEY } from '../../core/protocol.ts'
import { REDIS_START_WAIT_MS, whenReady, type RedisClient } from '../../core/redis.ts'
import { LIMITS } from '../limits.ts'
import type { RedisBreaker } from '../superuser/redis-breaker.ts'
import { findCookie, hasCookie, mask } from './cookie.ts'
import { verifyExpressSession } from './express-signature.ts'
import { decodePickle, isDict, PickleRefusal } from './pickle.ts'
import type { Decoding, LookupPlan, Verdict } from './presets.ts'

export type StepName = 'cookie' | 'verify' | 'key' | 'read' | 'decode' | 'field' | 'decide'

export interface Step {
  readonly name: StepName
  /** What the step found, for a person: secrets never, cookie values and session IDs masked. */
  readonly text: string
}

/**
 * How a lookup ended. The visitor's own doing is normal traffic, logged at debug or info
 * level: no session (no cookie, an emptied one, or a session logged out or expired) and a
 * cookie refused before Redis (repeated, too long, malformed, unsigned, forged). A fault of
 * the set-up is an error: a session value that cannot be read (the settings do not match
 * the app's store), a Redis failure; with the breaker open Redis is not asked (logged once).
 */
export const LOOKUP_OUTCOMES = ['superuser', 'not_superuser', 'no_session', 'bad_cookie', 'bad_session', 'redis_failed', 'breaker_open'] as const
export type LookupOutcome = (typeof LOOKUP_OUTCOMES)[number]

export interface Decision {
  readonly outcome: LookupOutcome
  readonly isSuperuser: boolean
  readonly steps: readonly Step[]
  /** Why, in one sentence. */
  readonly reason: string
  /** Set for a fault (bad_session, redis_failed, breaker_open): what to log. */
  readonly problem: SupertraceError | null
}

/** Where a proxy's lookups report their outcome and duration (ProxyMetrics); `check-session` has none. */
export interface LookupMetrics {
  observeLookup (outcome: LookupOutcome, seconds: number): void
}

/** express-session keeps sessions in the app's memory unless it is given a store: nothing outside the app can read them. */
const MEMORY_STORE_HINT = '. If the app passes no `store` to session(), its sessions live in express-session\'s MemoryStore, inside the app, where the proxy cannot read them: give it a Redis store, `store: new RedisStore({ client })` (connect-redis)'


export class SuperuserLookup {
  readonly plan: LookupPlan
  readonly #redis: RedisClient
  readonly #logger: Logger
  /** The proxy's breaker; null for the one-off tools (check-session). */
  readonly #breaker: RedisBreaker | null
  readonly #metrics: LookupMetrics | null
  /** lua mode: the script's SHA1, under which EVALSHA runs it. */
  readonly #scriptSha: string | null

  constructor (plan: LookupPlan, redis: RedisClient, logger: Logger, breaker: RedisBreaker | null = null, metrics: LookupMetrics | null = null) {
    this.plan = plan
    this.#redis = redis
    this.#logger = logger
    this.#breaker = breaker
    this.#metrics = metrics
    this.#scriptSha = plan.mode === 'lua' ? createHash('sha1').update(plan.script.source).digest('hex') : null
  }

  /** Whether a 500 to this request is worth holding: its Cookie header has the session cookie. Cheap, synchronous. */
  hasSessionCookie (cookieHeader: string | undefined): boolean {
    return hasCookie(cookieHeader, this.plan.cookieName)
  }

  /** Resolves true only for a clear yes; never rejects. A failure is logged once, with the request ID and never the cookie. */
  async isSuperuser (cookieHeader: string | undefined, requestId: string): Promise<boolean> {
    const started = performance.now()
    let decision: Decision
    try {
      decision = await this.#run(cookieHeader, null)
    } catch (cause) {
      decision = redisFailed(cause, [])
    }
    const ms = performance.now() - started
    this.#metrics?.observeLookup(decision.outcome, ms / 1000)
    this.#logger.debug(`superuser lookup: ${decision.isSuperuser ? 'a superuser' : 'not a superuser'} (${decision.outcome}), in ${ms.toFixed(1)} ms`, requestId)
    // A visitor's odd cookie is worth a line at the default level: a wrong SUPERTRACE_SESSION_SECRET makes every cookie look forged.
    if (decision.outcome === 'bad_cookie') this.#logger.info(`the session cookie was refused, so not a superuser: ${decision.reason}`, requestId)
    // The open breaker said so once when it opened; a line per request would only flood the log.
    else if (decision.problem !== null && decision.outcome !== 'breaker_open') this.#logger.error('the superuser lookup failed, so not a superuser', decision.problem, requestId)
    return decision.isSuperuser
  }

  /**
   * lua mode: loads the script at start-up, so that the first 500 costs one round trip
   * and a script that does not compile stops the proxy (a ConfigError). If Redis is not
   * reachable yet, start-up goes on: the script is loaded whenever a connection becomes
   * ready (Redis forgets scripts when it restarts), and a refusal then is logged.
   */
  async prepare (): Promise<void> {
    if (this.plan.mode !== 'lua') return
    const isReady = await whenReady(this.#redis, REDIS_START_WAIT_MS)
    this.#redis.on('ready', this.#loadWhenReady)
    if (!isReady) {
      this.#logger.warn('Redis is not reachable yet: the lookup script (SUPERTRACE_LOOKUP_SCRIPT) is loaded when it is, and superusers get the original 500 until then')
      return
    }
    try {
      await this.#loadScript(null)
    } catch (err) {
      if (err instanceof ConfigError) throw err
      this.#logger.warn(`the lookup script could not be loaded yet (${(err as Error).message}); it is loaded when Redis is ready again`)
    }
  }

  /** Not through the breaker: a connection that just became ready is Redis answering. */
  readonly #loadWhenReady = (): void => {
    this.#loadScript(null).catch((err: unknown) => {
      this.#logger.error('the lookup script could not be loaded, so lookups fail closed', err)
    })
  }

  /** The whole pipeline, each step recorded. */
  async decide (cookieHeader: string | undefined): Promise<Decision> {
    const steps: Step[] = []
    try {
      return await this.#run(cookieHeader, steps)
    } catch (cause) {
      return redisFailed(cause, steps)
    }
  }

  /**
   * `steps` is null when nobody will read them (a 500's lookup): every `steps?.push(…)`
   * then skips building its text, since an optional call does not evaluate its arguments.
   */
  async #run (cookieHeader: string | undefined, steps: Step[] | null): Promise<Decision> {
    const plan = this.plan

    // cookie
    const cookie = findCookie(cookieHeader, plan.cookieName)
    switch (cookie.kind) {
      case 'absent': return answer('no_session', steps, `the request has no cookie named ${plan.cookieName} (SUPERTRACE_SESSION_COOKIE)`)
      case 'empty': return answer('no_session', steps, `the ${plan.cookieName} cookie is empty`)
      case 'repeated': return answer('bad_cookie', steps, `the request has two cookies named ${plan.cookieName}: which one the app reads cannot be known, so neither counts`)
      case 'too-long': return answer('bad_cookie', steps, `the ${plan.cookieName} cookie is ${cookie.length} characters long, too long to be a session ID; Redis was not asked`)
      case 'found': steps?.push({ name: 'cookie', text: `${plan.cookieName} = ${mask(cookie.value)}` })
    }

    if (plan.mode === 'set') {
      this.#breaker?.admit()
      const isMember = await this.#watch(this.#redis.sismember(plan.superusersKey, cookie.value)) === 1
      steps?.push({ name: 'decide', text: `SISMEMBER ${plan.superusersKey} <the cookie's value>: ${isMember ? 'a member' : 'not a member'}` })
      return isMember ? answer('superuser', steps, `the session ID is in the set ${plan.superusersKey}`) : answer('not_superuser', steps, `the session ID is not in the set ${plan.superusersKey} (SUPERTRACE_SUPERUSERS_KEY); add it with: supertrace grant <session id>`)
    }
    if (plan.mode === 'lua') {
      const reply = await this.#runScript(cookie.value)
      const text = describeValue(reply)
      steps?.push({ name: 'decide', text: `EVALSHA ${this.#scriptSha ?? ''} 0 <the session ID> (${plan.script.origin}) answered ${text}` })
      return reply === 1 ? answer('superuser', steps, 'the lookup script answered 1') : answer('not_superuser', steps, `the lookup script answered ${text}, not 1`)
    }

    // verify
    let sessionId = cookie.value
    if (plan.secrets !== null) {
      const check = verifyExpressSession(cookie.value, plan.secrets)
      switch (check.kind) {
        case 'not-url-encoded': steps?.push({ name: 'verify', text: 'the cookie is not URL-encoded text' }); return answer('bad_cookie', steps, 'the session cookie is malformed: not URL-encoded text')
        case 'unsigned': steps?.push({ name: 'verify', text: 'the cookie is not signed (it does not start with s:)' }); return answer('bad_cookie', steps, 'the session cookie is not signed')
        case 'forged': steps?.push({ name: 'verify', text: `the signature matches none of the ${plan.secrets.length} secret(s) of SUPERTRACE_SESSION_SECRET` }); return answer('bad_cookie', steps, 'the session cookie\'s signature is not valid: forged, or signed with a secret SUPERTRACE_SESSION_SECRET does not list')
        case 'valid':
          sessionId = check.sessionId
          steps?.push({ name: 'verify', text: `signature valid with secret ${check.secretIndex + 1} of ${plan.secrets.length} (SUPERTRACE_SESSION_SECRET); session ID ${mask(sessionId)}` })
      }
    }

    // key, read
    steps?.push({ name: 'key', text: `${plan.key.describe(mask(sessionId))} (SUPERTRACE_SESSION_KEY ${plan.key.template})` })
    this.#breaker?.admit()
    const raw = await this.#watch(this.#redis.getBuffer(plan.key.keyFor(sessionId)))
    if (raw === null) {
      steps?.push({ name: 'read', text: 'no such key' })
      return answer('no_session', steps, `no session is stored under that key: logged out, expired, or SUPERTRACE_SESSION_KEY does not match the app's store${plan.mode === 'express-session' ? MEMORY_STORE_HINT : ''}`)
    }
    steps?.push({ name: 'read', text: `found, ${raw.length} bytes` })

    // decode
    const decoded = decode(raw, plan.decoding)
    if (!decoded.ok) {
      steps?.push({ name: 'decode', text: decoded.why })
      return answer('bad_session', steps, `the session's value could not be read: ${decoded.why}`, `the session's value could not be read: ${decoded.why}`)
    }
    steps?.push({ name: 'decode', text: `${plan.decoding === 'pickle' ? 'pickle' : 'JSON'}: ${kindOf(decoded.value)}` })

    // field
    let value = decoded.value
    if (plan.field !== null) {
      const field = plan.field.valueIn(decoded.value)
      if (!field.found) {
        steps?.push({ name: 'field', text: `${plan.field.path} is not in the session${field.resolved === '' ? '' : ` (${field.resolved} is)`}` })
        return answer('not_superuser', steps, `the session has no ${plan.field.path} (SUPERTRACE_SUPERUSER_FIELD): not logged in, or not a superuser`)
      }
      value = field.value
      steps?.push({ name: 'field', text: `${plan.field.path} = ${describeValue(value)}` })
    }

    // decide
    return this.#decideValue(value, plan.verdict, steps)
  }

  async #decideValue (value: unknown, verdict: Verdict, steps: Step[] | null): Promise<Decision> {
    if (verdict.kind === 'equals') {
      const isEqual = value === verdict.value
      steps?.push({ name: 'decide', text: `${describeValue(value)} ${isEqual ? '===' : '!=='} ${JSON.stringify(verdict.value)} (SUPERTRACE_SUPERUSER_VALUE)` })
      return isEqual ? answer('superuser', steps, `the field equals ${JSON.stringify(verdict.value)}`) : answer('not_superuser', steps, `the field is not ${JSON.stringify(verdict.value)}`)
    }
    const member = typeof value === 'string' ? value : Number.isSafeInteger(value) ? String(value) : null
    if (member === null) {
      steps?.push({ name: 'decide', text: `${describeValue(value)} is not a string or an integer, so it is not looked up in ${verdict.setKey}` })
      return answer('bad_session', steps, 'the field is not a user ID (a string or an integer)', 'the session\'s superuser field is not a string or an integer')
    }
    this.#breaker?.admit()
    const isMember = await this.#watch(this.#redis.sismember(verdict.setKey, member)) === 1
    steps?.push({ name: 'decide', text: `SISMEMBER ${verdict.setKey} ${JSON.stringify(member)}: ${isMember ? 'a member' : 'not a member'} (SUPERTRACE_SUPERUSER_IDS_KEY)` })
    return isMember ? answer('superuser', steps, `${JSON.stringify(member)} is in the set ${verdict.setKey}`) : answer('not_superuser', steps, `${JSON.stringify(member)} is not in the set ${verdict.setKey}; add it with: supertrace grant ${JSON.stringify(member)}`)
  }

  async #runScript (sessionId: string): Promise<unknown> {
    const sha = this.#scriptSha ?? ''
    try {
      this.#breaker?.admit()
      return await this.#watch(this.#redis.evalsha(sha, 0, sessionId))
    } catch (err) {
      // Redis forgets scripts when it restarts or on SCRIPT FLUSH: its NOSCRIPT reply says so, and the script is loaded again once.
      if (!(err instanceof ReplyError) || !(err as Error).message.startsWith('NOSCRIPT')) throw err
      await this.#loadScript(this.#breaker)
      this.#breaker?.admit()
      return await this.#watch(this.#redis.evalsha(sha, 0, sessionId))
    }
  }

  /** SCRIPT LOAD, through `breaker` if given; a script Redis refuses to compile is a ConfigError, whenever Redis says so. */
  async #loadScript (breaker: RedisBreaker | null): Promise<void> {
    if (this.plan.mode !== 'lua') return
    try {
      breaker?.admit()
      const reply = this.#redis.script('LOAD', this.plan.script.source)
      await (breaker === null ? reply : breaker.watch(reply))
    } catch (err) {
      if (!(err instanceof ReplyError)) throw err
      const origin = this.plan.script.origin === 'SUPERTRACE_LOOKUP_SCRIPT' ? '' : ` (${this.plan.script.origin})`
      throw new ConfigError([`SUPERTRACE_LOOKUP_SCRIPT${origin} was refused by Redis: ${(err as Error).message}; for example SUPERTRACE_LOOKUP_SCRIPT='return redis.call("SISMEMBER", "${DEFAULT_SUPERUSERS_KEY}", ARGV[1])'`])
    }
  }

  /** A command's reply, through the breaker when there is one. */
  #watch<T> (reply: Promise<T>): Promise<T> {
    return this.#breaker === null ? reply : this.#breaker.watch(reply)
  }
}

/** `problem`: only for a bad_session, the fault to log. */
function answer (outcome: LookupOutcome, steps: Step[] | null, reason: string, problem: string | null = null): Decision {
  return { outcome, isSuperuser: outcome === 'superuser', steps: steps ?? NO_STEPS, reason, problem: problem === null ? null : new SessionError(problem) }
}

function redisFailed (cause: unknown, steps: Step[]): Decision {
  // Our own errors (a script Redis refused, the open breaker) say what happened; anything else is Redis failing.
  const problem = cause instanceof SupertraceError ? cause : new RedisError('Redis could not answer', { cause })
  const outcome = cause instanceof RedisBreakerOpenError ? 'breaker_open' : 'redis_failed'
  return { outcome, isSuperuser: false, steps, reason: `Redis failed: ${cause instanceof Error ? cause.message : String(cause)}`, problem }
}

const NO_STEPS: readonly Step[] = []

type Decoded = { readonly ok: true, readonly value: unknown } | { readonly ok: false, readonly why: string }

function decode (raw: Buffer, decoding: Decoding): Decoded {
  if (raw.length > LIMITS.sessionBytes) return { ok: false, why: `it is over ${LIMITS.sessionBytes} bytes` }
  if (decoding === 'pickle') {
    try {
      const value = decodePickle(raw)
      return isDict(value) ? { ok: true, value } : { ok: false, why: 'the pickle holds no dict' }
    } catch (err) {
      if (err instanceof PickleRefusal) return { ok: false, why: `refused pickle: ${err.message}` }
      throw err
    }
  }
  const text = raw.toString('utf8')
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return decoding === 'json-or-string' ? { ok: true, value: text } : { ok: false, why: 'it is not JSON' }
  }
}

function kindOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `a list of ${value.length}`
  if (typeof value === 'object') return `an object with ${Object.keys(value).length} field(s)`
  return `a ${typeof value}`
}

/** A value from a session, shown briefly; cycles (possible in a pickle) and odd types do not throw. */
function describeValue (value: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    text = undefined
  }
  text ??= typeof value === 'object' && value !== null ? '(a nested value)' : String(value)
  return text.length > 120 ? `${text.slice(0, 120)}…` : text
}
