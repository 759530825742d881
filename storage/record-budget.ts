/**
 * The most that records may take in Redis (SUPERTRACE_RECORD_BUDGET_MB), however long
 * an error storm lasts and however many app processes write to the same Redis.
 *
 * Time is cut into windows of one record TTL. Before a record is stored, a Lua script
 * adds its cost to the window's counter (one key, so a Redis Cluster takes it) unless
 * that would pass half the budget (the window's allowance). Every record lives at most one TTL, so what is in
 * Redis at any moment was written in the current window or the one before: at most
 * twice half the budget. The script is handed the costs of the forms a record can take
 * (full, shrunk, a repeat), most wanted first, and reserves the first that fits, in one
 * round trip.
 *
 * Windows follow each process's clock: clocks that disagree by seconds move a window's
 * edge by as much, against a TTL of minutes.
 */
import { recordBudgetKey } from '../core/protocol.ts'
import type { RedisClient } from '../core/redis.ts'

/**
 * The share of a window's allowance each form may fill. Full records stop at half, so that a
 * storm of distinct failures leaves room to shrink the rest instead of dropping them, and
 * repeats, the smallest, get the last tenth.
 */
export const FORM_SHARES = { full: 0.5, shrunk: 0.9, repeat: 1 } as const
export type BudgetForm = keyof typeof FORM_SHARES

/**
 * What a stored string of `bytes` costs Redis, measured with MEMORY USAGE and INFO's used_memory
 * (Redis 7, jemalloc): the value rounded up to jemalloc's size class (four per doubling), plus
 * the key, its object, its entries in the key and expiry tables: 492 bytes for a 300-byte value,
 * 24 680 for 24 000 bytes. Charged a little over that, so that the budget holds.
 */
export function costInRedis (bytes: number): number {
  const value = bytes + 3 // the string's header
  const step = value <= 128 ? 16 : 2 ** (Math.floor(Math.log2(value - 1)) - 2)
  return Math.ceil(value / step) * step + 192
}

export class RecordBudget {
  readonly #redis: RedisClient
  readonly #allowance: number
  readonly #windowMs: number

  constructor (redis: RedisClient, budgetBytes: number, ttlSeconds: number) {
    this.#redis = redis
    this.#allowance = Math.floor(budgetBytes / 2)
    this.#windowMs = ttlSeconds * 1000
  }

  /** The window `now` falls in; its records are gone by the end of the next one. */
  windowOf (now: number): number {
    return Math.floor(now / this.#windowMs)
  }

  /** Reserves the first of `wanted` (a form and its cost) that fits the current window's allowance: its index, or -1 when none fits. */
  async reserve (wanted: ReadonlyArray<{ readonly form: BudgetForm, readonly cost: number }>, now: number): Promise<number> {
    const key = recordBudgetKey(this.windowOf(now))
    for (const [i, { form, cost }] of wanted.entries()) {
      const sum = await this.#redis.incrby(key, cost)
      // The counter outlives its window by one, then goes; set with each reservation, as any could be the first.
      void this.#redis.expire(key, 2 * this.#windowMs / 1000).catch(() => {})
      if (sum <= Math.floor(this.#allowance * FORM_SHARES[form])) return i
      void this.#redis.decrby(key, cost).catch(() => {})
    }
    return -1
  }
}
