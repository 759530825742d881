/**
 * The JSON report (application/json, and the page's "Download JSON"): the record as
 * stored, redacted by the app and bounded by the page's limits, with what the
 * proxy adds (the status, the app's original response, why a record is missing,
 * what failed when the app gave no response, and its own view of the request when
 * the record's comes from spans).
 */
import type { DebugReport } from './report.ts'

export function renderJson (report: DebugReport): string {
  return JSON.stringify({
    requestId: report.summary.requestId,
    status: report.summary.status,
    missingRecord: report.missingRecord,
    upstreamFailure: report.upstreamFailure,
    original: report.original,
    proxyView: report.proxyView,
    record: report.record,
  }, null, 2)
}
