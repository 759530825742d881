/**
 * At most SUPERTRACE_MAX_CONNECTIONS client connections at once: the bound on what a crowd
 * of clients can cost. Each open connection holds about 9 KB, most of it native memory
 * that glibc keeps after the connection has closed (docs/benchmarks.md, "Crowds"), so
 * 10,000 idle keep-alive connections would leave the proxy some 60 MB larger for good.
 *
 * At the limit, as nginx does when its worker_connections run out, the idle keep-alive
 * connections are closed to make room (their clients open a new one for their next
 * request, as after a keep-alive timeout), so that a crowd of idle connections cannot
 * shut others out. Only when every connection is busy is a new one refused: Node closes
 * it at once (`server.maxConnections`), and a warning says so, at most once a second.
 */
import type { Socket } from 'node:net'
import type { Server } from 'node:http'
import { atMostOnceASecond, type Logger } from '../../core/log.ts'

export function limitConnections (server: Server, max: number, logger: Logger): void {
  let open = 0
  // One listener shared by every socket: no closure per connection.
  const onSocketClose = (): void => { open-- }
  server.maxConnections = max
  // Before node:http's own 'connection' listener, so that the new connection is not yet among the idle ones.
  server.prependListener('connection', (socket: Socket) => {
    open++
    socket.on('close', onSocketClose)
    if (open >= max) server.closeIdleConnections()
  })
  server.on('drop', atMostOnceASecond((more) => {
    logger.warn(`a new connection was refused: ${max} connections are open and none is idle (SUPERTRACE_MAX_CONNECTIONS)${more}`)
  }))
}
