/**
 * Stores records in Redis and announces them. Bounded on every side:
 *   - in the app's memory: at most `maxInFlight` failed requests' records are being
 *     written at once (SUPERTRACE_RECORDS_IN_FLIGHT); past that, new ones are dropped
 *     and counted. A request's completing write does not take a second place: it waits
 *     behind the request's first write, replacing any write queued there before it;
 *   - in time: a write that Redis does not acknowledge in time fails;
 *   - in Redis: every record is paid for from the budget (record-budget.ts) before it is
 *     stored. A failure that repeats an earlier one is stored as a pointer to it
 *     (repeats.ts); past the budget, a record is shrunk, then stored as a pointer if an
 *     earlier full record of the same failure exists, then dropped and counted.
 * What became of each record is counted in Redis (RECORD_OUTCOMES_KEY), for the proxy's
 * /metrics. A failure is a warning, never an exception in the app.
 */
import { ErrorCodes, RedisError } from '../core/errors.ts'
import { Logger } from '../core/log.ts'
import { RECENT_FAILURES_KEY, RECENT_FAILURES_LIMIT, RECORD_CHANNEL, RECORD_OUTCOMES_KEY, recordKey, type RecordOutcome } from '../core/protocol.ts'
import { encodeRecord, type TraceRecord } from '../core/record.ts'
import { connectOnDemand, connectRedis, type RedisClient } from '../core/redis.ts'
import type { RedisTopology } from '../core/redis-topology.ts'
import { storageSettings } from './settings.ts'
import { costInRedis, RecordBudget } from './record-budget.ts'
import { fingerprintOf, RepeatTracker, type Earlier } from './repeats.ts'
import { repeatRecord, shrinkRecord } from './shrunk-record.ts'

/** A write Redis has not acknowledged by then has failed; the app is never held this long (see SUPERTRACE_HOLD_MS). */
const WRITE_TIMEOUT_MS = 2000
/**
 * A write that took this long means Redis (or the way to it) is slow. A busy app's own event
 * loop delays the replies it reads too, by tens of milliseconds in a storm on two cores.
 */
const SLOW_WRITE_MS = 500
/** Outcomes not sent with a record (drops) are sent on their own after this long, in one command for all counted meanwhile. */
const REPORT_DELAY_MS = 1000

export interface RecordWriterOptions {
  /** The Redis, or for Sentinel and Cluster the password, TLS and database (see `topology`). */
  readonly redisUrl: URL
  /** Sentinel or Cluster (SUPERTRACE_REDIS_SENTINELS, SUPERTRACE_REDIS_CLUSTER_NODES); default: one Redis at `redisUrl`. */
  readonly topology?: RedisTopology
  readonly ttlSeconds: number
  /** SUPERTRACE_RECORD_BUDGET_MB in bytes; default: that setting's default. */
  readonly budgetBytes?: number
  /** SUPERTRACE_RECORDS_IN_FLIGHT; default: that setting's default. */
  readonly maxInFlight?: number
  readonly logger?: Logger
  /**
   * Runs the writer's Redis commands: inside an app under OpenTelemetry, with tracing
   * suppressed, so that they do not become spans of the failing request. Default: as they are.
   */
  readonly untraced?: <T>(run: () => T) => T
}

/** A write waiting behind its request's write in progress; a later one replaces it, and both callers learn the outcome. */
interface Queued {
  record: TraceRecord
  json: string
  readonly settled: Array<(stored: boolean) => void>
}

interface InFlight {
  /** When its current write went to Redis (after the connection was open); undefined before. */
  sentAt: number | undefined
  queued: Queued | undefined
}

/** What was stored for a request, so that its completing write keeps to the same form and pays only for what it adds. */
type Kept = StoredKept | { readonly form: 'repeat' } | { readonly form: 'dropped' }
interface StoredKept { readonly form: 'full' | 'shrunk', readonly cost: number }

/** One form a record can take: what it counts as, its JSON and its TTL. */
interface Form {
  readonly outcome: 'full' | 'shrunk' | 'repeat'
  readonly json: string
  readonly ttlSeconds: number
}

export class RecordWriter {
  readonly #redis: RedisClient
  readonly #ttlSeconds: number
  readonly #maxInFlight: number
  readonly #logger: Logger
  readonly #untraced: <T>(run: () => T) => T
  readonly #budget: RecordBudget
  readonly #repeats = new RepeatTracker()
  readonly #inFlight = new Map<string, InFlight>()
  /** Requests with a stored (or deliberately dropped) record, newest last; bounded, see #keep. */
  readonly #kept = new Map<string, Kept>()
  /** Outcomes not yet added to RECORD_OUTCOMES_KEY: sent with the next record. */
  readonly #unreported = new Map<RecordOutcome, number>()
  /** Since the last report of dropped records: how many, the slowest write, the failed ones. */
  #dropped = 0
  #slowestMs = 0
  #failedWrites = 0
  /** The budget window in which a full record last did not fit: until it ends, records are shrunk at once. */
  #spentWindow = -1
  #reportTimer: NodeJS.Timeout | undefined

  constructor (options: RecordWriterOptions) {
    this.#ttlSeconds = options.ttlSeconds
    this.#maxInFlight = options.maxInFlight ?? storageSettings.recordsInFlight.default
    this.#logger = options.logger ?? new Logger('instrumentation')
    this.#untraced = options.untraced ?? ((run) => run())
    this.#redis = connectRedis({
      url: options.redisUrl,
      topology: options.topology ?? { kind: 'single' },
      commandTimeoutMs: WRITE_TIMEOUT_MS,
      purpose: 'writing records',
      logger: this.#logger,
      onDemand: true,
    })
    this.#budget = new RecordBudget(this.#redis, options.budgetBytes ?? storageSettings.recordBudgetMb.default * 1_000_000, options.ttlSeconds)
  }

  /**
   * Stores the record under its request ID (in the form the budget allows), lists it among the
   * recent failures, and once it is stored publishes the ID so a waiting proxy reads it at once.
   * Resolves `true` once Redis has acknowledged it (or the request's earlier record already holds
   * all it would), `false` if it was dropped. Never rejects.
   *
   * `json`: the record already encoded, when the caller has it (the instrumentation does, from checking its size).
   */
  write (record: TraceRecord, json: string = encodeRecord(record)): Promise<boolean> {
    const requestId = record.requestId
    const inFlight = this.#inFlight.get(requestId)
    if (inFlight !== undefined) {
      // The request's first write is still on its way: this one follows it, and replaces any queued before it.
      const { promise, resolve } = Promise.withResolvers<boolean>()
      inFlight.queued = { record, json, settled: [...(inFlight.queued?.settled ?? []), resolve] }
      return promise
    }
    if (this.#inFlight.size >= this.#maxInFlight) {
      this.#drop(record)
      return Promise.resolve(false)
    }
    const entry: InFlight = { sentAt: undefined, queued: undefined }
    this.#inFlight.set(requestId, entry)
    return this.#untraced(() => {
      const stored = this.#store(record, json, entry)
      // Resolves with its own write: the 500 held for it does not wait for the request's later writes.
      void stored.then(() => this.#writeQueued(requestId, entry))
      return stored
    })
  }

  async close (): Promise<void> {
    clearTimeout(this.#reportTimer)
    await this.#reportOutcomes().catch(() => {})
    await this.#redis.quit().catch(() => this.#redis.disconnect())
  }

  /** Writes what was queued behind the request's first write, then frees its place. */
  async #writeQueued (requestId: string, entry: InFlight): Promise<void> {
    for (let next = entry.queued; next !== undefined; next = entry.queued) {
      entry.queued = undefined
      const stored = await this.#store(next.record, next.json, entry)
      for (const settle of next.settled) settle(stored)
    }
    this.#inFlight.delete(requestId)
    if (this.#inFlight.size === 0 && this.#dropped > 0) {
      const cause = this.#dropCause()
      this.#logger.warn(`${this.#dropped} records of failed requests were dropped because ${cause.text}`, undefined, cause.isRedis ? ErrorCodes.REDIS : undefined)
      this.#dropped = 0
      this.#slowestMs = 0
      this.#failedWrites = 0
    }
  }

  #drop (record: TraceRecord): void {
    // Counted once per request: its first write dropped, its completing write may still be stored.
    if (record.complete && !this.#kept.has(record.requestId)) this.#count('dropped_queue_full')
    if (this.#dropped++ > 0) return
    const cause = this.#dropCause()
    this.#logger.warn(`${this.#maxInFlight} records of failed requests are being written to Redis (SUPERTRACE_RECORDS_IN_FLIGHT); dropping new ones until there is room, because ${cause.text}`, record.requestId, cause.isRedis ? ErrorCodes.REDIS : undefined)
  }

  /** Why records are waiting: Redis, only when its writes failed or were slow; otherwise the storm's own rate. */
  #dropCause (): { readonly text: string, readonly isRedis: boolean } {
    let slowest = this.#slowestMs
    const now = performance.now()
    for (const { sentAt } of this.#inFlight.values()) if (sentAt !== undefined) slowest = Math.max(slowest, now - sentAt)
    if (this.#failedWrites > 0) return { text: `Redis failed ${this.#failedWrites} writes (see the errors logged)`, isRedis: true }
    if (slowest >= SLOW_WRITE_MS) return { text: `Redis is slow (a write took ${Math.round(slowest)} ms)`, isRedis: true }
    return { text: `requests fail faster than their records can be written (Redis answered every write within ${Math.round(slowest)} ms)`, isRedis: false }
  }

  /** Stores one write of a request's record in the form its budget allows. */
  async #store (record: TraceRecord, json: string, entry: InFlight): Promise<boolean> {
    const requestId = record.requestId
    const kept = this.#kept.get(requestId)
    // A repeat holds only what the first write knew; a dropped record stays dropped.
    if (kept?.form === 'repeat') return true
    if (kept?.form === 'dropped') return false
    let sentAt: number | undefined
    try {
      await connectOnDemand(this.#redis)
      // Timed from here: opening the connection is not a write being slow (failing to open it is a failed write).
      sentAt = entry.sentAt = performance.now()
      const form = kept === undefined ? await this.#choose(record, json) : await this.#rewrite(record, json, kept)
      if (form === undefined) return kept !== undefined
      // The outcome is counted once per request, with its first stored write.
      await this.#send(requestId, record.time, form, kept === undefined ? form.outcome : undefined)
      if (kept === undefined) this.#keep(requestId, form.outcome === 'repeat' ? { form: 'repeat' } : { form: form.outcome, cost: costInRedis(Buffer.byteLength(form.json)) })
      return true
    } catch (cause) {
      this.#failedWrites++
      if (kept === undefined) this.#repeats.forget(fingerprintOf(record), requestId)
      // Counted with the request's last write: its first may fail and its completing one still be stored.
      if (record.complete && kept === undefined) this.#count('dropped_redis_failed')
      this.#logger.error('a record was not stored', new RedisError('the record write failed', { cause }), requestId)
      return false
    } finally {
      if (sentAt !== undefined) this.#slowestMs = Math.max(this.#slowestMs, performance.now() - sentAt)
      entry.sentAt = undefined
    }
  }

  /** The first write of a request: a full record, or a repeat of an earlier one; smaller past the budget; undefined when dropped. */
  async #choose (record: TraceRecord, json: string): Promise<Form | undefined> {
    const now = Date.now()
    const fingerprint = fingerprintOf(record)
    const decision = this.#repeats.decide(fingerprint, record.requestId, now)
    const forms: Form[] = []
    if (decision.repeat) {
      forms.push(this.#repeatForm(record, decision.earlier, now))
    } else {
      if (this.#budget.windowOf(now) !== this.#spentWindow) forms.push({ outcome: 'full', json, ttlSeconds: this.#ttlSeconds })
      forms.push({ outcome: 'shrunk', json: encodeRecord(shrinkRecord(record)), ttlSeconds: this.#ttlSeconds })
      if (decision.earlier !== undefined) forms.push(this.#repeatForm(record, decision.earlier, now))
    }
    const chosen = forms[await this.#budget.reserve(forms.map((f) => ({ form: f.outcome, cost: costInRedis(Buffer.byteLength(f.json)) })), now)]
    if (decision.repeat) {
      if (chosen === undefined) this.#budgetSpent(now)
    } else {
      if (chosen?.outcome !== 'full') this.#budgetSpent(now)
      // A shrunk record is still one that repeats can point at; a repeat or nothing is not.
      if (chosen === undefined || chosen.outcome === 'repeat') this.#repeats.forget(fingerprint, record.requestId)
    }
    if (chosen === undefined) {
      this.#keep(record.requestId, { form: 'dropped' })
      this.#count('dropped_over_budget')
    }
    return chosen
  }

  /** A repeat lives no longer than the record it points at (stored at `earlier.since` at the latest, with the full TTL). */
  #repeatForm (record: TraceRecord, earlier: Earlier, now: number): Form {
    const ttlSeconds = Math.max(1, Math.floor((earlier.since + this.#ttlSeconds * 1000 - now) / 1000))
    return { outcome: 'repeat', json: encodeRecord(repeatRecord(record, earlier.requestId)), ttlSeconds }
  }

  /** A later write of a request whose record is stored: the same form, paying only for the bytes it adds; undefined keeps the stored one. */
  async #rewrite (record: TraceRecord, json: string, kept: StoredKept): Promise<Form | undefined> {
    const form: Form = kept.form === 'full'
      ? { outcome: 'full', json, ttlSeconds: this.#ttlSeconds }
      : { outcome: 'shrunk', json: encodeRecord(shrinkRecord(record)), ttlSeconds: this.#ttlSeconds }
    const cost = costInRedis(Buffer.byteLength(form.json))
    if (cost > kept.cost && await this.#budget.reserve([{ form: kept.form, cost: cost - kept.cost }], Date.now()) < 0) return undefined
    this.#keep(record.requestId, { form: kept.form, cost: Math.max(cost, kept.cost) })
    return form
  }

  /**
   * Three commands (and the outcome counters), not one MULTI, so that a Redis Cluster takes them: a
   * transaction must keep to one hash slot, and the record and the index are different keys
   * (docs/record.md, "Where it lives"). They are sent at once; on one Redis they share a connection and run in order.
   */
  async #send (requestId: string, time: number, form: Form, outcome: RecordOutcome | undefined): Promise<void> {
    const stored = this.#redis.set(recordKey(requestId), form.json, 'EX', form.ttlSeconds)
    // The proxy's list of recent failures: newest last, trimmed to the newest RECENT_FAILURES_LIMIT. One key, one slot.
    const listed = this.#redis.multi()
      .zadd(RECENT_FAILURES_KEY, time, requestId)
      .zremrangebyrank(RECENT_FAILURES_KEY, 0, -RECENT_FAILURES_LIMIT - 1)
      .exec()
    // Only after the SET's reply: on a Cluster the PUBLISH goes to another node and could overtake it.
    const announced = stored.then(() => this.#redis.publish(RECORD_CHANNEL, requestId))
    // Counted once stored, and sent with any counted since the last record (drops, for one).
    const counted = stored.then(() => {
      if (outcome !== undefined) this.#count(outcome)
      return this.#reportOutcomes()
    })
    await Promise.all([listed, announced, counted])
  }

  /** Adds the outcomes counted since the last report to Redis's counters; on failure they are counted again for the next. */
  #reportOutcomes (): Promise<unknown> {
    if (this.#unreported.size === 0) return Promise.resolve()
    const counts = [...this.#unreported]
    this.#unreported.clear()
    const reported = this.#redis.multi()
    for (const [outcome, n] of counts) reported.hincrby(RECORD_OUTCOMES_KEY, outcome, n)
    return reported.exec().catch((err: unknown) => {
      for (const [outcome, n] of counts) this.#count(outcome, n)
      throw err
    })
  }

  #count (outcome: RecordOutcome, n = 1): void {
    this.#unreported.set(outcome, (this.#unreported.get(outcome) ?? 0) + n)
    // Drops come with no record to send them with: they go on their own within a second.
    this.#reportTimer ??= setTimeout(() => {
      this.#reportTimer = undefined
      void this.#untraced(() => connectOnDemand(this.#redis).then(() => this.#reportOutcomes())).catch(() => {})
    }, REPORT_DELAY_MS).unref()
  }

  /** Remembered until the request's completing write: a few times the in-flight cap is far more than are ever between their two writes. */
  #keep (requestId: string, kept: Kept): void {
    this.#kept.delete(requestId)
    this.#kept.set(requestId, kept)
    if (this.#kept.size > 4 * this.#maxInFlight) this.#kept.delete(this.#kept.keys().next().value as string)
  }

  #budgetSpent (now: number): void {
    const window = this.#budget.windowOf(now)
    if (window === this.#spentWindow) return
    this.#spentWindow = window
    this.#logger.warn(`the Redis budget for records (SUPERTRACE_RECORD_BUDGET_MB, half of it per SUPERTRACE_TTL_SECONDS) is spent for now: records are shrunk, stored as repeats of earlier ones, or dropped, and counted in supertrace_app_records_total`)
  }
}
