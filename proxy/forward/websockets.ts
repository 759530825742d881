/**
 * WebSocket upgrades, relayed by http-proxy-3, which passes a refused upgrade's status on
 * where undici would turn it into a 502. The upgrade request gets a fresh trace context
 * and the same header rules as any request; what became of it goes to the metrics.
 */
import type { ProxyServer } from 'http-proxy-3'
import { createRequire } from 'node:module'
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { UpstreamError } from '../../core/errors.ts'
import type { Logger } from '../../core/log.ts'
import { REQUEST_ID_HEADER } from '../../core/protocol.ts'
import type { ProxyConfig } from '../config.ts'
import type { ProxyMetrics } from '../operations/metrics.ts'
import { UpgradedSockets } from '../operations/shutdown.ts'
import { refusal, upgradeHeaders } from './headers.ts'
import { plainResponseBytes } from './plain-response.ts'
import { newTraceContext } from './request-id.ts'
import { UpgradeOutcomes } from './upgrade-outcomes.ts'

/** Loads http-proxy-3 at the first upgrade (a require node-file-trace follows into the image, unlike an inline createRequire call). */
const require = createRequire(import.meta.url)

export class WebSocketRelay {
  /** Open WebSocket connections, which Node's server no longer tracks: shutdown ends them. */
  readonly upgraded = new UpgradedSockets()
  readonly #config: ProxyConfig
  readonly #metrics: ProxyMetrics
  readonly #outcomes: UpgradeOutcomes
  readonly #logger: Logger
  /** Made at the first upgrade: most apps have none, and http-proxy-3 costs 2 MB of RSS loaded (docs/benchmarks.md, "Memory"). */
  #relay: ProxyServer | null = null

  constructor (config: ProxyConfig, logger: Logger, metrics: ProxyMetrics) {
    this.#config = config
    this.#metrics = metrics
    this.#logger = logger
    this.#outcomes = new UpgradeOutcomes(metrics)
  }

  /** Loaded synchronously, so that no byte the client sends after its upgrade request arrives before the relay listens. */
  #loadRelay (): ProxyServer {
    const { createProxyServer } = require('http-proxy-3') as typeof import('http-proxy-3')
    const logger = this.#logger
    // xfwd off: upgradeHeaders sets X-Forwarded-* by the same trust rules as any request (http-proxy-3 would append to the client's).
    const relay = createProxyServer({ target: this.#config.upstream.origin, ws: true, xfwd: false })
    relay.on('error', (err: unknown, req: IncomingMessage, client: ServerResponse | Socket) => {
      const requestId = req.headers[REQUEST_ID_HEADER] as string | undefined
      // http-proxy-3 passes on the client socket's own errors too: a visitor's reset (a closed tab, a lost network) is theirs, not the app's.
      if (err instanceof Error && client.errored === err) {
        logger.debug(`a WebSocket client's connection failed (${err.message}): the client's doing, not the app's`, requestId)
      } else {
        logger.error('a WebSocket upgrade failed', new UpstreamError(`upgrade of ${req.url}`, { cause: err }), requestId)
      }
      client.destroy()
    })
    relay.on('proxyReqWs', (upstream: ClientRequest, _req: IncomingMessage, client: Socket) => this.#outcomes.follow(upstream, client))
    return relay
  }

  /** The server's 'upgrade' listener. */
  readonly upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy())
    this.upgraded.add(socket)
    const refused = refusal(req)
    if (refused !== null) {
      this.#metrics.countUpgrade('refused', refused.status)
      socket.end(plainResponseBytes(refused.status, refused.text))
      return
    }
    this.#outcomes.expect(socket)
    req.headers = upgradeHeaders(req, newTraceContext(), this.#config)
    this.#relay ??= this.#loadRelay()
    this.#relay.ws(req, socket, head)
  }

  close (): void {
    this.#relay?.close()
  }
}
