/**
 * Who is a superuser: the session cookie's value is a member of a Redis set
 * (`SADD supertrace:superusers <session id>`). Asked only on a 500, never on
 * other responses. The cookie's value goes to Redis as a plain argument of
 * SISMEMBER, never as a pattern or a key, and any failure means "no".
 */
import type { Redis } from 'ioredis'
import { RedisError } from '../core/errors.ts'

/** Longer cookie values are no session ID this proxy will look up. */
const MAX_SESSION_ID_LENGTH = 4096

/** The named cookie's value from a Cookie header, or undefined. Only the first cookie of that name counts. */
export function sessionIdFrom (cookieHeader: string | undefined, cookieName: string): string | undefined {
  if (cookieHeader === undefined) return undefined
  const prefix = `${cookieName}=`
  for (const pair of cookieHeader.split(';')) {
    const trimmed = pair.trim()
    if (!trimmed.startsWith(prefix)) continue
    let value = trimmed.slice(prefix.length)
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    return value === '' || value.length > MAX_SESSION_ID_LENGTH ? undefined : value
  }
  return undefined
}

export class SuperuserLookup {
  readonly #redis: Redis
  readonly #setKey: string

  constructor (redis: Redis, setKey: string) {
    this.#redis = redis
    this.#setKey = setKey
  }

  /** Resolves true only when Redis says so; rejects with a RedisError when it cannot say. */
  async isSuperuser (sessionId: string): Promise<boolean> {
    try {
      return (await this.#redis.sismember(this.#setKey, sessionId)) === 1
    } catch (cause) {
      throw new RedisError('the superuser lookup failed', { cause })
    }
  }
}
