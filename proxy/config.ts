/**
 * The proxy's settings, read once from the environment. A bad value stops start-up
 * with every problem listed, each naming its variable and showing a valid example.
 */
import { ConfigError } from '../core/errors.ts'
import { logLevelSetting } from '../core/log.ts'
import { hostname, integer, loadSettings, SettingProblem, url, type SettingsOf, type SettingsTable } from '../core/settings.ts'
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
  redisUrl: {
    env: 'SUPERTRACE_REDIS_URL',
    description: 'The Redis that holds the records and the superusers (the instrumentation writes to the same one).',
    default: new URL('redis://127.0.0.1:6379'),
    example: 'redis://127.0.0.1:6379',
    parse: url(['redis:', 'rediss:']),
  },
  ...lookupSettings,
  traceWaitMs: {
    env: 'SUPERTRACE_TRACE_WAIT_MS',
    description: 'The longest a superuser\'s 500 waits for the app\'s record before the page is shown without it.',
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
  maxBufferBytes: {
    env: 'SUPERTRACE_MAX_BUFFER_BYTES',
    description: 'How much of a 500\'s body is held while the superuser lookup runs; the upstream is paused past it.',
    default: 1024 * 1024,
    example: '1048576',
    parse: integer(0, 1024 * 1024 * 1024),
  },
  sourceUrl: {
    env: 'SUPERTRACE_SOURCE_URL',
    description: 'Links each app frame on the debug page to its source: a URL template with {file} (relative to the app\'s working directory), {line} and {commit} (the deployed commit the app reports).',
    default: null,
    example: 'https://github.com/acme/shop/blob/{commit}/{file}#L{line}',
    parse: sourceUrlTemplate,
  },
  pagesPrefix: {
    env: 'SUPERTRACE_PAGES_PREFIX',
    description: 'Where a superuser finds recent failures (<prefix>/) and any stored record (<prefix>/requests/<request id>); for anyone else these paths go to the app.',
    default: '/_supertrace',
    example: '/_supertrace',
    parse: pathPrefix,
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

/** A path such as /_supertrace: a leading slash, no trailing one, URL-safe characters only. */
function pathPrefix (raw: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw)) throw new SettingProblem('be a path such as /_supertrace (a leading slash, no trailing slash, letters, digits and ._~-)')
  return raw
}

export type ProxyConfig = SettingsOf<typeof proxySettings> & {
  /** The superuser lookup, from SUPERTRACE_LOOKUP and the settings of its mode. */
  readonly lookup: LookupPlan
}

export function loadProxyConfig (env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  const config = loadWithLookup(proxySettings, env)
  if (config.adminPort === config.port) throw new ConfigError([`SUPERTRACE_ADMIN_PORT=${config.adminPort} is SUPERTRACE_PORT too: the admin server needs a port of its own; for example SUPERTRACE_ADMIN_PORT=${config.port === 9901 ? 9902 : 9901}`])
  return config
}

/** Reads `table` and the lookup plan its values choose; throws one ConfigError naming every problem of both. */
function loadWithLookup<T extends SettingsTable & typeof lookupSettings> (table: T, env: NodeJS.ProcessEnv): Readonly<SettingsOf<T> & { lookup: LookupPlan }> {
  const { values, problems } = loadSettings(table, env)
  const { plan, problems: lookupProblems } = buildLookupPlan(values, env)
  if (problems.length > 0 || plan === null) throw new ConfigError([...problems, ...lookupProblems])
  return Object.freeze({ ...values, lookup: plan })
}

/** What `check-session`, `grant` and `revoke` read: Redis and the lookup, not the upstream. */
export const lookupToolSettings = {
  redisUrl: proxySettings.redisUrl,
  redisTimeoutMs: proxySettings.redisTimeoutMs,
  ...lookupSettings,
} satisfies SettingsTable

export type LookupToolConfig = SettingsOf<typeof lookupToolSettings> & { readonly lookup: LookupPlan }

export function loadLookupToolConfig (env: NodeJS.ProcessEnv = process.env): LookupToolConfig {
  return loadWithLookup(lookupToolSettings, env)
}
