/**
 * A superuser's debug page for one exchange, in two steps shared by a held 500 and
 * an upstream failure: find the request's record (waiting a bounded time for one
 * still being written, and giving up at once when the client hangs up), then render
 * the page in the format the request accepts and send it.
 */
import type { TraceRecord } from '../core/record.ts'
import { renderDebugPage, sendPage } from './debug-page/render.ts'
import type { OriginalResponse, UpstreamFailureView } from './debug-page/report.ts'
import type { Exchange } from './exchange.ts'
import { unreadableRecordNote } from './record-source.ts'

export interface FoundRecord {
  readonly record: TraceRecord | null
  /** Why there is no record, when there is none. */
  readonly missingRecord: string | null
}

/** The record of the exchange's request; `noRecord` is the page's note when none arrives within `waitMs`. */
export async function findRecord (exchange: Exchange, waitMs: number, signal: AbortSignal, noRecord: string): Promise<FoundRecord> {
  const { context, requestId } = exchange
  try {
    const record = await context.records.find(requestId, waitMs, signal)
    return record === undefined ? { record: null, missingRecord: noRecord } : { record, missingRecord: null }
  } catch (err) {
    context.logger.error('the record could not be read', err, requestId)
    return { record: null, missingRecord: unreadableRecordNote(err) }
  }
}

export interface PageContent extends FoundRecord {
  readonly status: number
  readonly original: OriginalResponse | null
  readonly upstreamFailure?: UpstreamFailureView
}

export function sendSuperuserPage (exchange: Exchange, content: PageContent): void {
  const { context, req, res, requestId } = exchange
  const page = renderDebugPage({
    requestId,
    request: { method: req.method ?? 'GET', url: req.url ?? '/' },
    ...content,
  }, context.pageOptions, req.headers.accept)
  sendPage(res, content.status, page, req.method, requestId)
  context.metrics.countDebugPage('live')
}
