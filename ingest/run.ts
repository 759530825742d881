/**
 * `supertrace ingest`: runs the receiver until SIGTERM or SIGINT, then writes the records
 * still waiting and stops. A wrong setting stops start-up with every problem listed.
 */
import { ConfigError } from '../core/errors.ts'
import { Logger, outliveTheLogReader, setLogLevel } from '../core/log.ts'
import { describeSettings } from '../core/settings.ts'
import { runUntilStopped } from '../core/run-until-stopped.ts'
import { ingestSettings, loadIngestConfig } from './config.ts'
import { startIngest } from './start.ts'

export const INGEST_USAGE = `Usage: supertrace ingest

Takes OpenTelemetry's standard export (OTLP) from an app in any language and, for each
request that failed (a SERVER span with an error, a 5xx or an exception), stores the
record the proxy's debug page is made from, in the same Redis. Point the app's SDK here:
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_BSP_SCHEDULE_DELAY=100

Settings (environment variables):
${describeSettings(ingestSettings)}

Example:
  SUPERTRACE_REDIS_URL=redis://127.0.0.1:6379 supertrace ingest
`

export async function runIngest (): Promise<number> {
  const logger = new Logger('ingest')
  outliveTheLogReader()
  let ingest
  try {
    const config = loadIngestConfig()
    setLogLevel(config.logLevel)
    ingest = await startIngest(config, logger)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`supertrace ingest: cannot start, the settings are wrong:\n${err.problems.map((p) => `  ${p}`).join('\n')}\nSee: supertrace ingest --help\n`)
    return 78 // EX_CONFIG
  }
  logger.info(`taking OTLP/HTTP on ${ingest.url}${ingest.grpcPort === null ? '' : ` and OTLP/gRPC on port ${ingest.grpcPort}`}; admin (/healthz, /readyz, /metrics) on ${ingest.adminUrl}`)
  const running = ingest
  return runUntilStopped(logger, { what: 'the receiver', how: 'the records still waiting are written first', close: () => running.close() })
}
