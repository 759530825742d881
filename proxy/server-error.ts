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
import type { TraceRecord } from '../core/record.ts'
import { LIMITS } from './debug-page/limits.ts'
import { renderDebugPage, sendPage, sendPageFailure } from './debug-page/render.ts'
import { headerPairs } from './debug-page/report.ts'
import type { Exchange } from './exchange.ts'
import { unreadableRecordNote } from './record-source.ts'

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
  /** Made only when a record is awaited (a superuser's 500): the anonymous 500 never needs one. */
  #abandoned: AbortController | null = null
  #state: State = 'deciding'
  /**
   * The body held while deciding. A small 500 arrives whole, in one chunk: it is held
   * as that one buffer, and an array is made only when a second chunk comes.
   */
  #firstHeld: Buffer | null = null
  #moreHeld: Buffer[] | null = null
  #heldBytes = 0
  /** The start of the app's body, kept for the page's "What the user saw"; taken from the held body once the page is chosen. */
  #preview: Buffer[] = []
  #previewBytes = 0
  #bodyBytes = 0
  #hasUpstreamEnded = false
  #upstreamError: Error | null = null

  constructor (exchange: Exchange, response: HeldResponse, isRecordAnnounced: boolean) {
    this.#exchange = exchange
    this.#response = response
    this.#isRecordAnnounced = isRecordAnnounced
    // Fail closed: the lookup answers true only for a clear yes, and logs whatever kept it from one.
    void exchange.context.superusers.isSuperuser(exchange.req.headers.cookie, exchange.requestId)
      .then((isSuperuser) => {
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
      case 'debug':
        this.#keepPreview(chunk)
        return // the page replaces the body; it is read to its end only to keep the upstream connection reusable
      case 'deciding':
        if (this.#firstHeld === null) this.#firstHeld = chunk
        else (this.#moreHeld ??= []).push(chunk)
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

  #keepPreview (chunk: Buffer): void {
    this.#bodyBytes += chunk.length
    const room = LIMITS.originalBodyBytes - this.#previewBytes
    if (room <= 0) return
    this.#preview.push(chunk.subarray(0, room))
    this.#previewBytes += Math.min(chunk.length, room)
  }

  /** The client hung up: stop waiting for the record. */
  abandon (): void {
    this.#abandoned?.abort()
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
    else this.#exchange.resumeUpstream()
  }

  async #showDebugPage (): Promise<void> {
    this.#exchange.context.metrics.countIntercepted('debug_page')
    this.#state = 'debug'
    if (this.#firstHeld !== null) this.#keepPreview(this.#firstHeld)
    if (this.#moreHeld !== null) for (const chunk of this.#moreHeld) this.#keepPreview(chunk)
    this.#firstHeld = null
    this.#moreHeld = null
    this.#exchange.resumeUpstream()
    if (this.#exchange.isClientGone) return
    const abandoned = new AbortController()
    this.#abandoned = abandoned
    const { context, req, res, requestId } = this.#exchange
    const waitMs = this.#isRecordAnnounced ? context.config.traceWaitMs : 0
    let record: TraceRecord | null = null
    let missingRecord: string | null = null
    try {
      record = (await context.records.find(requestId, waitMs, abandoned.signal)) ?? null
      if (record === null) {
        missingRecord = this.#isRecordAnnounced
          ? `The app announced a record, but none arrived within ${waitMs} ms (SUPERTRACE_TRACE_WAIT_MS). Is Redis slow, or is the app writing to a different Redis (SUPERTRACE_REDIS_URL)?`
          : 'The app\'s 500 carried no record marker. Is the instrumentation loaded? Start the app with `node --import supertrace/register server.js`.'
      }
    } catch (err) {
      context.logger.error('the record could not be read', err, requestId)
      missingRecord = unreadableRecordNote(err)
    }
    if (this.#exchange.isClientGone) return
    const original = this.#response
    const page = renderDebugPage({
      requestId,
      request: { method: req.method ?? 'GET', url: req.url ?? '/' },
      status: original.statusCode,
      record,
      missingRecord,
      original: {
        status: original.statusCode,
        statusMessage: original.statusMessage,
        headers: headerPairs(original.headers),
        body: Buffer.concat(this.#preview),
        bodyBytes: this.#bodyBytes,
        isBodyComplete: this.#hasUpstreamEnded,
      },
    }, context.pageOptions, req.headers.accept)
    sendPage(res, 500, page, req.method, requestId)
    context.metrics.countDebugPage('live')
  }
}
