/**
 * Redis connections for both sides, set up to fail fast rather than queue:
 * while Redis is down a command fails at once (no offline queue), and a command
 * to a Redis that does not answer fails after `commandTimeoutMs`. Callers then
 * fail closed. The outage is logged once, and its end once.
 */
import { Redis } from 'ioredis'
import type { Logger } from './log.ts'

export interface RedisConnectionOptions {
  readonly url: URL
  /** Undefined for a subscriber, whose SUBSCRIBE must wait for Redis rather than fail. */
  readonly commandTimeoutMs: number | undefined
  /** Who holds the connection, for the log lines: `records`, `superuser lookup`, … */
  readonly purpose: string
  readonly logger: Logger
  /** Keep the process alive for this connection? The app's must not (it may want to exit). */
  readonly keepsProcessAlive: boolean
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
    retryStrategy: retryDelay,
    // ioredis reports a timed-out command as an error but keeps the connection;
    // readiness is all we need from it.
    enableReadyCheck: true,
  })
  let isDown = false
  redis.on('error', (err: Error) => {
    if (isDown) return
    isDown = true
    options.logger.warn(`Redis at ${redactUrl(options.url)} is unreachable for ${options.purpose} (${err.message}); retrying in the background`)
  })
  redis.on('ready', () => {
    if (!options.keepsProcessAlive) redis.stream.unref()
    if (!isDown) return
    isDown = false
    options.logger.info(`Redis at ${redactUrl(options.url)} is reachable again for ${options.purpose}`)
  })
  return redis
}

/** The URL without its password, for log lines. */
export function redactUrl (url: URL): string {
  if (url.password === '') return url.href
  const copy = new URL(url.href)
  copy.password = '****'
  return copy.href
}
