/**
 * What became of each WebSocket upgrade, for the metrics, decided once per upgrade by
 * whichever comes first:
 *   - switched: the app answered 101 and the relay runs; the connection counts as open
 *     until the client's socket closes;
 *   - refused: the app answered another status, which the relay passes on (the proxy's
 *     own refusals are counted where they are written, in websockets.ts);
 *   - failed: the client's socket closed with no answer (the app could not be reached or
 *     broke off, or the client left first).
 * Upgrades are rare next to requests: a few listeners each is fine here, and the
 * ordinary request's path does not see any of it.
 */
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { ProxyMetrics } from '../operations/metrics.ts'

export class UpgradeOutcomes {
  readonly #metrics: ProxyMetrics
  /** Client sockets whose upgrade went to the app and has no outcome yet. */
  readonly #unanswered = new WeakSet<Socket>()

  constructor (metrics: ProxyMetrics) {
    this.#metrics = metrics
  }

  /** `client`'s upgrade goes to the app: it fails unless an answer comes before the socket closes. */
  expect (client: Socket): void {
    this.#unanswered.add(client)
    client.once('close', () => {
      if (this.#unanswered.delete(client)) this.#metrics.countUpgrade('failed')
    })
  }

  /**
   * The relay's request to the app for `client` (http-proxy-3's 'proxyReqWs', emitted
   * before its own listeners are added, so these run before the answer is relayed).
   */
  follow (upstream: ClientRequest, client: Socket): void {
    upstream.once('upgrade', () => {
      if (!this.#unanswered.delete(client)) return
      this.#metrics.countUpgrade('switched', 101)
      this.#metrics.webSocketOpened()
      client.once('close', () => this.#metrics.webSocketClosed())
    })
    upstream.once('response', (response: IncomingMessage) => {
      if (this.#unanswered.delete(client)) this.#metrics.countUpgrade('refused', response.statusCode)
    })
  }
}
