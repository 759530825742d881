/**
 * One request forwarded upstream through undici's `dispatch()`, and its response
 * relayed back: the seam between the proxy and its forwarding engine. A response
 * whose status is not intercepted (SUPERTRACE_INTERCEPT_STATUSES), or that goes to a
 * request with no session cookie, is piped straight through, chunk by chunk, with
 * backpressure; an intercepted one to a session is held (superuser/held-response.ts).
 * No response at all (refused, reset, too slow) gets a 502 or 504
 * (upstream-failure.ts), or a superuser's page (superuser/upstream-failure-answer.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { UpstreamError } from '../../core/errors.ts'
import { RECORD_HEADER } from '../../core/protocol.ts'
import type { ProxyContext } from '../context.ts'
import type { AnsweredExchange } from '../superuser/answer.ts'
import { HeldResponse, logTooLongToHold } from '../superuser/held-response.ts'
import { UpstreamFailureAnswer } from '../superuser/upstream-failure-answer.ts'
import { clientHeaders } from './headers.ts'
import { describeUpstreamFailure, sendFailure } from './upstream-failure.ts'

const kExchange = Symbol('supertrace.exchange')
type TrackedResponse = ServerResponse & { [kExchange]?: Exchange }

export class Exchange implements Dispatcher.DispatchHandler, AnsweredExchange {
  readonly context: ProxyContext
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly requestId: string
  #controller: Dispatcher.DispatchController | null = null
  #held: HeldResponse | null = null
  /** What waits on Redis for this request (a held 500, an upstream failure's page), told when the client hangs up. */
  #waiting: { abandon (): void } | null = null
  #isClientGone = false
  /** The response's status once it began (0 before): a failure after that cannot be a 502. */
  #statusCode = 0
  #wholeBodyLength = -1
  /** Body bytes received, for the log when the app breaks the response off. */
  #bodyBytes = 0
  #hasEnded = false

  constructor (context: ProxyContext, req: IncomingMessage, res: ServerResponse, requestId: string) {
    this.context = context
    this.req = req
    this.res = res
    this.requestId = requestId
    // One shared listener that finds its exchange on the response: no closure and no once-wrapper per request.
    ;(res as TrackedResponse)[kExchange] = this
    res.on('close', Exchange.#onResponseClose)
  }

  static readonly #onResponseClose = function (this: TrackedResponse): void {
    const exchange = this[kExchange]
    if (exchange !== undefined) exchange.#onClientClose()
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#isClientGone) controller.abort(new UpstreamError('the client closed the connection'))
  }

  onResponseStart (controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return // 1xx: Node answers the client's Expect itself
    this.#statusCode = statusCode
    const out = clientHeaders(controller.rawHeaders, headers, this.requestId)
    const length = headers['content-length']
    if (typeof length === 'string') this.#wholeBodyLength = Number(length)
    // Only an intercepted status (one table read) to someone with a session can become a debug page; only then is the cookie read.
    if (this.context.config.interceptStatuses.includes(statusCode) && this.context.superusers.hasSessionCookie(this.req.headers.cookie)) {
      // A HEAD's Content-Length is the GET body's: there is nothing to hold.
      if (this.#wholeBodyLength <= this.context.config.maxBufferBytes || this.req.method === 'HEAD') {
        this.#held = this.#waiting = new HeldResponse(this, this.context, { statusCode, statusMessage, headers: out }, headers[RECORD_HEADER] !== undefined)
        return
      }
      logTooLongToHold(this.context, this.requestId, statusCode, `its Content-Length (${this.#wholeBodyLength})`)
    }
    this.res.writeHead(statusCode, statusMessage, out)
  }

  onResponseData (_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bodyBytes += chunk.length
    if (this.#held !== null) this.#held.onData(chunk)
    else if (chunk.length === this.#wholeBodyLength) {
      // The whole body in one chunk (most small responses): one end() instead of write() then end().
      this.#hasEnded = true
      this.res.end(chunk)
    } else this.write(chunk)
  }

  onResponseEnd (): void {
    if (this.#held !== null) this.#held.onEnd()
    else if (!this.#hasEnded) this.res.end()
  }

  /**
   * The upstream failed, logged once. Before the response began: a 502 or 504 (a debug page for a
   * superuser). After: the log says how far it got, and the client's copy is cut (a held one when it
   * goes out), so it cannot mistake a partial body for a whole one.
   */
  onResponseError (_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#isClientGone) return
    const hasBegun = this.#statusCode !== 0
    const progress = hasBegun ? { status: this.#statusCode, bodyBytes: this.#bodyBytes, contentLength: this.#wholeBodyLength } : undefined
    const failure = describeUpstreamFailure(error, this.context.config, `${this.req.method} ${this.req.url}`, progress)
    this.context.logger.error('the upstream request failed', failure.error, this.requestId)
    if (hasBegun) {
      if (this.#held === null) this.cut()
      else this.#held.onBrokenOff()
    } else if (this.context.superusers.hasSessionCookie(this.req.headers.cookie)) this.#waiting = new UpstreamFailureAnswer(this, this.context, failure)
    else sendFailure(this.res, this.requestId, failure)
  }

  /** Writes to the client, pausing the upstream until the client has room again. */
  write (chunk: Buffer): void {
    if (this.res.write(chunk)) return
    this.pauseUpstream()
    this.res.once('drain', () => this.resumeUpstream())
  }

  pauseUpstream (): void {
    this.#controller?.pause()
  }

  resumeUpstream (): void {
    this.#controller?.resume()
  }

  /** Ends the client's connection mid-response, so it cannot mistake a partial body for a whole one. */
  cut (): void {
    this.res.destroy()
  }

  get isClientGone (): boolean {
    return this.#isClientGone
  }

  #onClientClose (): void {
    if (this.res.writableFinished) return
    this.#isClientGone = true
    this.#waiting?.abandon()
    this.#controller?.abort(new UpstreamError('the client closed the connection'))
  }
}
