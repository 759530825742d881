/**
 * Stopping without cutting anyone off: the listener closes at once (a new
 * connection is refused), idle keep-alive connections close at once, a request
 * that arrives on a kept-alive connection is still served but with
 * `connection: close`, WebSocket connections are ended, and the requests in
 * flight (a slow stream, a held 500 waiting on Redis) get up to `graceMs` to
 * finish. Past it, every connection still open is closed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from '../../core/log.ts'

/**
 * How often idle connections are closed while draining. Node's server.close() closes
 * the idle ones only once; a connection whose response ends later would otherwise stay
 * open for its keep-alive timeout (SUPERTRACE_KEEP_ALIVE_TIMEOUT_MS, 75 s by default).
 */
const IDLE_SWEEP_MS = 50

/** WebSocket connections: after the upgrade Node's server no longer tracks them, so the proxy does. */
export class UpgradedSockets {
  readonly #sockets = new Set<Socket>()

  add (socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  /** Ends each (a FIN, which the WebSocket relay passes on to the app), or destroys each at once. */
  closeAll (isForced: boolean): void {
    for (const socket of this.#sockets) {
      if (isForced) socket.destroy()
      else socket.end()
    }
  }
}

/** Resolves once every connection is closed: when the last request in flight ends, or at `graceMs`. */
export async function drainServer (server: Server, upgraded: UpgradedSockets, graceMs: number, logger: Logger): Promise<void> {
  server.prependListener('request', closeAfterResponse)
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  upgraded.closeAll(false)
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS)
  let grace: NodeJS.Timeout | undefined
  const graceOver = new Promise<'grace over'>((resolve) => { grace = setTimeout(resolve, graceMs, 'grace over') })
  try {
    if (await Promise.race([closed, graceOver]) !== 'grace over') return
    const open = await new Promise<number>((resolve) => server.getConnections((_err, count) => resolve(count)))
    logger.warn(`the shutdown grace period (${graceMs} ms, SUPERTRACE_SHUTDOWN_GRACE_MS) is over: closing the ${open} connection(s) still open`)
    server.closeAllConnections()
    upgraded.closeAll(true)
    await closed
  } finally {
    clearInterval(sweep)
    clearTimeout(grace)
  }
}

/** During the drain, every response says `connection: close` and its connection closes after it. */
function closeAfterResponse (_req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false
}
