/**
 * Finds the record of a request in Redis, waiting a bounded time for one that is
 * still being written. The wait ends on a notification (the writer publishes each
 * stored request ID on one channel, subscribed to once at start-up), never a poll.
 * Every read goes through the circuit breaker, and each wait is bounded by its
 * `waitMs` whatever Redis does: the subscriber only ever shortens it.
 */
import { RecordFormatError, RedisError } from '../../core/errors.ts'
import { isRequestId, RECENT_FAILURES_KEY, RECORD_CHANNEL, RECORD_OUTCOMES_KEY, recordKey } from '../../core/protocol.ts'
import { decodeRecord, decodeStored, isRepeat, resolveRepeat, type TraceRecord } from '../../core/record.ts'
import type { RedisClient } from '../../core/redis.ts'
import { LIMITS } from '../limits.ts'
import type { RedisBreaker } from './redis-breaker.ts'

/** Where a proxy's record waits report their duration (ProxyMetrics). */
export interface RecordWaitTimer {
  observeRecordWait (seconds: number): void
}

/** A record this proxy cannot read is left out of the list; its own page says why. */
function readable (json: string): TraceRecord | undefined {
  try {
    return decodeRecord(json)
  } catch {
    return undefined
  }
}

export class RecordSource {
  readonly #redis: RedisClient
  readonly #breaker: RedisBreaker
  readonly #waiters = new Map<string, () => void>()
  readonly #timer: RecordWaitTimer | null

  /** `subscriber` is a connection of its own: a subscribed connection can run no other commands. */
  constructor (redis: RedisClient, subscriber: RedisClient, breaker: RedisBreaker, timer: RecordWaitTimer | null = null) {
    this.#redis = redis
    this.#breaker = breaker
    this.#timer = timer
    subscriber.on('message', (_channel: string, requestId: string) => this.#waiters.get(requestId)?.())
    // Queued until connected, and renewed by ioredis after every reconnect.
    subscriber.subscribe(RECORD_CHANNEL).catch(() => {})
  }

  /**
   * The record, or undefined if none arrived within `waitMs`.
   * Rejects with RedisError or RecordFormatError when Redis fails or holds something else.
   */
  async find (requestId: string, waitMs: number, signal: AbortSignal): Promise<TraceRecord | undefined> {
    // Listen before the first read, so a record stored between the two is not missed.
    const { promise: arrived, resolve } = Promise.withResolvers<void>()
    this.#waiters.set(requestId, resolve)
    const timer = setTimeout(resolve, waitMs)
    const onAbort = (): void => resolve()
    signal.addEventListener('abort', onAbort)
    const started = performance.now()
    try {
      const first = await this.#read(requestId)
      if (first !== undefined || waitMs === 0) return first
      await arrived
      return signal.aborted ? undefined : await this.#read(requestId)
    } finally {
      // A read without a wait (a record's page opened later) is no wait to time.
      if (waitMs > 0) this.#timer?.observeRecordWait((performance.now() - started) / 1000)
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      this.#waiters.delete(requestId)
    }
  }

  /** The record stored under `requestId`, or undefined; no waiting. */
  read (requestId: string): Promise<TraceRecord | undefined> {
    return this.#read(requestId)
  }

  /**
   * The newest `limit` failures whose records still live, newest first: one ZREVRANGE
   * of the recent-failures index, then a GET per record, LIMITS.recentReadBatch at a time so that
   * few large records are in flight at once. Not MGET: on a Redis Cluster the records'
   * keys lie in different slots, and one command may only name keys of one slot.
   * Expired and unreadable records are skipped.
   */
  async recent (limit: number): Promise<TraceRecord[]> {
    const records: TraceRecord[] = []
    this.#breaker.admit()
    try {
      const ids = (await this.#breaker.watch(this.#redis.zrevrange(RECENT_FAILURES_KEY, 0, limit - 1))).filter(isRequestId)
      for (let i = 0; i < ids.length; i += LIMITS.recentReadBatch) {
        const batch = ids.slice(i, i + LIMITS.recentReadBatch)
        this.#breaker.admit()
        for (const json of await this.#breaker.watch(Promise.all(batch.map((id) => this.#redis.get(recordKey(id)))))) {
          const record = json === null ? undefined : await this.#readable(json)
          if (record !== undefined) records.push(record)
        }
      }
    } catch (cause) {
      throw new RedisError('reading the recent failures failed', { cause })
    }
    return records
  }

  async #read (requestId: string): Promise<TraceRecord | undefined> {
    let json: string | null
    this.#breaker.admit()
    try {
      json = await this.#breaker.watch(this.#redis.get(recordKey(requestId)))
    } catch (cause) {
      throw new RedisError('reading the record failed', { cause })
    }
    return json === null ? undefined : this.#resolve(json)
  }

  /**
   * A full record as stored, or for a repeat (a failure the app stored as a pointer to an earlier,
   * identical one: core/record.ts, RepeatRecord) the earlier record's details under this request's
   * ID, with a note saying so. One more GET, only for a repeat.
   */
  async #resolve (json: string): Promise<TraceRecord> {
    const stored = decodeStored(json)
    if (!isRepeat(stored)) return stored
    this.#breaker.admit()
    const full = await this.#breaker.watch(this.#redis.get(recordKey(stored.sameAs)))
    return resolveRepeat(stored, full === null ? undefined : readable(full))
  }

  async #readable (json: string): Promise<TraceRecord | undefined> {
    return this.#resolve(json).catch(() => undefined)
  }

  /** What became of the app's records (RECORD_OUTCOMES_KEY: full, shrunk, repeat, dropped_…), counted by every app process. */
  async outcomes (): Promise<Record<string, string>> {
    this.#breaker.admit()
    return this.#breaker.watch(this.#redis.hgetall(RECORD_OUTCOMES_KEY))
  }
}

/** What a page says when reading its record failed: a record this proxy cannot read, or Redis itself. */
export function unreadableRecordNote (err: unknown): string {
  return err instanceof RecordFormatError
    ? `The stored record could not be read: ${err.message}. Are the app's and the proxy's supertrace versions compatible?`
    : 'Redis failed while the record was being read; see the proxy\'s log.'
}
