/**
 * The proxy's Prometheus metrics (prom-client), served at /metrics on the admin port.
 *
 * The ordinary request must not pay for them: its one metric, the response count by
 * status, is a plain array increment, turned into a counter only when Prometheus
 * scrapes (prom-client's own `inc()` hashes its labels on every call, even through a
 * pre-bound `labels()` child). Everything else happens on rare paths (a held 500, a
 * debug page, a logged problem, a WebSocket upgrade) and uses prom-client directly.
 *
 * Label values are fixed sets (statuses are three digits by HTTP's grammar), so the
 * number of series stays bounded whatever the traffic.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ServerResponse } from 'node:http'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { logEvents, type LogEvent } from '../../core/log.ts'
import { RECORD_OUTCOMES } from '../../core/protocol.ts'
import { LOOKUP_OUTCOMES, type LookupOutcome } from '../lookup/lookup.ts'
import type { BreakerState } from '../superuser/redis-breaker.ts'

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half-open', 'open']

const INTERCEPT_OUTCOMES = ['original', 'debug_page'] as const
export type InterceptOutcome = (typeof INTERCEPT_OUTCOMES)[number]
export const DEBUG_PAGE_KINDS = ['live', 'stored', 'recent', 'pending', 'no_record'] as const
export type DebugPageKind = (typeof DEBUG_PAGE_KINDS)[number]
/** What became of a WebSocket upgrade: see upgrade-outcomes.ts. */
export type UpgradeOutcome = 'switched' | 'refused' | 'failed'
const UPGRADE_OUTCOMES: readonly UpgradeOutcome[] = ['switched', 'refused', 'failed']

/** nginx's "client closed request": counted when the client left before any response was sent. */
const CLIENT_CLOSED = 499

/** One counter child per label value, bound once: counting is a property read and an increment. */
type CountersBy<V extends string> = Readonly<Record<V, { inc (): void }>>

/** A counter whose one label takes a fixed set of values, each shown from the start (at 0) so rates exist before the first event. */
function fixedLabelCounter<V extends string> (registers: Registry[], spec: { readonly name: string, readonly help: string, readonly label: string, readonly values: readonly V[] }): CountersBy<V> {
  const counter = new Counter({ name: spec.name, help: spec.help, labelNames: [spec.label], registers })
  for (const value of spec.values) counter.inc({ [spec.label]: value }, 0)
  return Object.fromEntries(spec.values.map((value) => [value, counter.labels(value)])) as Record<V, { inc (): void }>
}

export class ProxyMetrics {
  readonly registry = new Registry()
  /** Responses by status code: the index is the status (HTTP statuses are 100–999). */
  readonly #statusCounts = new Float64Array(1000)
  readonly #intercepted: CountersBy<InterceptOutcome>
  readonly #debugPages: CountersBy<DebugPageKind>
  readonly #upgrades: CountersBy<UpgradeOutcome>
  readonly #openWebSockets: Gauge
  readonly #lookupSeconds: Histogram
  readonly #lookups: CountersBy<LookupOutcome>
  readonly #recordWaitSeconds: Histogram
  readonly #errors: Counter<'code'>
  readonly #onLogEvent = (message: unknown): void => {
    const event = message as LogEvent
    if (event.component === 'proxy') this.#errors.inc({ code: event.code })
  }

  #readBreaker: (() => BreakerState) | null = null

  /**
   * Counts one response when it closes; a 'close' listener shared by every response
   * (`this` is the response), so no closure is made per request.
   */
  readonly onResponseClose: (this: ServerResponse) => void

  constructor () {
    const statusCounts = this.#statusCounts
    this.onResponseClose = function (this: ServerResponse): void {
      const status = this.headersSent ? this.statusCode : CLIENT_CLOSED
      statusCounts[status] = (statusCounts[status] ?? 0) + 1
    }
    const registers = [this.registry]
    new Counter({
      name: 'supertrace_requests_total',
      help: 'Responses the proxy sent, by status (499: the client left before a response was sent).',
      labelNames: ['status'],
      registers,
      collect () {
        this.reset()
        for (let status = 100; status < statusCounts.length; status++) {
          const count = statusCounts[status] ?? 0
          if (count > 0) this.inc({ status: String(status) }, count)
        }
      },
    })
    this.#intercepted = fixedLabelCounter(registers, { name: 'supertrace_intercepted_total', help: 'Responses of an intercepted status (SUPERTRACE_INTERCEPT_STATUSES, default 500) to a request with a session cookie, held while Redis was asked, by what the client got: the app\'s original response or a superuser\'s debug page.', label: 'outcome', values: INTERCEPT_OUTCOMES })
    this.#debugPages = fixedLabelCounter(registers, { name: 'supertrace_debug_pages_total', help: 'Debug pages sent to superusers: live (in place of a 500), stored (a record\'s page under the pages prefix), recent (the list of recent failures), pending (an "on its way" page: in place of a 500 whose unannounced record had not arrived, or a record\'s page still waiting for it, each forwarding to the next wait), no_record (a record\'s page that waited its whole bound and no record came).', label: 'page', values: DEBUG_PAGE_KINDS })
    // Envoy's downstream_cx_upgrades_total/_active and Traefik's open_connections{protocol="websocket"} are the models.
    this.#upgrades = fixedLabelCounter(registers, { name: 'supertrace_websocket_upgrades_total', help: 'WebSocket upgrade requests, by outcome: switched (the app answered 101), refused (the app, or the proxy\'s own checks, answered another status, counted in supertrace_requests_total like the 101), failed (the connection closed without an answer: the app could not be reached, or the client left first).', label: 'outcome', values: UPGRADE_OUTCOMES })
    this.#openWebSockets = new Gauge({
      name: 'supertrace_websocket_connections',
      help: 'WebSocket connections open now: switched, and not yet closed by either side.',
      registers,
    })
    this.#lookupSeconds = new Histogram({
      name: 'supertrace_superuser_lookup_seconds',
      help: 'How long a superuser lookup took (cookie to answer, Redis included), bounded by SUPERTRACE_REDIS_TIMEOUT_MS.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    })
    this.#lookups = fixedLabelCounter(registers, { name: 'supertrace_superuser_lookups_total', help: 'Superuser lookups by outcome: superuser, not_superuser, no_session (no cookie, an empty one, or a session logged out or expired), bad_cookie (repeated, too long, malformed, unsigned or forged), bad_session (a value the settings cannot read: ST_SESSION), redis_failed (ST_REDIS), breaker_open (Redis not asked).', label: 'outcome', values: LOOKUP_OUTCOMES })
    this.#recordWaitSeconds = new Histogram({
      name: 'supertrace_record_wait_seconds',
      help: 'How long a superuser\'s 500 waited for the app\'s record (found or not), bounded by SUPERTRACE_TRACE_WAIT_MS, or a hop of a record\'s page (<prefix>/requests/<id>?wait=N) for one not yet stored, at most 5 s.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.#errors = new Counter({
      name: 'supertrace_errors_total',
      help: 'Problems the proxy handled and logged, by code: ST_REDIS (Redis failed, timed out or is unreachable), ST_UPSTREAM, ST_SESSION, ST_RECORD_FORMAT.',
      labelNames: ['code'],
      registers,
    })
    this.#errors.inc({ code: 'ST_REDIS' }, 0)
    subscribe(logEvents.name, this.#onLogEvent)
    collectDefaultMetrics({ register: this.registry })
  }

  /** A held 500's outcome, once per interception. */
  countIntercepted (outcome: InterceptOutcome): void {
    this.#intercepted[outcome].inc()
  }

  /** A WebSocket upgrade's outcome, once per upgrade; `status`: the answer the client got, counted with every other response. */
  countUpgrade (outcome: UpgradeOutcome, status?: number): void {
    this.#upgrades[outcome].inc()
    if (status !== undefined) this.countResponse(status)
  }

  /** A response sent without a ServerResponse (an upgrade's answer, Node's own refusal of a request). */
  countResponse (status: number): void {
    this.#statusCounts[status] = (this.#statusCounts[status] ?? 0) + 1
  }

  /** A switched WebSocket connection opened, or closed. */
  webSocketOpened (): void {
    this.#openWebSockets.inc()
  }

  webSocketClosed (): void {
    this.#openWebSockets.dec()
  }

  countDebugPage (kind: DebugPageKind): void {
    this.#debugPages[kind].inc()
  }

  /** A superuser lookup's outcome and duration, once per lookup. */
  observeLookup (outcome: LookupOutcome, seconds: number): void {
    this.#lookups[outcome].inc()
    this.#lookupSeconds.observe(seconds)
  }

  observeRecordWait (seconds: number): void {
    this.#recordWaitSeconds.observe(seconds)
  }

  /**
   * Registers the Redis circuit breaker: `supertrace_redis_breaker_state{state}` is 1 for
   * its current state and 0 for the others, read at each scrape; /readyz reports it too.
   */
  observeBreaker (read: () => BreakerState): void {
    this.#readBreaker = read
    new Gauge({
      name: 'supertrace_redis_breaker_state',
      help: 'The Redis circuit breaker\'s state: 1 for the current one (closed: Redis is asked; open: lookups fail at once without Redis; half-open: one trial lookup).',
      labelNames: ['state'],
      registers: [this.registry],
      collect () {
        const current = read()
        for (const state of BREAKER_STATES) this.set({ state }, state === current ? 1 : 0)
      },
    })
  }

  /**
   * Registers the app side's record counts: `supertrace_app_records_total{outcome}`, what became of the
   * records of failed requests, summed by every app process in Redis and read at each scrape (one HGETALL).
   * When Redis cannot be read, the scrape shows the last values read.
   */
  observeRecordOutcomes (read: () => Promise<Record<string, string>>): void {
    new Counter({
      name: 'supertrace_app_records_total',
      help: 'Records of failed requests, by what the apps stored: full, shrunk (over SUPERTRACE_RECORD_BUDGET_MB), repeat (a pointer to an earlier record of the same failure), or dropped_queue_full (more than SUPERTRACE_RECORDS_IN_FLIGHT being written), dropped_over_budget, dropped_redis_failed.',
      labelNames: ['outcome'],
      registers: [this.registry],
      async collect () {
        const counts = await read().catch(() => undefined)
        if (counts === undefined) return
        this.reset()
        for (const outcome of RECORD_OUTCOMES) this.inc({ outcome }, Number(counts[outcome] ?? 0))
      },
    })
  }

  /** The breaker's state, or null before one is registered. */
  breakerState (): BreakerState | null {
    return this.#readBreaker === null ? null : this.#readBreaker()
  }

  close (): void {
    unsubscribe(logEvents.name, this.#onLogEvent)
  }
}
