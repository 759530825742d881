/**
 * A circuit breaker for the Redis commands a request sends (superuser lookups,
 * record reads), so that a Redis that hangs costs a request nothing instead of a
 * SUPERTRACE_REDIS_TIMEOUT_MS wait each:
 *
 *   closed     every command goes to Redis; SUPERTRACE_BREAKER_FAILURES failures
 *              or timeouts in a row open it
 *   open       no command goes to Redis: each is refused at once (fail closed, the
 *              app's own 500), for SUPERTRACE_BREAKER_COOLDOWN_MS
 *   half-open  one command goes through as a probe; the others are still refused.
 *              Its success closes the breaker, its failure opens it again
 *
 * A reply from Redis, even an error reply (NOSCRIPT, WRONGTYPE), counts as a
 * success: Redis answered. Without closures per command: a caller asks `admit()`
 * before sending and hands the reply's promise to `watch()`.
 */
import { EventEmitter } from 'node:events'
import { ReplyError } from 'ioredis'
import { RedisBreakerOpenError } from '../../core/errors.ts'
import type { Logger } from '../../core/log.ts'

export type BreakerState = 'closed' | 'open' | 'half-open'

export interface RedisBreakerOptions {
  /** Failures or timeouts in a row that open the breaker. */
  readonly failures: number
  /** How long it stays open before one probe is let through. */
  readonly cooldownMs: number
  readonly logger: Logger
}

/** Emits 'change' with the new state on every transition, e.g. for a metrics gauge. */
export class RedisBreaker extends EventEmitter<{ change: [BreakerState] }> {
  readonly #options: RedisBreakerOptions
  #state: BreakerState = 'closed'
  #failuresInARow = 0
  #isProbing = false
  #skipped = 0
  #skippedSinceOpen = 0
  #cooldown: NodeJS.Timeout | undefined

  constructor (options: RedisBreakerOptions) {
    super()
    this.#options = options
  }

  get state (): BreakerState {
    return this.#state
  }

  /** Commands refused since start-up without asking Redis (a counter for the metrics). */
  get skipped (): number {
    return this.#skipped
  }

  /** Throws RedisBreakerOpenError when no command may go to Redis now; otherwise the caller sends one and passes its reply to `watch()`. */
  admit (): void {
    if (this.#state === 'closed') return
    if (this.#state === 'half-open' && !this.#isProbing) {
      this.#isProbing = true
      return
    }
    this.#skipped++
    this.#skippedSinceOpen++
    throw new RedisBreakerOpenError()
  }

  /** The reply of an admitted command, unchanged; its outcome moves the breaker. */
  watch<T> (reply: Promise<T>): Promise<T> {
    return reply.then(this.#onReply, this.#onFailure)
  }

  /** Stops the cooldown timer (the proxy is shutting down). */
  close (): void {
    clearTimeout(this.#cooldown)
  }

  readonly #onReply = <T>(value: T): T => {
    this.#succeeded()
    return value
  }

  readonly #onFailure = (err: unknown): never => {
    if (err instanceof ReplyError) this.#succeeded()
    else this.#failed(err)
    throw err
  }

  #succeeded (): void {
    this.#failuresInARow = 0
    if (this.#state === 'closed') return
    const skipped = this.#skippedSinceOpen
    this.#enter('closed')
    this.#options.logger.info(`Redis answers again: the circuit breaker is closed; ${skipped} Redis command(s) were skipped while it was open`)
  }

  #failed (err: unknown): void {
    this.#failuresInARow++
    if (this.#state === 'open') return
    if (this.#state === 'closed' && this.#failuresInARow < this.#options.failures) return
    const wasClosed = this.#state === 'closed'
    this.#enter('open')
    // A failed probe reopens it silently: one warning per outage, not one per cooldown.
    if (!wasClosed) return
    this.#skippedSinceOpen = 0
    const why = err instanceof Error ? err.message : String(err)
    this.#options.logger.warn(`the circuit breaker is open after ${this.#failuresInARow} Redis failure(s) in a row (last: ${why}): superuser lookups and record reads fail closed without asking Redis; one is let through in ${this.#options.cooldownMs} ms (SUPERTRACE_BREAKER_COOLDOWN_MS)`)
  }

  #enter (state: BreakerState): void {
    clearTimeout(this.#cooldown)
    this.#isProbing = false
    this.#state = state
    if (state === 'open') {
      this.#cooldown = setTimeout(this.#halfOpen, this.#options.cooldownMs).unref()
    }
    this.emit('change', state)
  }

  readonly #halfOpen = (): void => {
    this.#enter('half-open')
  }
}
