/**
 * A failure before the response began (forward/upstream-failure.ts), to a request with
 * a session cookie: a superuser gets a debug page saying what failed, with the
 * request's record when the app stored one (a handler that failed and never answered,
 * a process that crashed); everyone else the plain 502 or 504.
 */
import { sendFailure, type UpstreamFailure } from '../forward/upstream-failure.ts'
import { SuperuserAnswer, type AnsweredExchange, type AnswerParts, type AnswerSteps, type FoundRecord, type PageContent } from './answer.ts'

export class UpstreamFailureAnswer implements AnswerSteps {
  readonly recordWaitMs: number
  readonly noRecordNote: string
  /** The page says what failed, which matters more than a record that may never come. */
  readonly forwardsLateRecord = false
  readonly #exchange: AnsweredExchange
  readonly #failure: UpstreamFailure
  readonly #answer: SuperuserAnswer

  constructor (exchange: AnsweredExchange, parts: AnswerParts, failure: UpstreamFailure) {
    this.#exchange = exchange
    this.#failure = failure
    this.recordWaitMs = failure.mayHaveReachedApp ? parts.config.traceWaitMs : 0
    this.noRecordNote = failure.mayHaveReachedApp
      ? `No record of this request arrived within ${this.recordWaitMs} ms (SUPERTRACE_TRACE_WAIT_MS): the app may still be working on it, or it failed without an exception the instrumentation saw.`
      : 'The request never reached the app, so it has no record.'
    this.#answer = new SuperuserAnswer(exchange, parts, this)
  }

  /** The client hung up: stop waiting for the record. */
  abandon (): void {
    this.#answer.stopWaiting()
  }

  isPageWanted (): boolean {
    return true
  }

  sendToEveryoneElse (): void {
    sendFailure(this.#exchange.res, this.#exchange.requestId, this.#failure)
  }

  pageContent (found: FoundRecord): PageContent {
    return { status: this.#failure.status, ...found, original: null, upstreamFailure: this.#failure.view }
  }
}
