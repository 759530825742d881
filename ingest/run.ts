/**
 * `supertrace ingest`: runs the receiver until SIGTERM or SIGINT, then writes the records
 * still waiting and stops. A wrong setting stops start-up with every problem listed.
 */
import { ConfigError } from '../core/errors.ts'
import { Logger, outliveTheLogReader, setLogLevel } from '../core/log.ts'
import { describeSettings } from '../core/settings.ts'
import { whenNpmParentEnds } from '../proxy/operations/npm-parent.ts'
import { handleUnhandledErrors } from '../proxy/operations/unhandled-errors.ts'
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
  const exitCode = await new Promise<number>((resolve) => {
    let isStopping = false
    const stop = (code: number, why: string): void => {
      if (isStopping) return
      isStopping = true
      logger.info(`${why}: stopping; the records still waiting are written first`)
      running.close().then(() => resolve(code), (err: unknown) => {
        logger.error('stopping failed', err)
        resolve(1)
      })
    }
    process.on('SIGTERM', () => stop(0, 'SIGTERM'))
    process.on('SIGINT', () => stop(0, 'SIGINT'))
    whenNpmParentEnds(process.env, () => stop(0, 'npm, which started the receiver, has ended (it does not pass SIGTERM on)'))
    handleUnhandledErrors(logger, (code) => stop(code, 'an unexpected error'))
  })
  logger.info('stopped')
  return exitCode
}
