/**
 * The proxy's settings, read once from the environment. A bad value stops start-up
 * with every problem listed, each naming its variable and showing a valid example.
 */
import { BlockList, isIP } from 'node:net'
import { ConfigError } from '../core/errors.ts'
import { logLevelSetting } from '../core/log.ts'
import { redactSetting } from '../core/redact.ts'
import { redisSettings, redisTarget, type RedisTarget } from '../core/redis-topology.ts'
import { flag, hostname, integer, loadSettings, SettingProblem, url, type SettingsOf, type SettingsTable } from '../core/settings.ts'
import { InterceptedStatuses } from './forward/intercepted-statuses.ts'
import { buildLookupPlan, type LookupPlan } from './lookup/presets.ts'
import { lookupSettings } from './lookup/settings.ts'

export const proxySettings = {
  upstream: {
    env: 'SUPERTRACE_UPSTREAM',
    description: 'The app the proxy forwards to.',
    default: undefined,
    example: 'http://127.0.0.1:3000',
    parse: (raw: string) => {
      const parsed = url(['http:'])(raw)
      if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') throw new SettingProblem('be an origin such as http://127.0.0.1:3000, with no path, query or credentials')
      return parsed
    },
  },
  host: {
    env: 'SUPERTRACE_HOST',
    description: 'The address the proxy listens on.',
    default: '0.0.0.0',
    example: '0.0.0.0',
    parse: hostname,
  },
  port: {
    env: 'SUPERTRACE_PORT',
    description: 'The port the proxy listens on.',
    default: 8080,
    example: '8080',
    parse: integer(1, 65535),
  },
  trustedProxies: {
    env: 'SUPERTRACE_TRUSTED_PROXIES',
    description: 'Peers (IP addresses or CIDR ranges, comma-separated) whose X-Forwarded-For/-Proto/-Host and Forwarded headers are kept, the peer appended to X-Forwarded-For; from anyone else they are replaced.',
    default: null,
    defaultText: 'none (every incoming X-Forwarded-* is replaced)',
    example: '10.0.0.0/8,127.0.0.1',
    parse: addressList,
  },
  preserveHost: {
    env: 'SUPERTRACE_PRESERVE_HOST',
    description: 'Send the client\'s Host header to the app; false sends the upstream\'s own host (X-Forwarded-Host still carries the client\'s).',
    default: true,
    example: 'true',
    parse: flag,
  },
  headersTimeoutMs: {
    env: 'SUPERTRACE_HEADERS_TIMEOUT_MS',
    description: 'The longest a client may take to send a request\'s headers; past it the proxy answers 408 and closes the connection (slowloris).',
    default: 10_000,
    example: '10000',
    parse: integer(1, 3_600_000),
  },
  maxHeaderBytes: {
    env: 'SUPERTRACE_MAX_HEADER_BYTES',
    description: 'The most bytes a request\'s line (method, path and query) and headers may take; past it the proxy answers 431, closes the connection and logs it. The default is 1 KiB under Node\'s own 16 KiB, which leaves room for the headers the proxy adds, so an app on Node\'s default takes every request the proxy passes on. Raise it with the app\'s limit.',
    default: 15_360,
    example: '15360',
    parse: integer(1024, 1_048_576),
  },
  requestTimeoutMs: {
    env: 'SUPERTRACE_REQUEST_TIMEOUT_MS',
    description: 'The longest a client may take to send a whole request, body included; past it the proxy answers 408 (or closes the connection). 0 means no limit. Raise it for large uploads over slow links.',
    default: 300_000,
    example: '300000',
    parse: integer(0, 86_400_000),
  },
  keepAliveTimeoutMs: {
    env: 'SUPERTRACE_KEEP_ALIVE_TIMEOUT_MS',
    description: 'How long an idle client connection is kept open for its next request. Keep it above the idle timeout of whatever sits in front (a load balancer reusing connections to a proxy that has just closed them gets resets, which it answers 502).',
    default: 75_000,
    example: '75000',
    parse: integer(1, 3_600_000),
  },
  maxConnections: {
    env: 'SUPERTRACE_MAX_CONNECTIONS',
    description: 'The most client connections open at once, the bound on the memory a crowd of clients costs (each holds about 9 KB). At the limit the idle keep-alive connections are closed to make room; only when every one is busy is a new connection refused (closed at once, and a warning logged). Raise it for many long-lived connections, such as WebSockets.',
    default: 2048,
    example: '2048',
    parse: integer(1, 1_000_000),
  },
  ...redisSettings,
  ...lookupSettings,
  traceWaitMs: {
    env: 'SUPERTRACE_TRACE_WAIT_MS',
    description: 'The longest a superuser\'s 500 waits for the request\'s record, whether the app announced one (supertrace\'s instrumentation marks its 500s) or not (an app exporting OTLP marks nothing). Past it: the page without the record for an announced one; for an unannounced one the "on its way" page, which forwards to the record\'s page to wait on.',
    default: 1000,
    example: '1000',
    parse: integer(0, 60_000),
  },
  redisTimeoutMs: {
    env: 'SUPERTRACE_REDIS_TIMEOUT_MS',
    description: 'The longest a Redis command may take; past it the proxy fails closed (the original 500).',
    default: 250,
    example: '250',
    parse: integer(1, 60_000),
  },
  breakerFailures: {
    env: 'SUPERTRACE_BREAKER_FAILURES',
    description: 'Redis failures or timeouts in a row after which the circuit breaker opens: lookups and record reads then fail closed at once, without asking Redis.',
    default: 5,
    example: '5',
    parse: integer(1, 1000),
  },
  breakerCooldownMs: {
    env: 'SUPERTRACE_BREAKER_COOLDOWN_MS',
    description: 'How long the open circuit breaker keeps requests away from Redis before it lets one through to see whether Redis is back.',
    default: 2000,
    example: '2000',
    parse: integer(1, 600_000),
  },
  maxBufferBytes: {
    env: 'SUPERTRACE_MAX_BUFFER_BYTES',
    description: 'How much of a 500\'s body is held while the superuser lookup and the record wait run; a longer body goes out as the app sent it, to everyone, superusers included (no debug page), and the log says so.',
    default: 1024 * 1024,
    example: '1048576',
    parse: integer(0, 1024 * 1024 * 1024),
  },
  interceptStatuses: {
    env: 'SUPERTRACE_INTERCEPT_STATUSES',
    description: 'The upstream statuses a superuser gets a debug page for instead of the app\'s response: 5xx statuses and ranges separated by commas.',
    default: InterceptedStatuses.parse('500'),
    defaultText: '500',
    example: '500,502-504',
    parse: InterceptedStatuses.parse,
  },
  upstreamConnectTimeoutMs: {
    env: 'SUPERTRACE_UPSTREAM_CONNECT_TIMEOUT_MS',
    description: 'The longest connecting to the app may take; past it the client gets a 504.',
    default: 5000,
    example: '5000',
    parse: integer(1, 600_000),
  },
  upstreamTimeoutMs: {
    env: 'SUPERTRACE_UPSTREAM_TIMEOUT_MS',
    description: 'The longest the app may take to send a response\'s headers; past it the client gets a 504.',
    default: 60_000,
    example: '60000',
    parse: integer(1, 3_600_000),
  },
  upstreamBodyTimeoutMs: {
    env: 'SUPERTRACE_UPSTREAM_BODY_TIMEOUT_MS',
    description: 'The longest the app may pause between two chunks of a response body; past it the client\'s response is cut off.',
    default: 60_000,
    example: '60000',
    parse: integer(1, 3_600_000),
  },
  sourceUrl: {
    env: 'SUPERTRACE_SOURCE_URL',
    description: 'Links each app frame on the debug page to its source: a URL template with {file} (relative to the app\'s working directory), {line} and {commit} (the deployed commit the app reports).',
    default: null,
    example: 'https://github.com/acme/shop/blob/{commit}/{file}#L{line}',
    parse: sourceUrlTemplate,
  },
  redact: redactSetting,
  pagesPrefix: {
    env: 'SUPERTRACE_PAGES_PREFIX',
    description: 'Where a superuser finds recent failures (<prefix>/) and any stored record (<prefix>/requests/<request id>); for anyone else these paths go to the app.',
    default: '/_supertrace',
    example: '/_supertrace',
    parse: pathPrefix,
  },
  shutdownGraceMs: {
    env: 'SUPERTRACE_SHUTDOWN_GRACE_MS',
    description: 'On SIGTERM or SIGINT, how long requests in flight may take to finish; the connections still open after it are closed.',
    default: 10_000,
    example: '10000',
    parse: integer(0, 3_600_000),
  },
  adminHost: {
    env: 'SUPERTRACE_ADMIN_HOST',
    description: 'The address of the admin server (/healthz, /readyz, /metrics); set it to a private interface to keep them off a public one.',
    default: null,
    defaultText: 'the same as SUPERTRACE_HOST',
    example: '127.0.0.1',
    parse: hostname,
  },
  adminPort: {
    env: 'SUPERTRACE_ADMIN_PORT',
    description: 'The port of the admin server: health checks and Prometheus metrics, never reachable through SUPERTRACE_PORT.',
    default: 9901,
    example: '9901',
    parse: integer(1, 65535),
  },
  logLevel: logLevelSetting,
} satisfies SettingsTable

/** An http(s) URL once {file}, {line} and {commit} are filled in, and one that uses {file}. */
function sourceUrlTemplate (raw: string): string | null {
  if (!raw.includes('{file}')) throw new SettingProblem('contain {file} (and usually {line} and {commit})')
  const filled = raw.replaceAll('{file}', 'src/app.js').replaceAll('{line}', '1').replaceAll('{commit}', '0123abc')
  url(['https:', 'http:'])(filled)
  return raw
}

/** IP addresses and CIDR ranges (`10.0.0.0/8,::1`), as one BlockList to check peers against. */
function addressList (raw: string): BlockList {
  const list = new BlockList()
  for (const entry of raw.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const [address = '', bits, ...rest] = entry.split('/')
    const family = isIP(address)
    const prefix = bits === undefined ? undefined : Number(bits)
    const maxBits = family === 6 ? 128 : 32
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d+$/.test(bits ?? '') || prefix > maxBits))) {
      throw new SettingProblem('be IP addresses or CIDR ranges separated by commas, such as 10.0.0.0/8,127.0.0.1')
    }
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, prefix, type)
  }
  return list
}

/** A path such as /_supertrace: a leading slash, no trailing one, URL-safe characters only. */
function pathPrefix (raw: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw)) throw new SettingProblem('be a path such as /_supertrace (a leading slash, no trailing slash, letters, digits and ._~-)')
  return raw
}

/** What loadWithLookup adds to the table's values, from settings read together. */
interface DerivedSettings {
  /** The superuser lookup, from SUPERTRACE_LOOKUP and the settings of its mode. */
  readonly lookup: LookupPlan
  /** The Redis deployment, from SUPERTRACE_REDIS_URL, _SENTINELS and _CLUSTER_NODES. */
  readonly redis: RedisTarget
}

export type ProxyConfig = SettingsOf<typeof proxySettings> & DerivedSettings

export function loadProxyConfig (env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  const config = loadWithLookup(proxySettings, env)
  if (config.adminPort === config.port) throw new ConfigError([`SUPERTRACE_ADMIN_PORT=${config.adminPort} is SUPERTRACE_PORT too: the admin server needs a port of its own; for example SUPERTRACE_ADMIN_PORT=${config.port === 9901 ? 9902 : 9901}`])
  return config
}

/** Reads `table`, the lookup plan and the Redis deployment its values choose; throws one ConfigError naming every problem. */
function loadWithLookup<T extends SettingsTable & typeof lookupSettings & typeof redisSettings> (table: T, env: NodeJS.ProcessEnv): Readonly<SettingsOf<T> & DerivedSettings> {
  const { values, problems } = loadSettings(table, env)
  const { plan, problems: lookupProblems } = buildLookupPlan(values, env)
  const { target, problems: redisProblems } = redisTarget(values)
  if (plan?.mode === 'lua' && target.topology.kind === 'cluster') redisProblems.push(LUA_ON_CLUSTER)
  if (problems.length > 0 || plan === null || redisProblems.length > 0) throw new ConfigError([...problems, ...redisProblems, ...lookupProblems])
  return Object.freeze({ ...values, lookup: plan, redis: target })
}

/**
 * The lookup script runs with EVALSHA and no declared keys, which a Redis Cluster sends to
 * an arbitrary node: the keys it reads may live on another, so its answer would be chance.
 */
const LUA_ON_CLUSTER = 'SUPERTRACE_LOOKUP=lua cannot run on a Redis Cluster (SUPERTRACE_REDIS_CLUSTER_NODES): the script declares no keys, so the cluster runs it on an arbitrary node that may not hold the keys it reads; use another mode, for example SUPERTRACE_LOOKUP=session-field, or Redis Sentinel (SUPERTRACE_REDIS_SENTINELS=10.0.0.1:26379)'

/** What `check-session`, `grant` and `revoke` read: Redis and the lookup, not the upstream. */
export const lookupToolSettings = {
  ...redisSettings,
  redisTimeoutMs: proxySettings.redisTimeoutMs,
  ...lookupSettings,
} satisfies SettingsTable

export type LookupToolConfig = SettingsOf<typeof lookupToolSettings> & DerivedSettings

export function loadLookupToolConfig (env: NodeJS.ProcessEnv = process.env): LookupToolConfig {
  return loadWithLookup(lookupToolSettings, env)
}
