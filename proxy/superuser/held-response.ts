/**
 * An intercepted status (SUPERTRACE_INTERCEPT_STATUSES, default 500) to a request with
 * a session cookie: its body is held while the shared answer (answer.ts) asks whether
 * this is a superuser's, and then while the record is awaited.
 *
 *   holding    the body is held: while Redis is asked (bounded by SUPERTRACE_REDIS_TIMEOUT_MS),
 *              then for a superuser while the record is awaited (at most
 *              SUPERTRACE_TRACE_WAIT_MS for one the app announced);
 *   original   not a superuser, Redis could not say, or the body outgrew
 *              SUPERTRACE_MAX_BUFFER_BYTES before the page was sent: the app's response
 *              goes out as it came (status, headers, body bytes), and the rest streams through;
 *   page       the debug page replaced the response; the rest of the body is read and
 *              dropped, only to keep the upstream connection reusable;
 *   abandoned  the client hung up: nothing more is sent, held bytes are let go.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import type { Logger } from '../../core/log.ts'
import { decodeBodyStart } from '../debug-page/decoded-body.ts'
import { headerPairs, type OriginalResponse } from '../debug-page/report.ts'
import { LIMITS } from '../limits.ts'
import { SuperuserAnswer, type AnsweredExchange, type AnswerParts, type AnswerSteps, type FoundRecord, type PageContent } from './answer.ts'

/** The status line and headers of the app's response, as they go to the client if it is not a superuser's. */
export interface ResponseHead {
  readonly statusCode: number
  readonly statusMessage: string | undefined
  readonly headers: OutgoingHttpHeaders
}

type State = 'holding' | 'original' | 'page' | 'abandoned'

export class HeldResponse implements AnswerSteps {
  readonly recordWaitMs: number
  readonly noRecordNote: string
  readonly #exchange: AnsweredExchange
  readonly #parts: AnswerParts
  readonly #head: ResponseHead
  readonly #answer: SuperuserAnswer
  #state: State = 'holding'
  /**
   * The body held. A small 500 arrives whole, in one chunk: it is held as that
   * one buffer, and an array is made only when a second chunk comes.
   */
  #firstHeld: Buffer | null = null
  #moreHeld: Buffer[] | null = null
  #heldBytes = 0
  #hasUpstreamEnded = false
  #upstreamError: Error | null = null

  constructor (exchange: AnsweredExchange, parts: AnswerParts, head: ResponseHead, isRecordAnnounced: boolean) {
    this.#exchange = exchange
    this.#parts = parts
    this.#head = head
    this.recordWaitMs = isRecordAnnounced ? parts.config.traceWaitMs : 0
    this.noRecordNote = isRecordAnnounced
      ? `The app announced a record, but none arrived within ${this.recordWaitMs} ms (SUPERTRACE_TRACE_WAIT_MS). Is Redis slow, or is the app writing to a different Redis (SUPERTRACE_REDIS_URL)?`
      : 'The app\'s 500 carried no record marker. Is the instrumentation loaded? Start the app with `node --import supertrace/register server.js`.'
    this.#answer = new SuperuserAnswer(exchange, parts, this)
  }

  onData (chunk: Buffer): void {
    switch (this.#state) {
      case 'original':
        this.#exchange.write(chunk)
        return
      case 'holding':
        if (this.#firstHeld === null) this.#firstHeld = chunk
        else (this.#moreHeld ??= []).push(chunk)
        this.#heldBytes += chunk.length
        if (this.#heldBytes > this.#parts.config.maxBufferBytes) this.#outgrown()
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
    this.#answer.stopWaiting()
  }

  isPageWanted (): boolean {
    return this.#state === 'holding'
  }

  sendToEveryoneElse (): void {
    this.#sendOriginal()
  }

  async pageContent (found: FoundRecord): Promise<PageContent | null> {
    const original = await this.#original()
    if (this.#state !== 'holding') return null // the body outgrew the buffer, or the client hung up
    this.#state = 'page'
    this.#parts.metrics.countIntercepted('debug_page')
    this.#firstHeld = null
    this.#moreHeld = null
    return { status: this.#head.statusCode, ...found, original }
  }

  /** Too long to hold: the app's response goes to this client as it is, superuser or not, and the log says why. */
  #outgrown (): void {
    logTooLongToHold(this.#parts, this.#exchange.requestId, this.#head.statusCode, 'its body')
    this.#answer.stopWaiting()
    this.#sendOriginal()
  }

  #sendOriginal (): void {
    this.#parts.metrics.countIntercepted('original')
    if (this.#exchange.isClientGone) return
    this.#state = 'original'
    const { res } = this.#exchange
    res.writeHead(this.#head.statusCode, this.#head.statusMessage, this.#head.headers)
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

  /** The app's response as held, for the page's "What the user saw". */
  async #original (): Promise<OriginalResponse> {
    const held = this.#firstHeld === null ? Buffer.alloc(0) : this.#moreHeld === null ? this.#firstHeld : Buffer.concat([this.#firstHeld, ...this.#moreHeld])
    const encoding = this.#head.headers['content-encoding']
    const decodedBody = typeof encoding === 'string' ? await decodeBodyStart(held, encoding, LIMITS.originalBodyBytes) : undefined
    return {
      status: this.#head.statusCode,
      statusMessage: this.#head.statusMessage,
      headers: headerPairs(this.#head.headers),
      body: held.subarray(0, LIMITS.originalBodyBytes),
      bodyBytes: this.#heldBytes,
      isBodyComplete: this.#hasUpstreamEnded,
      isBodyCut: this.#upstreamError !== null,
      ...(decodedBody === undefined ? {} : { decodedBody }),
    }
  }
}

/** One log line, with the request ID, for a response sent as the app sent it because `what` is over SUPERTRACE_MAX_BUFFER_BYTES. */
export function logTooLongToHold (parts: { readonly logger: Logger, readonly config: Pick<AnswerParts['config'], 'maxBufferBytes'> }, requestId: string, status: number, what: string): void {
  parts.logger.warn(`this ${status} was sent as the app sent it, without a debug page: ${what} is longer than SUPERTRACE_MAX_BUFFER_BYTES (${parts.config.maxBufferBytes} bytes)`, requestId)
}
