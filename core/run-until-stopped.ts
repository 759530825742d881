/**
 * How a long-running command (`supertrace proxy`, `supertrace ingest`) ends: on SIGTERM or
 * SIGINT, when the npm that started it is gone, or after an error nobody handled that
 * may have left shared state in doubt. It stops once, however many of these come; the
 * listeners stay, so a second signal is logged where Node's default would kill the
 * process mid-stop. Resolves with the exit code.
 */
import type { Logger } from './log.ts'
import { whenNpmParentEnds } from './npm-parent.ts'
import { handleUnhandledErrors } from './unhandled-errors.ts'

export interface Stopping {
  /** What the command is, for the log (`the proxy`, `the receiver`). */
  readonly what: string
  /** What stopping does, for the log (`requests in flight have up to 30000 ms (…)`). */
  readonly how: string
  readonly close: () => Promise<void>
}

export async function runUntilStopped (logger: Logger, stopping: Stopping): Promise<number> {
  const exitCode = await new Promise<number>((resolve) => {
    let isStopping = false
    const stop = (code: number, why: string): void => {
      if (isStopping) {
        logger.info(`${why}: already stopping; ${stopping.how}`)
        return
      }
      isStopping = true
      logger.info(`${why}: stopping; ${stopping.how}`)
      stopping.close().then(() => resolve(code), (err: unknown) => {
        logger.error('stopping failed', err)
        resolve(1)
      })
    }
    process.on('SIGTERM', () => stop(0, 'SIGTERM'))
    process.on('SIGINT', () => stop(0, 'SIGINT'))
    whenNpmParentEnds(process.env, () => stop(0, `npm, which started ${stopping.what}, has ended (it does not pass SIGTERM on)`))
    handleUnhandledErrors(logger, (code) => stop(code, 'an unexpected error'))
  })
  logger.info('stopped')
  return exitCode
}
