/**
 * Every size limit of the proxy, in one place: what a record is cut to on the page,
 * what the superuser lookup reads, what the later-lookup pages show and how long they
 * wait for a record, what the proxy remembers of superusers' requests. The app side's
 * limits are instrumentation/record/limits.ts; the settings (SUPERTRACE_MAX_BUFFER_BYTES
 * and the timeouts) are proxy/config.ts.
 */
export const LIMITS = {
  // The debug page: what a record is cut to before it is rendered (debug-page/bound-record.ts).
  /** Exception messages (Django trims values at 4096). */
  message: 4096,
  /** `err.stack` as printed. */
  stack: 16_384,
  /** Exceptions in all, counting causes and AggregateError members. */
  exceptions: 16,
  /** How deep a cause chain is followed. */
  causeDepth: 8,
  framesPerException: 64,
  contextLines: 15,
  sourceLineChars: 400,
  localsPerFrame: 40,
  localValueChars: 1024,
  spans: 400,
  attributesPerSpan: 48,
  eventsPerSpan: 16,
  attributeChars: 2048,
  arrayItems: 32,
  /** Headers, cookies, query parameters, environment variables, resource attributes: each list. */
  pairs: 200,
  pairValueChars: 2048,
  urlChars: 4096,
  bodyChars: 16_384,
  /** The app's original 500 body shown under "What the user saw". */
  originalBodyBytes: 8192,
  /** Log lines the app wrote during the request ("Log lines"). */
  logs: 200,
  logBodyChars: 4096,
  /** `truncated` entries carried over from the app. */
  truncatedNotes: 64,
  /**
   * Characters per part of the record, each list item counted as ITEM_COST of them:
   * past a part's budget its strings are cut to nothing and its lists to no items
   * (marked), so the total is bounded whatever the counts above multiply to, and one
   * huge part (say, the spans) cannot starve the others (say, the exception).
   */
  summaryBudget: 20_000,
  exceptionsBudget: 150_000,
  spansBudget: 60_000,
  requestBudget: 40_000,
  environmentBudget: 30_000,
  logsBudget: 60_000,
  /** How deep the waterfall indents a span (deeper ones are drawn at this depth). */
  spanDepth: 16,
  // The superuser lookup.
  /** A longer cookie value is no session ID any store issues (browsers cap a cookie at about 4 KB): refused before Redis is asked. */
  cookieValueChars: 4096,
  /** A session value longer than this is not read (connect-redis and Django sessions are a few hundred bytes). */
  sessionBytes: 1024 * 1024,
  // The later-lookup pages.
  /** Recent failures the list shows (each is a whole record to read). */
  recentFailuresShown: 50,
  /** Records read at once for that list. */
  recentReadBatch: 10,
  /**
   * How long a record's page (`<prefix>/requests/<id>?wait=N`) waits for a record not yet
   * stored before it forwards to the next hop: an app that exports OpenTelemetry sends its
   * spans in batches, by default every 5 s.
   */
  recordWaitHopMs: 5000,
  /** Hops of that wait before the page says no record came: 12 of 5 s, a minute, past any SDK's default batch delay and a Collector's on top. */
  recordWaitHops: 12,
  // What the proxy remembers of superusers' requests (superuser/proxy-views.ts).
  /** Requests remembered at most: the oldest is forgotten first. Each is its request head, under SUPERTRACE_MAX_HEADER_BYTES. */
  proxyViews: 500,
  /** How long one is remembered: long enough for the forwarding's minute and a look some minutes later. */
  proxyViewAgeMs: 10 * 60_000,
} as const
