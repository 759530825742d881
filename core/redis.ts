/**
 * Redis connections for both sides, set up to fail fast rather than queue:
 * while Redis is down a command fails at once (no offline queue), and a command
 * to a Redis that does not answer fails after `commandTimeoutMs`. Callers then
 * fail closed. The outage is logged once, and its end once.
 *
 * The proxy's connections open at start-up and reconnect in the background. The
 * app's connection is `onDemand`: opened by the first record, never retried by a
 * timer, and unref'd, so that an app that never fails never connects and any app
 * can still exit on its own while Redis is unreachable.
 */
import { Redis } from 'ioredis'
import { ErrorCodes } from './errors.ts'
import type { Logger } from './log.ts'

export interface RedisConnectionOptions {
  readonly url: URL
  /** Undefined for a subscriber, whose SUBSCRIBE must wait for Redis rather than fail. */
  readonly commandTimeoutMs: number | undefined
  /** Who holds the connection, for the log lines: `records`, `superuser lookup`, … */
  readonly purpose: string
  readonly logger: Logger
  /** The app's connection: see above. Its user calls `connectOnDemand()` before each command. */
  readonly onDemand: boolean
}

/** Reconnect at once, then back off to at most one attempt per second. */
function retryDelay (attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 5), 1000)
}

export function connectRedis (options: RedisConnectionOptions): Redis {
  const redis = new Redis(options.url.href, {
    // A subscriber's SUBSCRIBE waits for Redis; ioredis renews it after each reconnect.
    enableOfflineQueue: options.commandTimeoutMs === undefined,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: options.onDemand ? () => null : retryDelay,
    lazyConnect: options.onDemand,
  })
  let isDown = false
  redis.on('error', (err: Error) => {
    if (isDown) return
    isDown = true
    options.logger.warn(`Redis at ${redactUrl(options.url)} is unreachable for ${options.purpose} (${err.message}); ${options.onDemand ? 'trying again at the next record' : 'retrying in the background'}`, undefined, ErrorCodes.REDIS)
  })
  redis.on('ready', () => {
    if (options.onDemand) redis.stream.unref()
    if (!isDown) return
    isDown = false
    options.logger.info(`Redis at ${redactUrl(options.url)} is reachable again for ${options.purpose}`)
  })
  return redis
}

const pendingConnects = new WeakMap<Redis, Promise<void>>()

/** Resolves once an on-demand connection is ready, opening it if it is not; rejects if Redis cannot be reached. */
export function connectOnDemand (redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  let pending = pendingConnects.get(redis)
  if (pending === undefined) {
    pending = (redis.status === 'connecting' || redis.status === 'connect'
      ? new Promise<void>((resolve, reject) => { redis.once('ready', resolve); redis.once('end', () => reject(new Error('the connection closed'))) })
      : redis.connect())
      .finally(() => pendingConnects.delete(redis))
    pendingConnects.set(redis, pending)
  }
  return pending
}

/** The URL without its password, for log lines. */
export function redactUrl (url: URL): string {
  if (url.password === '') return url.href
  const copy = new URL(url.href)
  copy.password = '****'
  return copy.href
}
