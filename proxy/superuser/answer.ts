/**
 * The flow a held 500 and an upstream failure share, once a request with a session
 * cookie needs an answer: is it a superuser's? Not one (or Redis could not say): the
 * answer everyone else gets. One: find the request's record (waiting a bounded time
 * for one still being written), then render the page in the format the request
 * accepts and send it; with the request as the proxy saw it when the record does not
 * hold it (made from spans) or there is none. A client that hangs up stops the wait at once.
 *
 * The answers see the exchange only through `AnsweredExchange` and the proxy only
 * through `AnswerParts`: what they really use of each.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../core/log.ts'
import type { TraceRecord } from '../../core/record.ts'
import type { ProxyConfig } from '../config.ts'
import { renderPendingPage } from '../debug-page/pending.ts'
import { renderDebugPage, sendPage, sendPageFailure } from '../debug-page/render.ts'
import type { OriginalResponse, PageOptions, UpstreamFailureView } from '../debug-page/report.ts'
import type { SuperuserLookup } from '../lookup/lookup.ts'
import type { ProxyMetrics } from '../operations/metrics.ts'
import type { ProxyViews } from './proxy-views.ts'
import { unreadableRecordNote, type RecordSource } from './record-source.ts'

/** What an answer uses of the exchange it answers (forward/exchange.ts implements it). */
export interface AnsweredExchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly requestId: string
  readonly isClientGone: boolean
  /** Relays a chunk of the app's body to the client, with backpressure. */
  write (chunk: Buffer): void
  /** The app's response broke off after it began going to the client: end the client's connection mid-response. */
  cut (): void
}

/** What an answer uses of the running proxy (ProxyContext has all of it). */
export interface AnswerParts {
  readonly config: Pick<ProxyConfig, 'traceWaitMs' | 'maxBufferBytes'>
  readonly superusers: Pick<SuperuserLookup, 'isSuperuser'>
  readonly records: Pick<RecordSource, 'find'>
  readonly proxyViews: Pick<ProxyViews, 'keep'>
  readonly logger: Logger
  readonly metrics: Pick<ProxyMetrics, 'countDebugPage' | 'countIntercepted'>
  /** How debug pages are made: the source-link template and the redaction rules, fixed at start-up. */
  readonly pageOptions: PageOptions
}

export interface FoundRecord {
  readonly record: TraceRecord | null
  /** Why there is no record, when there is none. */
  readonly missingRecord: string | null
  /** None arrived within the wait (rather than one Redis could not give): it may still come. */
  readonly isLate: boolean
}

export interface PageContent extends FoundRecord {
  readonly status: number
  readonly original: OriginalResponse | null
  readonly upstreamFailure?: UpstreamFailureView
  /** The app's Set-Cookie headers, a flat [name, value, …] list: the page sets them as the app's response would have. */
  readonly appCookies?: readonly string[]
}

/** Where one answer differs from the other. */
export interface AnswerSteps {
  /** How long to wait for a record that may still be on its way (0: read once). */
  readonly recordWaitMs: number
  /** The page's note when no record arrives within that wait. */
  readonly noRecordNote: string
  /**
   * When no record arrives within that wait, send the "on its way" page (debug-page/pending.ts),
   * which forwards to the request's permanent page to wait on, rather than a page without a record.
   */
  readonly forwardsLateRecord: boolean
  /** Whether the page is still wanted: not once the response went out another way. */
  isPageWanted (): boolean
  /** Not a superuser, or Redis could not say. */
  sendToEveryoneElse (): void
  /** The page's content for the record found; null when the page is no longer wanted. */
  pageContent (found: FoundRecord): PageContent | null | Promise<PageContent | null>
}

export class SuperuserAnswer {
  readonly #exchange: AnsweredExchange
  readonly #parts: AnswerParts
  readonly #steps: AnswerSteps
  /** Made only once the answer is a superuser's: everyone else's never waits on a record. */
  #stopWaiting: AbortController | null = null

  constructor (exchange: AnsweredExchange, parts: AnswerParts, steps: AnswerSteps) {
    this.#exchange = exchange
    this.#parts = parts
    this.#steps = steps
    const { req, res, requestId } = exchange
    // Fail closed: the lookup answers true only for a clear yes, and logs whatever kept it from one.
    void parts.superusers.isSuperuser(req.headers.cookie, requestId)
      .then(async (isSuperuser) => {
        if (!this.#isPageWanted()) return
        if (!isSuperuser) return steps.sendToEveryoneElse()
        await this.#sendPage()
      })
      // Never an unhandled rejection: that would end the proxy for everyone.
      .catch((err: unknown) => { sendPageFailure(res, err, parts.logger, requestId) })
  }

  /** The client hung up, or the response went out another way: stop waiting for the record. */
  stopWaiting (): void {
    this.#stopWaiting?.abort()
  }

  #isPageWanted (): boolean {
    return !this.#exchange.isClientGone && this.#steps.isPageWanted()
  }

  async #sendPage (): Promise<void> {
    this.#stopWaiting = new AbortController()
    const found = await findRecord(this.#exchange.requestId, this.#parts, this.#steps.recordWaitMs, this.#stopWaiting.signal, this.#steps.noRecordNote)
    if (!this.#isPageWanted()) return
    const content = await this.#steps.pageContent(found)
    if (content === null || this.#exchange.isClientGone) return
    const { req, res, requestId } = this.#exchange
    const proxyView = found.record === null || found.record.request.source === 'spans' ? this.#parts.proxyViews.keep(requestId, req) : undefined
    if (found.isLate && this.#steps.forwardsLateRecord) {
      const next = `${this.#parts.pageOptions.pagesPrefix}/requests/${requestId}?wait=1`
      const page = renderPendingPage({ requestId, status: content.status, reason: found.missingRecord ?? '', next, proxyView, original: content.original }, this.#parts.pageOptions, req.headers.accept)
      sendPage(res, content.status, page, req.method, requestId, content.appCookies)
      this.#parts.metrics.countDebugPage('pending')
      return
    }
    const page = renderDebugPage({ requestId, request: { method: req.method ?? 'GET', url: req.url ?? '/' }, ...content, ...(proxyView === undefined ? {} : { proxyView }) }, this.#parts.pageOptions, req.headers.accept)
    sendPage(res, content.status, page, req.method, requestId, content.appCookies)
    this.#parts.metrics.countDebugPage('live')
  }
}

/**
 * The record of `requestId`; `noRecordNote` is the page's note when none arrives within `waitMs`.
 * A failure is logged under `logId`, the request being answered.
 */
export async function findRecord (requestId: string, parts: Pick<AnswerParts, 'records' | 'logger'>, waitMs: number, signal: AbortSignal, noRecordNote: string, logId = requestId): Promise<FoundRecord> {
  try {
    const record = await parts.records.find(requestId, waitMs, signal)
    return record === undefined ? { record: null, missingRecord: noRecordNote, isLate: true } : { record, missingRecord: null, isLate: false }
  } catch (err) {
    parts.logger.error('the record could not be read', err, logId)
    return { record: null, missingRecord: unreadableRecordNote(err), isLate: false }
  }
}
