/**
 * A request whose line and headers pass SUPERTRACE_MAX_HEADER_BYTES is refused by Node's
 * parser, before there is a request or a response: Node writes its 431, closes the
 * connection and destroys the socket with the parser's error. That error is observed here,
 * on the socket, rather than through a 'clientError' listener, which would replace Node's
 * answers (400, 408, 413, 431 and the close) with our own copy of them.
 *
 * A visitor's too-long URL is theirs, not a fault: an info line saying the limit, and the
 * 431 counted with every other response.
 */
import type { Socket } from 'node:net'
import type { Logger } from '../../core/log.ts'
import type { ProxyMetrics } from './metrics.ts'

/** The server's 'connection' listener. */
export function oversizedRequestLog (maxHeaderBytes: number, logger: Logger, metrics: ProxyMetrics): (socket: Socket) => void {
  // One listener for every socket, so a connection costs no closure.
  const onSocketError = (err: Error): void => {
    if ((err as NodeJS.ErrnoException).code !== 'HPE_HEADER_OVERFLOW') return
    metrics.countResponse(431)
    logger.info(`a request's line and headers were over SUPERTRACE_MAX_HEADER_BYTES (${maxHeaderBytes} bytes, or too many header lines): answered 431 and closed the connection`)
  }
  return (socket) => { socket.on('error', onSocketError) }
}
