/**
 * What the proxy and the instrumentation agree on besides the record itself:
 * Redis key names, the notification channel and the HTTP headers between them.
 * Redis keys are built here and nowhere else.
 *
 * Key layout on a Redis Cluster (docs/record.md, "Where it lives"): no command or
 * MULTI names two keys, so no two keys need to share a hash slot, and records spread
 * over every master by their request ID. Each key stands alone:
 *   supertrace:trace:<id>   SET on its own; read with GET (one per record, never MGET)
 *   supertrace:recent       ZADD + ZREMRANGEBYRANK in a MULTI of its own; ZREVRANGE
 *   supertrace:superusers   SISMEMBER (set mode); the session key and the user IDs set
 *                           (supertrace:superuser-ids in django mode) of the other
 *                           modes are read by separate commands
 *   supertrace:budget:<n>   INCRBY, EXPIRE and, for a cost taken back, DECRBY
 *   supertrace:record-outcomes  HINCRBY, sent beside a record's SET; HGETALL by the proxy's /metrics
 * PUBLISH on supertrace:records reaches every node's subscribers on a Cluster (a
 * classic publish is broadcast over the cluster bus), so the proxy's one subscriber
 * hears it wherever it is connected. SPUBLISH would save that broadcast, but one
 * channel lives on one shard anyway, and the notification is one short message per
 * failed request; PUBLISH keeps one code path for every topology.
 */

/** The request ID is the W3C trace ID: 32 lowercase hex digits, not all zero. */
const REQUEST_ID_PATTERN = /^(?!0{32})[0-9a-f]{32}$/

export function isRequestId (value: string): boolean {
  return REQUEST_ID_PATTERN.test(value)
}

/**
 * The span ID the proxy sends as the parent in `traceparent`: the request ID's last 16 hex
 * digits. So whoever sees the app's spans (the receiver of other languages' exports) knows
 * which SERVER span is the request's own, the one whose parent this is, from a downstream
 * service's SERVER span in the same trace, without asking the proxy. It tells the app
 * nothing it does not already have: the request ID is in the same header.
 */
export function proxySpanId (requestId: string): string {
  return requestId.slice(16)
}

/** Where the record of a failed request lives, with a TTL. */
export function recordKey (requestId: string): string {
  return `supertrace:trace:${requestId}`
}

/**
 * A sorted set of recent failures (score: epoch milliseconds, member: request ID), trimmed
 * to the newest RECENT_FAILURES_LIMIT, for the proxy's list of recent failures. Members
 * whose record has expired are skipped by the reader.
 */
export const RECENT_FAILURES_KEY = 'supertrace:recent'
export const RECENT_FAILURES_LIMIT = 200

/**
 * The bytes of records written in one window of SUPERTRACE_TTL_SECONDS (window `n` starts
 * at n × TTL, epoch time), an integer with a TTL of two windows. Every app process adds
 * to the same counter before it stores a record, so the budget holds across processes
 * (instrumentation/storage/record-budget.ts).
 */
export function recordBudgetKey (window: number): string {
  return `supertrace:budget:${window}`
}

/**
 * A hash of counters, one field per outcome (`full`, `shrunk`, `repeat`, `dropped_queue_full`,
 * `dropped_over_budget`, `dropped_redis_failed`): what became of each failing request's record,
 * summed over every app process. No TTL; the proxy exposes it at /metrics.
 */
export const RECORD_OUTCOMES_KEY = 'supertrace:record-outcomes'

export const RECORD_OUTCOMES = ['full', 'shrunk', 'repeat', 'dropped_queue_full', 'dropped_over_budget', 'dropped_redis_failed'] as const
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number]

/** The writer publishes the request ID here once a record is stored; the proxy subscribes once at start-up. */
export const RECORD_CHANNEL = 'supertrace:records'

/** The default Redis set of superuser session IDs (`set` lookup). */
export const DEFAULT_SUPERUSERS_KEY = 'supertrace:superusers'

/** The default Redis set of superusers' user IDs (`django` lookup without SUPERTRACE_SUPERUSER_VALUE): the session's user ID must be in it. */
export const DEFAULT_SUPERUSER_IDS_KEY = 'supertrace:superuser-ids'

/** Sent upstream and back to the client: the request ID. */
export const REQUEST_ID_HEADER = 'x-request-id'

/**
 * Set by the instrumentation on a 5xx response whose record it is writing, so the proxy
 * knows a record is on its way and is worth waiting for. The proxy always strips it.
 */
export const RECORD_HEADER = 'x-supertrace-record'

/**
 * The `tracestate` entry the proxy sends with its `traceparent`. Its sampled flag is
 * only there so that apps sampling by parent keep recording; this entry says the
 * proxy made no sampling decision, and SupertraceSampler samples such a request as
 * a new trace with the app's own sampler.
 */
export const PROXY_TRACESTATE_KEY = 'supertrace'
export const PROXY_TRACESTATE_VALUE = 'nodecision'
export const PROXY_TRACESTATE = `${PROXY_TRACESTATE_KEY}=${PROXY_TRACESTATE_VALUE}`
