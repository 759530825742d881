/**
 * The instrumentation's settings. Unlike the proxy, a bad value never stops the
 * app: it is named in one warning and its default is used (as OpenTelemetry's own
 * environment helpers do).
 */
import { logLevelSetting } from '../core/log.ts'
import { redactSetting } from '../core/redact.ts'
import { redisSettings, redisTarget, type RedisTarget } from '../core/redis-topology.ts'
import { flag, integer, loadSettings, revision, type SettingsOf, type SettingsTable } from '../core/settings.ts'
import { storageSettings } from '../storage/settings.ts'

export const instrumentationSettings = {
  ...redisSettings,
  ...storageSettings,
  holdMs: {
    env: 'SUPERTRACE_HOLD_MS',
    description: 'How long the end of a 5xx response may wait for its record to be stored, so the proxy finds it at once. 0 sends the 5xx without waiting.',
    default: 50,
    example: '50',
    parse: integer(0, 10_000),
  },
  captureLocals: {
    env: 'SUPERTRACE_CAPTURE_LOCALS',
    description: 'Record the local variables of the failing frames (node:inspector pauses briefly on each exception thrown in a request; see docs/record.md for the cost).',
    default: false,
    example: 'true',
    parse: flag,
  },
  redact: redactSetting,
  commit: {
    env: 'SUPERTRACE_COMMIT',
    description: 'The deployed commit, shown on the debug page. Unset: read from GIT_COMMIT, SOURCE_COMMIT, GITHUB_SHA and other common CI variables.',
    default: '',
    example: '3f2c1a9',
    parse: revision,
  },
  logLevel: logLevelSetting,
} satisfies SettingsTable

export type InstrumentationConfig = SettingsOf<typeof instrumentationSettings> & {
  /** The Redis deployment, from SUPERTRACE_REDIS_URL, _SENTINELS and _CLUSTER_NODES. */
  readonly redis: RedisTarget
}

export function loadInstrumentationConfig (env: NodeJS.ProcessEnv = process.env): InstrumentationConfig {
  const { values, problems } = loadSettings(instrumentationSettings, env)
  for (const problem of problems) process.emitWarning(`${problem} (using the default)`, { code: 'ST_CONFIG' })
  const { target, problems: redisProblems } = redisTarget(values)
  for (const problem of redisProblems) process.emitWarning(`${problem} (using SUPERTRACE_REDIS_URL alone)`, { code: 'ST_CONFIG' })
  return Object.freeze({ ...values, redis: target })
}
