/**
 * The app redacts its record before storing it; the proxy applies the same name
 * rules once more to the named values it shows (headers, cookies, query, environment,
 * resource, span and log attributes, the URL, the request body's and log lines' JSON members), so that a
 * record from an older or misconfigured instrumentation (one without the proxy's
 * SUPERTRACE_REDACT, say) still cannot put a secret on the page.
 */
import type { Attributes, Pairs, TraceRecord } from '../../core/record.ts'

/** The redaction rules the proxy applies (core/redact.ts's Redactor fits). */
export interface PageRedaction {
  pairs (pairs: Pairs): Pairs
  attributes (attributes: Attributes): Attributes
  url (url: string): string
  text (text: string): string
  /** A body the proxy saw, shown as text: JSON members are hidden by name too. */
  bodyText (text: string): string
}

export function redactRecord (record: TraceRecord, redaction: PageRedaction): TraceRecord {
  const r = record.request
  return {
    ...record,
    request: {
      ...r,
      url: redaction.url(r.url),
      query: redaction.pairs(r.query),
      headers: redaction.pairs(r.headers),
      cookies: redaction.pairs(r.cookies),
      ...(r.body === undefined ? {} : { body: { ...r.body, text: redaction.bodyText(r.body.text) } }),
    },
    resource: redaction.attributes(record.resource),
    environment: redaction.pairs(record.environment),
    spans: record.spans.map((s) => ({ ...s, attributes: redaction.attributes(s.attributes), events: s.events.map((e) => ({ ...e, attributes: redaction.attributes(e.attributes) })) })),
    // A log line is free text, often JSON (structured logging): read as a body is.
    logs: record.logs.map((l) => ({ ...l, body: redaction.bodyText(l.body), attributes: redaction.attributes(l.attributes) })),
  }
}
