/**
 * Past start-up the listener can still fail to accept (EMFILE): Node emits 'error' on
 * the server, which unheard would end the proxy. The failures come in bursts, so they
 * are logged at most once a second, with how many were not logged.
 */
import { AcceptError } from '../../core/errors.ts'
import { atMostOnceASecond, type Logger } from '../../core/log.ts'

export function acceptErrorLog (logger: Logger): (err: Error) => void {
  let last: Error | undefined
  const log = atMostOnceASecond((more) => {
    logger.error(`a connection could not be accepted, so it was dropped${more}; the proxy goes on serving`, new AcceptError('accepting a connection failed', { cause: last }))
  })
  return (err) => {
    last = err
    log()
  }
}
