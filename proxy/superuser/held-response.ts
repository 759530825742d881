/**
 * An intercepted status (SUPERTRACE_INTERCEPT_STATUSES, default 500) to a request with
 * a session cookie: its body is held while the shared answer (answer.ts) asks whether
 * this is a superuser's, and then while the record is awaited.
 *
 *   holding    the body is held: while Redis is asked (bounded by SUPERTRACE_REDIS_TIMEOUT_MS),
 *              then for a superuser while the record is awaited (at most
 *              SUPERTRACE_TRACE_WAIT_MS, announced or not), and until the body has ended;
 *   original   not a superuser, Redis could not say, or the body outgrew
 *              SUPERTRACE_MAX_BUFFER_BYTES before the page was sent: the app's response
 *              goes out as it came (status, headers, body bytes), and the rest streams through;
 *   page       the debug page replaced the response (or, for an unannounced record that has not
 *              arrived, the "on its way" page), with the app's Set-Cookie headers; the rest
 *              of the body (none, unless the wait for its end ran out) is read and dropped, only to
 *              keep the upstream connection reusable;
 *   abandoned  the client hung up: nothing more is sent, held bytes are let go.
 */
import type { Logger } from '../../core/log.ts'
import { decodeBodyStart } from '../debug-page/decoded-body.ts'
import { header, headerPairs, type OriginalResponse } from '../debug-page/report.ts'
import { LIMITS } from '../limits.ts'
import { SuperuserAnswer, type AnsweredExchange, type AnswerParts, type AnswerSteps, type FoundRecord, type PageContent } from './answer.ts'

/** The status line and headers of the app's response, as they go to the client if it is not a superuser's. */
export interface ResponseHead {
  readonly statusCode: number
  readonly statusMessage: string | undefined
  /** A flat [name, value, …] list, in the app's spelling and order (forward/headers.ts clientHeaders). */
  readonly headers: string[]
}

type State = 'holding' | 'original' | 'page' | 'abandoned'

export class HeldResponse implements AnswerSteps {
  readonly recordWaitMs: number
  readonly noRecordNote: string
  readonly forwardsLateRecord: boolean
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
  /** The app broke the body off (the exchange logged it): whoever gets the original gets it cut too. */
  #isBodyCut = false
  /** When the response was held (performance.now()): the page's wait for the body's end is bounded from here. */
  readonly #heldSince = performance.now()
  /** Settles the page's wait for the body's end, while one is pending. */
  #settleBodyWait: (() => void) | null = null

  constructor (exchange: AnsweredExchange, parts: AnswerParts, head: ResponseHead, isRecordAnnounced: boolean) {
    this.#exchange = exchange
    this.#parts = parts
    this.#head = head
    // Unannounced too: an app that exports OTLP marks nothing, and its spans come after its 500.
    this.recordWaitMs = parts.config.traceWaitMs
    this.noRecordNote = isRecordAnnounced
      ? `The app announced a record, but none arrived within ${this.recordWaitMs} ms (SUPERTRACE_TRACE_WAIT_MS). Is Redis slow, or is the app writing to a different Redis (SUPERTRACE_REDIS_URL)?`
      : `No record arrived within ${this.recordWaitMs} ms (SUPERTRACE_TRACE_WAIT_MS), and the app's 500 carried no record marker: it comes from an app that exports OpenTelemetry (OTLP) to supertrace ingest, or from a Node app without supertrace's instrumentation (is it loaded? \`node --import supertrace/register server.js\`).`
    // An announced record is in Redis before the 500 leaves the app (SUPERTRACE_HOLD_MS): one still missing is not on its way.
    this.forwardsLateRecord = !isRecordAnnounced
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
    this.#bodyWaitOver()
    if (this.#state === 'original') this.#exchange.res.end()
  }

  /** The app broke the body off. */
  onBrokenOff (): void {
    this.#isBodyCut = true
    this.#bodyWaitOver()
    if (this.#state === 'original') this.#exchange.cut()
  }

  /** The client hung up: stop waiting for the record, and let the held body go. */
  abandon (): void {
    this.#state = 'abandoned'
    this.#firstHeld = null
    this.#moreHeld = null
    this.#answer.stopWaiting()
    this.#bodyWaitOver()
  }

  isPageWanted (): boolean {
    return this.#state === 'holding'
  }

  sendToEveryoneElse (): void {
    this.#sendOriginal()
  }

  async pageContent (found: FoundRecord): Promise<PageContent | null> {
    await this.#bodyEnd()
    const original = await this.#original()
    if (this.#state !== 'holding') return null // the body outgrew the buffer, or the client hung up
    this.#state = 'page'
    this.#parts.metrics.countIntercepted('debug_page')
    this.#firstHeld = null
    this.#moreHeld = null
    return { status: this.#head.statusCode, ...found, original, appCookies: this.#appCookies() }
  }

  /**
   * Resolves once the body has ended or broken off, so the page shows all the visitor got: a record
   * can arrive before the last chunk. Also once the response stops being held (the body outgrew
   * SUPERTRACE_MAX_BUFFER_BYTES, the client hung up), and at the latest when SUPERTRACE_TRACE_WAIT_MS
   * has passed since the response was held: the setting already bounds how long a superuser's 500
   * is held for what its page needs, so this wait adds no new bound; past it, the page says
   * "still arriving".
   */
  #bodyEnd (): Promise<void> | undefined {
    const left = this.#heldSince + this.#parts.config.traceWaitMs - performance.now()
    if (this.#hasUpstreamEnded || this.#isBodyCut || this.#state !== 'holding' || left <= 0) return undefined
    const { promise, resolve } = Promise.withResolvers<void>()
    const timer = setTimeout(resolve, left)
    timer.unref()
    this.#settleBodyWait = () => {
      clearTimeout(timer)
      resolve()
    }
    return promise
  }

  #bodyWaitOver (): void {
    const settle = this.#settleBodyWait
    this.#settleBodyWait = null
    settle?.()
  }

  /** The Set-Cookie headers of the app's response, as they came. */
  #appCookies (): string[] {
    const headers = this.#head.headers
    const cookies: string[] = []
    for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === 'set-cookie') cookies.push(headers[i] as string, headers[i + 1] as string)
    return cookies
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
    this.#bodyWaitOver()
    const { res } = this.#exchange
    res.writeHead(this.#head.statusCode, this.#head.statusMessage, this.#head.headers)
    const first = this.#firstHeld
    const more = this.#moreHeld
    this.#firstHeld = null
    this.#moreHeld = null
    if (more === null && first !== null && this.#hasUpstreamEnded) {
      // The usual anonymous 500: whole, in one chunk, already ended: one end() instead of write() then end().
      res.end(first)
      return
    }
    if (first !== null) res.write(first)
    if (more !== null) for (const chunk of more) res.write(chunk)
    if (this.#isBodyCut) this.#exchange.cut()
    else if (this.#hasUpstreamEnded) res.end()
  }

  /** The app's response as held, for the page's "What the user saw". */
  async #original (): Promise<OriginalResponse> {
    const held = this.#firstHeld === null ? Buffer.alloc(0) : this.#moreHeld === null ? this.#firstHeld : Buffer.concat([this.#firstHeld, ...this.#moreHeld])
    const headers = headerPairs(this.#head.headers)
    const encoding = header(headers, 'content-encoding')
    const decodedBody = encoding === undefined ? undefined : await decodeBodyStart(held, encoding, LIMITS.originalBodyBytes)
    return {
      status: this.#head.statusCode,
      statusMessage: this.#head.statusMessage,
      headers,
      body: held.subarray(0, LIMITS.originalBodyBytes),
      bodyBytes: this.#heldBytes,
      isBodyComplete: this.#hasUpstreamEnded,
      isBodyCut: this.#isBodyCut,
      ...(decodedBody === undefined ? {} : { decodedBody }),
    }
  }
}

/** One log line, with the request ID, for a response sent as the app sent it because `what` is over SUPERTRACE_MAX_BUFFER_BYTES. */
export function logTooLongToHold (parts: { readonly logger: Logger, readonly config: Pick<AnswerParts['config'], 'maxBufferBytes'> }, requestId: string, status: number, what: string): void {
  parts.logger.warn(`this ${status} was sent as the app sent it, without a debug page: ${what} is longer than SUPERTRACE_MAX_BUFFER_BYTES (${parts.config.maxBufferBytes} bytes)`, requestId)
}
