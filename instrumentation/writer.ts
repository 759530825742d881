/**
 * Stores records in Redis and announces them. Bounded on every side: a write
 * that Redis does not acknowledge in time fails, at most MAX_IN_FLIGHT writes
 * run at once (more are dropped and counted), and a failure is a warning, never
 * an exception in the app.
 */
import { context } from '@opentelemetry/api'
import { suppressTracing } from '@opentelemetry/core'
import { RedisError } from '../core/errors.ts'
import { Logger } from '../core/log.ts'
import { RECENT_FAILURES_KEY, RECENT_FAILURES_LIMIT, RECORD_CHANNEL, recordKey } from '../core/protocol.ts'
import { encodeRecord, type TraceRecord } from '../core/record.ts'
import { connectOnDemand, connectRedis, type RedisClient } from '../core/redis.ts'
import type { RedisTopology } from '../core/redis-topology.ts'

/** A write Redis has not acknowledged by then has failed; the app is never held this long (see SUPERTRACE_HOLD_MS). */
const WRITE_TIMEOUT_MS = 2000
/** Past this many unacknowledged writes, new records are dropped: a stalled Redis must not grow the app's memory. */
const MAX_IN_FLIGHT = 64

export interface RecordWriterOptions {
  /** The Redis, or for Sentinel and Cluster the password, TLS and database (see `topology`). */
  readonly redisUrl: URL
  /** Sentinel or Cluster (SUPERTRACE_REDIS_SENTINELS, SUPERTRACE_REDIS_CLUSTER_NODES); default: one Redis at `redisUrl`. */
  readonly topology?: RedisTopology
  readonly ttlSeconds: number
  readonly logger?: Logger
}

export class RecordWriter {
  readonly #redis: RedisClient
  readonly #ttlSeconds: number
  readonly #logger: Logger
  #inFlight = 0
  #dropped = 0

  constructor (options: RecordWriterOptions) {
    this.#ttlSeconds = options.ttlSeconds
    this.#logger = options.logger ?? new Logger('instrumentation')
    this.#redis = connectRedis({
      url: options.redisUrl,
      topology: options.topology ?? { kind: 'single' },
      commandTimeoutMs: WRITE_TIMEOUT_MS,
      purpose: 'writing records',
      logger: this.#logger,
      onDemand: true,
    })
  }

  /**
   * Stores the record under its request ID, lists it among the recent failures, and once it is stored
   * publishes the ID so a waiting proxy reads it at once. Resolves `true` once Redis has acknowledged
   * all three, `false` if the record was dropped. Never rejects.
   *
   * Three commands, not one MULTI, so that a Redis Cluster takes them: a transaction must keep to
   * one hash slot, and the record and the index are different keys (docs/record.md, "Where it lives").
   * They are sent at once; on one Redis they share a connection and run in order.
   *
   * `json`: the record already encoded, when the caller has it (the instrumentation does, from checking its size).
   */
  write (record: TraceRecord, json: string = encodeRecord(record)): Promise<boolean> {
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      if (this.#dropped++ === 0) this.#logger.warn(`more than ${MAX_IN_FLIGHT} records are waiting for Redis; dropping new ones until it catches up`, record.requestId)
      return Promise.resolve(false)
    }
    this.#inFlight++
    // The writer's own Redis commands must not become spans of the failing request.
    return context.with(suppressTracing(context.active()), () => connectOnDemand(this.#redis)
      .then(() => {
        const stored = this.#redis.set(recordKey(record.requestId), json, 'EX', this.#ttlSeconds)
        // The proxy's list of recent failures: newest last, trimmed to the newest RECENT_FAILURES_LIMIT. One key, one slot.
        const listed = this.#redis.multi()
          .zadd(RECENT_FAILURES_KEY, record.time, record.requestId)
          .zremrangebyrank(RECENT_FAILURES_KEY, 0, -RECENT_FAILURES_LIMIT - 1)
          .exec()
        // Only after the SET's reply: on a Cluster the PUBLISH goes to another node and could overtake it.
        const announced = stored.then(() => this.#redis.publish(RECORD_CHANNEL, record.requestId))
        return Promise.all([listed, announced])
      }))
      .then(() => true, (cause: unknown) => {
        this.#logger.error('a record was not stored', new RedisError('the record write failed', { cause }), record.requestId)
        return false
      })
      .finally(() => {
        this.#inFlight--
        if (this.#inFlight === 0 && this.#dropped > 0) {
          this.#logger.warn(`${this.#dropped} records were dropped while Redis was slow`)
          this.#dropped = 0
        }
      })
  }

  async close (): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect())
  }
}
