/**
 * What only the app's process knows: the runtime (Node and its version), the host, the process ID, the
 * working directory, the deployed commit, and its environment variables (redacted).
 */
import { hostname } from 'node:os'
import type { Pairs, RecordedProcess } from '../../core/record.ts'
import { LIMITS, type Truncation } from './limits.ts'
import type { RedactionCache } from './redaction-cache.ts'

/** Where hosts and CI systems put the commit being deployed, most specific first. */
const COMMIT_VARIABLES = [
  'GIT_COMMIT', 'SOURCE_COMMIT', 'GITHUB_SHA', 'CI_COMMIT_SHA', 'VERCEL_GIT_COMMIT_SHA', 'RENDER_GIT_COMMIT', 'HEROKU_SLUG_COMMIT',
  'RAILWAY_GIT_COMMIT_SHA', 'CF_PAGES_COMMIT_SHA', 'COMMIT_REF', 'CIRCLE_SHA1', 'BITBUCKET_COMMIT', 'BUILDKITE_COMMIT', 'DRONE_COMMIT_SHA',
  'TRAVIS_COMMIT', 'KOYEB_GIT_SHA', 'GIT_SHA', 'REVISION',
]

/** `configured` is SUPERTRACE_COMMIT ('' when unset). Read once: none of it changes while the process runs. */
export function processFacts (configured: string, env: NodeJS.ProcessEnv = process.env): RecordedProcess {
  const commit = configured !== '' ? configured : COMMIT_VARIABLES.map((name) => env[name]?.trim()).find((value) => value !== undefined && value !== '')
  return {
    runtime: `Node.js ${process.version}`,
    hostname: hostname(),
    pid: process.pid,
    cwd: process.cwd(),
    ...(commit === undefined ? {} : { commit: commit.slice(0, 100) }),
  }
}

/**
 * The environment as it is now (process.env can change while the process runs), sorted by
 * name, each value redacted by name and shape; the same values recur in every record, hence the cache.
 */
export function recordEnvironment (env: NodeJS.ProcessEnv, redactionCache: RedactionCache, truncation: Truncation): Pairs {
  const names = Object.keys(env).sort()
  return truncation.list(names, LIMITS.environmentVariables, 'environment').map((name) => [
    name,
    truncation.text(redactionCache.named(name, env[name] ?? ''), LIMITS.environmentValueChars, 'environment'),
  ] as const)
}
