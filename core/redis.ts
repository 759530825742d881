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
 *
 * The same holds behind Redis Sentinel (the master is asked of the sentinels at each
 * (re)connection, and every connection watches them for failovers) and on a Redis
 * Cluster (every node connection gets the same timeouts; the cluster as a whole has
 * no offline queue either). Two exceptions: once the app has connected behind
 * Sentinel, its watch on the sentinels stays open (it cannot be unref'd); and on a
 * Cluster ioredis retries a command whose node connection closed (a master failing
 * over) every 100 ms, up to 16 times, refreshing the slot map, before it fails.
 * See core/redis-topology.ts for the settings.
 */
import { once } from 'node:events'
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import { ErrorCodes } from './errors.ts'
import type { Logger } from './log.ts'
import { databaseOf, type RedisTarget, type RedisTopology } from './redis-topology.ts'

/**
 * A connection to one Redis, to a master behind Sentinel, or to a Cluster: both
 * ioredis classes run every command supertrace sends (GET, SET, SISMEMBER, ZADD,
 * MULTI, PUBLISH, SUBSCRIBE, EVALSHA), routing each by its key on a Cluster.
 */
export type RedisClient = Redis | Cluster

export interface RedisConnectionOptions {
  /** The Redis (single), or the password, TLS and database for the other topologies. */
  readonly url: URL
  readonly topology: RedisTopology
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

export function connectRedis (options: RedisConnectionOptions): RedisClient {
  const redis = createClient(options)
  let isDown = false
  const where = describeTarget(options)
  redis.on('error', (err: Error) => {
    if (isDown) return
    isDown = true
    options.logger.warn(`Redis at ${where} is unreachable for ${options.purpose} (${err.message}); ${options.onDemand ? 'trying again at the next record' : 'retrying in the background'}`, undefined, ErrorCodes.REDIS)
  })
  if (options.onDemand) keepFromHoldingTheProcess(redis)
  redis.on('ready', () => {
    if (!isDown) return
    isDown = false
    options.logger.info(`Redis at ${where} is reachable again for ${options.purpose}`)
  })
  return redis
}

/** The fail-fast options of every connection to a Redis server, whatever the topology. */
function serverOptions (options: RedisConnectionOptions): RedisOptions {
  return {
    // A subscriber's SUBSCRIBE waits for Redis; ioredis renews it after each reconnect.
    enableOfflineQueue: options.commandTimeoutMs === undefined,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: REDIS_START_WAIT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: options.onDemand ? () => null : retryDelay,
    lazyConnect: options.onDemand,
  }
}

function createClient (options: RedisConnectionOptions): RedisClient {
  const topology = options.topology
  switch (topology.kind) {
    case 'single': return new Redis(options.url.href, serverOptions(options))
    case 'sentinel': return new Redis({
      ...credentialsOf(options.url),
      // Behind Sentinel ioredis ignores `tls` for the master unless told (ioredis 6
      // SentinelConnector.connect): without this a rediss: URL reached the master in plain text.
      enableTLSForSentinelMode: options.url.protocol === 'rediss:',
      db: databaseOf(options.url),
      ...serverOptions(options),
      sentinels: [...topology.sentinels],
      name: topology.masterName,
      role: 'master',
      // The sentinels' own access, for asking them for the master and for the failover watch alike.
      sentinelUsername: topology.sentinelAccess.username ?? undefined,
      sentinelPassword: topology.sentinelAccess.password ?? undefined,
      sentinelTLS: topology.sentinelAccess.isTls ? {} : undefined,
      // No sentinel answering: the same back-off as a lost connection (on demand: give up until the next record).
      sentinelRetryStrategy: options.onDemand ? () => null : retryDelay,
      sentinelCommandTimeout: 1000,
      // Hear +switch-master from the sentinels and reconnect at once. Without it a connection stays on a
      // master an operator moved away from (SENTINEL FAILOVER): it accepts writes until the sentinels
      // demote it, about 10 s later, and then discards them (test/redis-sentinel-failover-during-traffic.test.ts).
      // The cost, on the app's side too: once connected, one subscribed connection per sentinel stays open.
      failoverDetector: true,
      sentinelReconnectStrategy: options.onDemand ? () => null : retryDelay,
      // A demoted master answers writes with READONLY: reconnect, and the sentinels name the new master.
      reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    })
    case 'cluster': {
      const { enableOfflineQueue, retryStrategy, lazyConnect, ...nodeOptions } = serverOptions(options)
      const clusterOptions: ClusterOptions = {
        enableOfflineQueue,
        lazyConnect,
        clusterRetryStrategy: retryStrategy,
        redisOptions: { ...credentialsOf(options.url), ...nodeOptions },
        // The app's connection keeps no timer of its own (it must not keep the app alive):
        // MOVED replies refresh the slot map when it changes.
        slotsRefreshInterval: options.onDemand ? 0 : 5000,
      }
      return new Cluster(topology.nodes.map((node) => ({ ...node })), clusterOptions)
    }
  }
}

/** The credentials and TLS of a Redis URL, for the options of the topologies that take no URL. */
function credentialsOf (url: URL): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === 'rediss:' ? {} : undefined,
  }
}

/**
 * An on-demand connection must not keep the app alive: its socket is unref'd once open,
 * and on a Cluster so is each node's (ioredis opens them lazily, after the cluster is ready).
 */
function keepFromHoldingTheProcess (redis: RedisClient): void {
  const unref = (server: Redis): void => { server.on('ready', () => server.stream.unref()) }
  if (redis instanceof Redis) unref(redis)
  else redis.on('+node', unref)
}

/** For people: the URL without its password, or the sentinels or seed nodes. */
export function describeTarget (target: RedisTarget): string {
  const topology = target.topology
  switch (topology.kind) {
    case 'single': return redactUrl(target.url)
    case 'sentinel': return `master ${topology.masterName} of sentinels ${topology.sentinels.map(hostPort).join(',')}`
    case 'cluster': return `cluster ${topology.nodes.map(hostPort).join(',')}`
  }
}

function hostPort (address: { readonly host: string, readonly port: number }): string {
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
}

/** The longest start-up waits for a Redis connection that neither opens nor fails (connectTimeout). */
export const REDIS_START_WAIT_MS = 2000

/**
 * Whether a connection opened at start-up becomes ready within `ms`: false at its first
 * error or once `ms` have passed. Never rejects; the connection goes on retrying either way.
 */
export function whenReady (redis: RedisClient, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  const ready = once(redis, 'ready').then(() => true, () => false)
  const waited = new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())
  return Promise.race([ready, waited])
}

const pendingConnects = new WeakMap<RedisClient, Promise<void>>()

/** Resolves once an on-demand connection is ready, opening it if it is not; rejects if Redis cannot be reached. */
export function connectOnDemand (redis: RedisClient): Promise<void> {
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
