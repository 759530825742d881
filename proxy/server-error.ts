/**
 * An intercepted status (SUPERTRACE_INTERCEPT_STATUSES, default 500) to a request with
 * a session cookie: is it a superuser's?
 *
 *   deciding   the body is held while Redis is asked, bounded by SUPERTRACE_REDIS_TIMEOUT_MS;
 *   waiting    a superuser: the body is still held while the record is awaited (at most
 *              SUPERTRACE_TRACE_WAIT_MS for one the app announced);
 *   original   not a superuser, Redis could not say, or the body outgrew
 *              SUPERTRACE_MAX_BUFFER_BYTES before the page was sent: the app's response
 *              goes out as it came (status, headers, body bytes), and the rest streams through;
 *   page       the debug page replaced the response; the rest of the body is read and
 *              dropped, only to keep the upstream connection reusable;
 *   abandoned  the client hung up: nothing more is sent, held bytes are let go.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { decodeBodyStart } from './debug-page/decoded-body.ts'
import { LIMITS } from './debug-page/limits.ts'
import { sendPageFailure } from './debug-page/render.ts'
import { headerPairs, type OriginalResponse } from './debug-page/report.ts'
import type { Exchange } from './exchange.ts'
import { findRecord, sendSuperuserPage } from './superuser-page.ts'

export interface HeldResponse {
  readonly statusCode: number
  readonly statusMessage: string | undefined
  readonly headers: OutgoingHttpHeaders
}

type State = 'deciding' | 'waiting' | 'original' | 'page' | 'abandoned'

export class ServerErrorInterception {
  readonly #exchange: Exchange
  readonly #response: HeldResponse
  readonly #isRecordAnnounced: boolean
  /** Made only when a record is awaited (a superuser's 500): the anonymous 500 never needs one. */
  #stopWaiting: AbortController | null = null
  #state: State = 'deciding'
  /**
   * The body held while deciding and waiting. A small 500 arrives whole, in one chunk:
   * it is held as that one buffer, and an array is made only when a second chunk comes.
   */
  #firstHeld: Buffer | null = null
  #moreHeld: Buffer[] | null = null
  #heldBytes = 0
  #hasUpstreamEnded = false
  #upstreamError: Error | null = null

  constructor (exchange: Exchange, response: HeldResponse, isRecordAnnounced: boolean) {
    this.#exchange = exchange
    this.#response = response
    this.#isRecordAnnounced = isRecordAnnounced
    // Fail closed: the lookup answers true only for a clear yes, and logs whatever kept it from one.
    void exchange.context.superusers.isSuperuser(exchange.req.headers.cookie, exchange.requestId)
      .then((isSuperuser) => {
        if (this.#state !== 'deciding') return
        if (!isSuperuser) return this.#sendOriginal()
        // Never an unhandled rejection: that would end the proxy for everyone.
        return this.#showDebugPage().catch((err: unknown) => { sendPageFailure(exchange.res, err, exchange.context.logger, exchange.requestId) })
      })
  }

  onData (chunk: Buffer): void {
    switch (this.#state) {
      case 'original':
        this.#exchange.write(chunk)
        return
      case 'deciding':
      case 'waiting':
        if (this.#firstHeld === null) this.#firstHeld = chunk
        else (this.#moreHeld ??= []).push(chunk)
        this.#heldBytes += chunk.length
        if (this.#heldBytes > this.#exchange.context.config.maxBufferBytes) this.#outgrown()
        return
      default:
        // page or abandoned: read to the end only to keep the upstream connection reusable
    }
  }

  onEnd (): void {
    this.#hasUpstreamEnded = true
    if (this.#state === 'original') this.#exchange.res.end()
  }

  onError (error: Error): void {
    this.#upstreamError = error
    if (this.#state === 'original') this.#exchange.fail(error)
  }

  /** The client hung up: stop waiting for the record, and let the held body go. */
  abandon (): void {
    this.#state = 'abandoned'
    this.#firstHeld = null
    this.#moreHeld = null
    this.#stopWaiting?.abort()
  }

  /** Too long to hold: the app's response goes to this client as it is, superuser or not, and the log says why. */
  #outgrown (): void {
    logTooLongToHold(this.#exchange, this.#response.statusCode, 'its body')
    this.#stopWaiting?.abort()
    this.#sendOriginal()
  }

  #sendOriginal (): void {
    this.#exchange.context.metrics.countIntercepted('original')
    if (this.#exchange.isClientGone) return
    this.#state = 'original'
    const { res } = this.#exchange
    res.writeHead(this.#response.statusCode, this.#response.statusMessage, this.#response.headers)
    const first = this.#firstHeld
    const more = this.#moreHeld
    this.#firstHeld = null
    this.#moreHeld = null
    if (more === null && first !== null && this.#hasUpstreamEnded && this.#upstreamError === null) {
      // The usual anonymous 500: whole, in one chunk, already ended: one end() instead of write() then end().
      res.end(first)
      return
    }
    if (first !== null) res.write(first)
    if (more !== null) for (const chunk of more) res.write(chunk)
    if (this.#upstreamError !== null) this.#exchange.fail(this.#upstreamError)
    else if (this.#hasUpstreamEnded) res.end()
  }

  async #showDebugPage (): Promise<void> {
    if (this.#exchange.isClientGone) return
    this.#state = 'waiting'
    const stopWaiting = new AbortController()
    this.#stopWaiting = stopWaiting
    const waitMs = this.#isRecordAnnounced ? this.#exchange.context.config.traceWaitMs : 0
    const found = await findRecord(this.#exchange, waitMs, stopWaiting.signal, this.#isRecordAnnounced
      ? `The app announced a record, but none arrived within ${waitMs} ms (SUPERTRACE_TRACE_WAIT_MS). Is Redis slow, or is the app writing to a different Redis (SUPERTRACE_REDIS_URL)?`
      : 'The app\'s 500 carried no record marker. Is the instrumentation loaded? Start the app with `node --import supertrace/register server.js`.')
    if (this.#state !== 'waiting') return // the body outgrew the buffer, or the client hung up
    const original = await this.#original()
    if (this.#state !== 'waiting') return
    this.#state = 'page'
    this.#exchange.context.metrics.countIntercepted('debug_page')
    this.#firstHeld = null
    this.#moreHeld = null
    sendSuperuserPage(this.#exchange, { status: this.#response.statusCode, ...found, original })
  }

  /** The app's response as held, for the page's "What the user saw". */
  async #original (): Promise<OriginalResponse> {
    const held = this.#firstHeld === null ? Buffer.alloc(0) : this.#moreHeld === null ? this.#firstHeld : Buffer.concat([this.#firstHeld, ...this.#moreHeld])
    const encoding = this.#response.headers['content-encoding']
    const decodedBody = typeof encoding === 'string' ? await decodeBodyStart(held, encoding, LIMITS.originalBodyBytes) : undefined
    return {
      status: this.#response.statusCode,
      statusMessage: this.#response.statusMessage,
      headers: headerPairs(this.#response.headers),
      body: held.subarray(0, LIMITS.originalBodyBytes),
      bodyBytes: this.#heldBytes,
      isBodyComplete: this.#hasUpstreamEnded,
      isBodyCut: this.#upstreamError !== null,
      ...(decodedBody === undefined ? {} : { decodedBody }),
    }
  }
}

/** One log line, with the request ID, for a response sent as the app sent it because `what` is over SUPERTRACE_MAX_BUFFER_BYTES. */
export function logTooLongToHold (exchange: Exchange, status: number, what: string): void {
  const { context, requestId } = exchange
  context.logger.warn(`this ${status} was sent as the app sent it, without a debug page: ${what} is longer than SUPERTRACE_MAX_BUFFER_BYTES (${context.config.maxBufferBytes} bytes)`, requestId)
}
