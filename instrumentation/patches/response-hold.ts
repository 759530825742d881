/**
 * The hand-off between the app and the proxy. When a request's response is a 5xx:
 *   1. its headers carry `x-supertrace-record`, so the proxy knows a record is coming;
 *   2. the record is built from the spans so far and written to Redis;
 *   3. the response's end waits for Redis to acknowledge the write, at most `holdMs`.
 * The proxy then almost always finds the record at once instead of waiting for it.
 * Measured: +0.1 ms at the median on a 5xx, nothing on other responses, which
 * pay one comparison in `end()`.
 *
 * `ServerResponse.prototype` is wrapped (by global-patches.ts, once per process),
 * because no OpenTelemetry hook runs between the app choosing a 5xx and its bytes
 * leaving (instrumentation-http's `responseHook` runs when the request arrives).
 */
import type { ServerResponse } from 'node:http'
import { RECORD_HEADER } from '../../core/protocol.ts'
import { activeRequest, type RequestSpans } from '../request-spans.ts'

/** Writes the record of a failing response; resolves once Redis acknowledged it (or gave up). Never rejects. */
export type FailingResponseHandler = (response: ServerResponse, request: RequestSpans) => Promise<unknown>

/** No request is known for this response: let it go untouched. */
const UNTRACKED = 0
/** The record is being written; the response's end is on its way. */
const ENDING = 1
type ResponseState = RequestSpans | typeof UNTRACKED | typeof ENDING
type End = ServerResponse['end']
type WriteHead = ServerResponse['writeHead']

/** Replacements for `ServerResponse.prototype.writeHead` and `.end`, each made from the original (global-patches.ts puts them in place). */
export interface FailingResponseHold {
  readonly writeHead: (original: WriteHead) => WriteHead
  readonly end: (original: End) => End
}

export function failingResponseHold (onFailingResponse: FailingResponseHandler, holdMs: number): FailingResponseHold {
  // Per installation: a wrapper left in place under another tool's, after its shutdown, must not read a later installation's state.
  const kState = Symbol('supertrace.response')
  /** The end() being held; any later end() call queues behind it. */
  const kHeld = Symbol('supertrace.held')
  type TrackedResponse = ServerResponse & { [kState]?: ResponseState, [kHeld]?: Promise<void> }

  /** Ties the response to the request in whose async context it is sent, and tells the proxy a record is coming. */
  const announce = (response: TrackedResponse): ResponseState => {
    const request = activeRequest()
    if (request === undefined) {
      response[kState] = UNTRACKED
      return UNTRACKED
    }
    response[kState] = request
    if (!response.headersSent) response.setHeader(RECORD_HEADER, '1')
    return request
  }

  const writeHead = (original: WriteHead): WriteHead => function (this: TrackedResponse, statusCode: number, ...rest: unknown[]) {
    if (statusCode >= 500 && this[kState] === undefined) announce(this)
    return (original as (this: ServerResponse, statusCode: number, ...rest: unknown[]) => ServerResponse).call(this, statusCode, ...rest)
  } as WriteHead

  const end = (original: End): End => {
    /** A held end() runs outside the app's call: what it throws (bad arguments) destroys the response instead of becoming an unhandled rejection. */
    const endNow = (response: TrackedResponse, args: unknown[]): void => {
      try {
        original.apply(response, args as Parameters<End>)
      } catch (err) {
        response.destroy(err as Error)
      }
    }
    return function (this: TrackedResponse, ...args: unknown[]) {
      if (this.statusCode < 500) return original.apply(this, args as Parameters<End>)
      const held = this[kHeld]
      if (held !== undefined) {
        // A later end() waits its turn behind the held one, as it would have come after it.
        void held.then(() => endNow(this, args))
        return this
      }
      const state = this[kState] ?? announce(this)
      if (state === UNTRACKED || state === ENDING) return original.apply(this, args as Parameters<End>)
      this[kState] = ENDING
      const written = onFailingResponse(this, state)
      if (holdMs === 0) return original.apply(this, args as Parameters<End>)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, holdMs) })
      this[kHeld] = Promise.race([written, timeout]).then(() => {
        clearTimeout(timer)
        endNow(this, args)
      })
      return this
    } as End
  }

  return { writeHead, end }
}
