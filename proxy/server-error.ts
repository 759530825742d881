/**
 * A 500 to a request with a session cookie: is it a superuser's?
 *
 *   deciding  the body is held (up to SUPERTRACE_MAX_BUFFER_BYTES, then the upstream
 *             is paused) while Redis is asked, bounded by SUPERTRACE_REDIS_TIMEOUT_MS;
 *   original  not a superuser, or Redis could not say: the app's 500 goes out as it
 *             came (status, headers, body bytes), and the rest streams through;
 *   debug     a superuser: the record is fetched (waiting at most SUPERTRACE_TRACE_WAIT_MS
 *             for one the app announced) and the debug page replaces the 500.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { RecordFormatError } from '../core/errors.ts'
import type { TraceRecord } from '../core/record.ts'
import { renderHtml, renderJson, wantsJson, type DebugReport } from './debug-page.ts'
import type { Exchange } from './exchange.ts'

export interface HeldResponse {
  readonly statusCode: number
  readonly statusMessage: string | undefined
  readonly headers: OutgoingHttpHeaders
}

type State = 'deciding' | 'original' | 'debug'

export class ServerErrorInterception {
  readonly #exchange: Exchange
  readonly #response: HeldResponse
  readonly #isRecordAnnounced: boolean
  readonly #abandoned = new AbortController()
  #state: State = 'deciding'
  #held: Buffer[] = []
  #heldBytes = 0
  #hasUpstreamEnded = false
  #upstreamError: Error | null = null

  constructor (exchange: Exchange, response: HeldResponse, isRecordAnnounced: boolean) {
    this.#exchange = exchange
    this.#response = response
    this.#isRecordAnnounced = isRecordAnnounced
    // Fail closed: the lookup answers true only for a clear yes, and logs whatever kept it from one.
    void exchange.context.superusers.isSuperuser(exchange.req.headers.cookie, exchange.requestId)
      .then((isSuperuser) => (isSuperuser ? this.#showDebugPage() : this.#sendOriginal()))
  }

  onData (chunk: Buffer): void {
    switch (this.#state) {
      case 'original':
        this.#exchange.write(chunk)
        return
      case 'debug':
        return // the page replaces the body; it is read to its end only to keep the upstream connection reusable
      case 'deciding':
        this.#held.push(chunk)
        this.#heldBytes += chunk.length
        if (this.#heldBytes > this.#exchange.context.config.maxBufferBytes) this.#exchange.pauseUpstream()
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

  /** The client hung up: stop waiting for the record. */
  abandon (): void {
    this.#abandoned.abort()
  }

  #sendOriginal (): void {
    if (this.#exchange.isClientGone) return
    this.#state = 'original'
    const { res } = this.#exchange
    res.writeHead(this.#response.statusCode, this.#response.statusMessage, this.#response.headers)
    for (const chunk of this.#held) res.write(chunk)
    this.#held = []
    if (this.#upstreamError !== null) this.#exchange.fail(this.#upstreamError)
    else if (this.#hasUpstreamEnded) res.end()
    else this.#exchange.resumeUpstream()
  }

  async #showDebugPage (): Promise<void> {
    this.#state = 'debug'
    this.#held = []
    this.#exchange.resumeUpstream()
    const { context, req, res, requestId } = this.#exchange
    const waitMs = this.#isRecordAnnounced ? context.config.traceWaitMs : 0
    let record: TraceRecord | null = null
    let missingRecord: string | null = null
    try {
      record = (await context.records.find(requestId, waitMs, this.#abandoned.signal)) ?? null
      if (record === null) {
        missingRecord = this.#isRecordAnnounced
          ? `The app announced a record, but none arrived within ${waitMs} ms (SUPERTRACE_TRACE_WAIT_MS). Is Redis slow, or is the app writing to a different Redis (SUPERTRACE_REDIS_URL)?`
          : 'The app\'s 500 carried no record marker. Is the instrumentation loaded? Start the app with `node --import supertrace/register server.js`.'
      }
    } catch (err) {
      context.logger.error('the record could not be read', err, requestId)
      missingRecord = err instanceof RecordFormatError
        ? `The stored record could not be read: ${err.message}. Are the app's and the proxy's supertrace versions compatible?`
        : 'Redis failed while the record was being read; see the proxy\'s log.'
    }
    if (this.#exchange.isClientGone) return
    const report: DebugReport = {
      requestId,
      request: { method: req.method ?? 'GET', url: req.url ?? '/' },
      status: this.#response.statusCode,
      record,
      missingRecord,
    }
    const page = wantsJson(req.headers.accept) ? renderJson(report) : renderHtml(report)
    res.writeHead(500, page.headers)
    res.end(req.method === 'HEAD' ? undefined : page.body)
  }
}
