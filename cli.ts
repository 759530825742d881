#!/usr/bin/env node
/**
 * The `supertrace` command. `supertrace proxy` runs the proxy, configured by
 * environment variables; `supertrace ingest` the receiver of other languages' exports; `supertrace health` is the container health check;
 * `supertrace check-session` explains whether a Cookie header is a superuser's, and
 * `supertrace grant` / `revoke` add a session to the superusers' set or remove it.
 */
import { readFileSync } from 'node:fs'
import { request } from './core/node-http.ts'
import { ConfigError } from './core/errors.ts'
import { Logger, outliveTheLogReader, setLogLevel } from './core/log.ts'
import { describeSettings, loadSettings } from './core/settings.ts'
import { ingestSettings } from './ingest/config.ts'
import { loadProxyConfig, proxySettings } from './proxy/config.ts'
import { CHECK_SESSION_USAGE, checkSession, GRANT_USAGE, grantOrRevoke } from './proxy/lookup/commands.ts'
import { startProxy } from './proxy/start.ts'
import { execWithDefaultNodeFlags } from './proxy/operations/node-flags.ts'
import { runUntilStopped } from './core/run-until-stopped.ts'

const USAGE = `Usage: supertrace <command> [--help]

Shows the full debug page of a failed request to your superusers, in production,
and everyone else the app's own 500.

Commands:
  proxy    Run the proxy in front of your app (see: supertrace proxy --help)
  ingest   Take OpenTelemetry exports (OTLP) of an app in any language (see: supertrace ingest --help)
  health   Exit 0 if a proxy (SUPERTRACE_ADMIN_PORT) or a receiver (SUPERTRACE_INGEST_ADMIN_PORT) on this machine answers /healthz (container health checks)
  check-session --cookie '<Cookie header>'
           Explain step by step whether that request is a superuser's (exit 0 yes, 1 no, 2 bad settings)
  grant <id>, revoke <id>
           Add a session ID (SUPERTRACE_LOOKUP=set) or a user ID (SUPERTRACE_SUPERUSER_IDS_KEY) to the superusers' set, or remove it

Options:
  --help, -h     Show this help
  --version, -v  Show the version

The app side is not a command: start a Node app with
  node --import supertrace/register server.js
or export any other app's OpenTelemetry to \`supertrace ingest\`.
`

const PROXY_USAGE = `Usage: supertrace proxy

Forwards every request to SUPERTRACE_UPSTREAM. On a 500, a superuser (decided by
SUPERTRACE_LOOKUP from the session cookie and Redis) gets the debug page built from
the record the app's instrumentation stored; everyone else gets the app's own 500.
supertrace check-session explains the decision for a given Cookie header.

Settings (environment variables):
${describeSettings(proxySettings)}

Example:
  SUPERTRACE_UPSTREAM=http://127.0.0.1:3000 SUPERTRACE_PORT=8080 supertrace proxy
`

async function main (argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  const wantsHelp = rest.includes('--help') || rest.includes('-h')
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    case '--version':
    case '-v':
      process.stdout.write(`${packageVersion()}\n`)
      return 0
    case 'proxy':
      if (wantsHelp) {
        process.stdout.write(PROXY_USAGE)
        return 0
      }
      execWithDefaultNodeFlags()
      return runProxy()
    case 'ingest': {
      // Loaded only here: the proxy never pays for the receiver's code (gRPC, the decoders).
      const ingest = await import('./ingest/run.ts')
      if (wantsHelp) return writeUsage(ingest.INGEST_USAGE)
      return ingest.runIngest()
    }
    case 'health':
      return checkHealth()
    case 'check-session':
      if (wantsHelp) return writeUsage(CHECK_SESSION_USAGE)
      return checkSession(rest, writeOut, writeErr)
    case 'grant':
    case 'revoke':
      if (wantsHelp) return writeUsage(GRANT_USAGE)
      return grantOrRevoke(command, rest, writeOut, writeErr)
    default:
      process.stderr.write(`supertrace: unknown command "${command}"\n\n${USAGE}`)
      return 2
  }
}

const writeOut = (text: string): void => { process.stdout.write(text) }
const writeErr = (text: string): void => { process.stderr.write(text) }

function writeUsage (usage: string): number {
  writeOut(usage)
  return 0
}

async function runProxy (): Promise<number> {
  const logger = new Logger('proxy')
  outliveTheLogReader()
  let config
  let proxy
  try {
    config = loadProxyConfig()
    setLogLevel(config.logLevel)
    proxy = await startProxy(config, logger) // a lookup script Redis refuses is a ConfigError too
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // For the person at the terminal who just ran the command, not for a log shipper: plain text, one problem a line.
    process.stderr.write(`supertrace proxy: cannot start, the settings are wrong:\n${err.problems.map((p) => `  ${p}`).join('\n')}\nSee: supertrace proxy --help\n`)
    return 78 // EX_CONFIG
  }
  logger.info(`listening on ${proxy.url}, forwarding to ${config.upstream.origin}; admin (/healthz, /readyz, /metrics) on ${proxy.adminUrl}`)
  const graceMs = config.shutdownGraceMs
  const running = proxy
  return runUntilStopped(logger, {
    what: 'the proxy',
    how: `requests in flight have up to ${graceMs} ms (SUPERTRACE_SHUTDOWN_GRACE_MS)`,
    close: () => running.close(graceMs),
  })
}

/**
 * GET /healthz on this machine's admin port: the proxy's (SUPERTRACE_ADMIN_PORT), or else the
 * receiver's (SUPERTRACE_INGEST_ADMIN_PORT), since one image runs either and has one HEALTHCHECK.
 * Exit 0 on a 200, 1 on anything else or after 2 s.
 */
async function checkHealth (): Promise<number> {
  const { values, problems } = loadSettings({ adminHost: proxySettings.adminHost, adminPort: proxySettings.adminPort, host: proxySettings.host, ingestHost: ingestSettings.host, ingestAdminPort: ingestSettings.adminPort }, process.env)
  if (problems.length > 0) {
    process.stderr.write(`supertrace health: ${problems.join('\n')}\n`)
    return 1
  }
  if (await isHealthy(values.adminHost ?? values.host, values.adminPort)) return 0
  return await isHealthy(values.ingestHost, values.ingestAdminPort) ? 0 : 1
}

function isHealthy (host: string, port: number): Promise<boolean> {
  // A wildcard address listens on loopback too; a specific one is asked where it listens.
  const target = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host.replace(/^\[(.*)\]$/, '$1')
  return new Promise((resolve) => {
    const req = request({ host: target, port, path: '/healthz', signal: AbortSignal.timeout(2000), agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.once('error', () => resolve(false))
    req.end()
  })
}

function packageVersion (): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`supertrace: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exitCode = 1
})
