/**
 * Is the upstream reachable? A TCP connect to its host and port, bounded by a
 * timeout well under Kubernetes' default 1 s probe timeout. Its answer is kept for a
 * second, and probes that arrive together share one connect, so a probe storm costs
 * the app at most one connection a second.
 */
import { connect } from 'node:net'

const CONNECT_TIMEOUT_MS = 500
const ANSWER_KEPT_MS = 1000

export class UpstreamProbe {
  readonly #host: string
  readonly #port: number
  #pending: Promise<boolean> | null = null
  #answer = false
  #answeredAt = -Infinity

  constructor (upstream: URL) {
    // URL keeps an IPv6 address in brackets ([::1]); connect() wants it bare.
    this.#host = upstream.hostname.replace(/^\[(.*)\]$/, '$1')
    this.#port = upstream.port === '' ? 80 : Number(upstream.port)
  }

  isReachable (): Promise<boolean> {
    if (performance.now() - this.#answeredAt < ANSWER_KEPT_MS) return Promise.resolve(this.#answer)
    this.#pending ??= this.#connect().then((answer) => {
      this.#answer = answer
      this.#answeredAt = performance.now()
      this.#pending = null
      return answer
    })
    return this.#pending
  }

  #connect (): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.#host, port: this.#port, timeout: CONNECT_TIMEOUT_MS })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('timeout', () => { socket.destroy(); resolve(false) })
      socket.once('error', () => { socket.destroy(); resolve(false) })
    })
  }
}
