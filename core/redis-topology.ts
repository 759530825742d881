/**
 * Which Redis deployment both sides talk to: one Redis (SUPERTRACE_REDIS_URL), a
 * master found through Redis Sentinel, or a Redis Cluster. The settings rows live
 * here once, SUPERTRACE_REDIS_URL's included; the proxy's and the instrumentation's
 * tables both spread them.
 * SUPERTRACE_REDIS_URL still carries the password, TLS (`rediss:`) and database
 * where they apply; its host and port are then not used. The sentinels' own
 * credentials and TLS are settings of their own: a sentinel's `requirepass` is not
 * the master's, and a Kubernetes Secret hands a password over as one variable.
 */
import { flag, SettingProblem, url, type SettingsOf, type SettingsTable } from './settings.ts'

export interface RedisAddress {
  readonly host: string
  readonly port: number
}

export type RedisTopology =
  | { readonly kind: 'single' }
  /** ioredis asks the sentinels for the master of `masterName` and follows failovers. */
  | { readonly kind: 'sentinel', readonly sentinels: readonly RedisAddress[], readonly masterName: string, readonly sentinelAccess: SentinelAccess }
  /** ioredis learns every master from these seed nodes and follows MOVED/ASK redirections. */
  | { readonly kind: 'cluster', readonly nodes: readonly RedisAddress[] }

/** How to talk to the sentinels themselves (the master's password and TLS come from the URL). */
export interface SentinelAccess {
  /** An ACL user (Redis 6.2+); null: the default user. */
  readonly username: string | null
  /** The sentinels' `requirepass`; null: they need none. */
  readonly password: string | null
  readonly isTls: boolean
}

/** Where to connect: the URL (credentials, TLS, db) and the deployment. Built once at start-up. */
export interface RedisTarget {
  readonly url: URL
  readonly topology: RedisTopology
}

const SENTINELS_EXAMPLE = '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379'
const CLUSTER_EXAMPLE = '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379'

export const redisSettings = {
  redisUrl: {
    env: 'SUPERTRACE_REDIS_URL',
    description: 'The Redis that holds the records and the superusers (the instrumentation writes to the same one).',
    default: new URL('redis://127.0.0.1:6379'),
    example: 'redis://127.0.0.1:6379',
    parse: url(['redis:', 'rediss:']),
  },
  redisSentinels: {
    env: 'SUPERTRACE_REDIS_SENTINELS',
    description: 'Redis Sentinel: the sentinels (host:port, comma-separated) that name the master of SUPERTRACE_REDIS_SENTINEL_NAME; failovers are followed. SUPERTRACE_REDIS_URL then gives only the password, TLS and database.',
    default: [] as readonly RedisAddress[],
    defaultText: 'none (one Redis at SUPERTRACE_REDIS_URL)',
    example: SENTINELS_EXAMPLE,
    parse: addressList,
  },
  redisSentinelName: {
    env: 'SUPERTRACE_REDIS_SENTINEL_NAME',
    description: 'Redis Sentinel: the master group name the sentinels monitor.',
    default: 'mymaster',
    example: 'mymaster',
    parse: masterName,
  },
  redisSentinelUsername: {
    env: 'SUPERTRACE_REDIS_SENTINEL_USERNAME',
    description: 'Redis Sentinel: the ACL user the sentinels know supertrace by (Redis 6.2+), with SUPERTRACE_REDIS_SENTINEL_PASSWORD.',
    default: null as string | null,
    defaultText: 'none (the default user)',
    example: 'supertrace',
    parse: aclUsername,
  },
  redisSentinelPassword: {
    env: 'SUPERTRACE_REDIS_SENTINEL_PASSWORD',
    description: 'Redis Sentinel: the password of the sentinels themselves (`requirepass` in sentinel.conf), which is not the master\'s (that one stays in SUPERTRACE_REDIS_URL). Keep it in a secret.',
    default: null as string | null,
    defaultText: 'none (the sentinels ask for none)',
    example: 'sentinel-s3cret',
    isSecret: true,
    parse: password,
  },
  redisSentinelTls: {
    env: 'SUPERTRACE_REDIS_SENTINEL_TLS',
    description: 'Redis Sentinel: whether the sentinels are reached over TLS. Unset, they are when the master is, that is when SUPERTRACE_REDIS_URL is rediss:.',
    default: null as boolean | null,
    defaultText: 'as SUPERTRACE_REDIS_URL (TLS with rediss:)',
    example: 'true',
    parse: flag,
  },
  redisClusterNodes: {
    env: 'SUPERTRACE_REDIS_CLUSTER_NODES',
    description: 'Redis Cluster: some of its nodes (host:port, comma-separated) from which every master is discovered. SUPERTRACE_REDIS_URL then gives only the password and TLS.',
    default: [] as readonly RedisAddress[],
    defaultText: 'none (one Redis at SUPERTRACE_REDIS_URL)',
    example: CLUSTER_EXAMPLE,
    parse: addressList,
  },
} satisfies SettingsTable

type TopologyValues = SettingsOf<typeof redisSettings>

/**
 * The deployment the settings describe, or problems (each naming its variables with a
 * valid example) when they contradict each other; the topology is then a single Redis.
 */
export function redisTarget (values: TopologyValues): { readonly target: RedisTarget, readonly problems: string[] } {
  const { redisUrl: url, redisSentinels: sentinels, redisClusterNodes: nodes } = values
  const single = { target: { url, topology: { kind: 'single' } } } as const
  if (sentinels.length > 0 && nodes.length > 0) {
    return { ...single, problems: [`SUPERTRACE_REDIS_SENTINELS and SUPERTRACE_REDIS_CLUSTER_NODES are both set, but Redis runs either behind Sentinel or as a Cluster: set one; for example SUPERTRACE_REDIS_CLUSTER_NODES=${CLUSTER_EXAMPLE} with SUPERTRACE_REDIS_SENTINELS unset`] }
  }
  if (nodes.length > 0) {
    if (databaseOf(url) !== 0) return { ...single, problems: [`SUPERTRACE_REDIS_URL selects database ${JSON.stringify(url.pathname.slice(1))}, but a Redis Cluster has only database 0; for example SUPERTRACE_REDIS_URL=redis://:password@cluster with SUPERTRACE_REDIS_CLUSTER_NODES=${CLUSTER_EXAMPLE}`] }
    return { target: { url, topology: { kind: 'cluster', nodes } }, problems: [] }
  }
  if (sentinels.length > 0) {
    if (values.redisSentinelUsername !== null && values.redisSentinelPassword === null) {
      return { ...single, problems: ['SUPERTRACE_REDIS_SENTINEL_USERNAME is set without SUPERTRACE_REDIS_SENTINEL_PASSWORD, but an ACL user signs in to the sentinels with its password: set both; for example SUPERTRACE_REDIS_SENTINEL_USERNAME=supertrace with SUPERTRACE_REDIS_SENTINEL_PASSWORD=sentinel-s3cret'] }
    }
    const sentinelAccess: SentinelAccess = Object.freeze({
      username: values.redisSentinelUsername,
      password: values.redisSentinelPassword,
      isTls: values.redisSentinelTls ?? url.protocol === 'rediss:',
    })
    return { target: { url, topology: { kind: 'sentinel', sentinels, masterName: values.redisSentinelName, sentinelAccess } }, problems: [] }
  }
  // Given without sentinels, the sentinels' credentials would be ignored in silence: a deployment half moved to Sentinel.
  const strays = SENTINEL_ACCESS_SETTINGS.filter((key) => values[key] !== null).map((key) => redisSettings[key].env)
  return { ...single, problems: strays.map((env) => `${env} is set, but SUPERTRACE_REDIS_SENTINELS is not: it applies only to Redis behind Sentinel; name the sentinels too, for example SUPERTRACE_REDIS_SENTINELS=${SENTINELS_EXAMPLE}, or unset ${env}`) }
}

const SENTINEL_ACCESS_SETTINGS = ['redisSentinelUsername', 'redisSentinelPassword', 'redisSentinelTls'] as const

/** The database number in a Redis URL's path (`redis://host/2`); 0 when there is none. */
export function databaseOf (url: URL): number {
  const path = url.pathname.replace(/^\//, '')
  return path === '' ? 0 : Number(path)
}

/** `host:port,host:port`; IPv6 addresses in brackets (`[::1]:6379`). */
function addressList (raw: string): readonly RedisAddress[] {
  const addresses = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[\w.-]+):(\d{1,5})$/.exec(entry)
    const port = Number(match?.[2])
    if (match?.[1] === undefined || port < 1 || port > 65535) throw new SettingProblem('be host:port pairs separated by commas')
    return Object.freeze({ host: match[1].replace(/^\[(.*)\]$/, '$1'), port })
  })
  if (addresses.length === 0) throw new SettingProblem('be host:port pairs separated by commas')
  return Object.freeze(addresses)
}

/** ACL user names have no spaces (Redis refuses them in `ACL SETUSER`). */
function aclUsername (raw: string): string {
  if (!/^\S{1,256}$/.test(raw)) throw new SettingProblem('be an ACL user name (no spaces)')
  return raw
}

/**
 * Any password but one ending in a line break: a Secret made with `kubectl create secret
 * --from-file` keeps the file's last newline, and the sentinels would refuse it as WRONGPASS.
 */
function password (raw: string): string {
  if (/[\r\n]$/.test(raw)) throw new SettingProblem('not end in a line break (a Secret made from a file often keeps the file\'s last newline)')
  return raw
}

/** Sentinel master names are plain words (`mymaster`, `supertrace-1`). */
function masterName (raw: string): string {
  if (!/^[\w.-]{1,100}$/.test(raw)) throw new SettingProblem('be a master group name (letters, digits, _, - and .)')
  return raw
}
