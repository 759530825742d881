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
 * KEYS[1]: the window's counter. ARGV[1]: the counter's TTL; then a cost and the total it may bring
 * the counter to, for each form, most wanted first. Returns the 1-based number of the form reserved, 0 for none.
 */
const RESERVE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
for i = 2, #ARGV, 2 do
  local cost = tonumber(ARGV[i])
  if used + cost <= tonumber(ARGV[i + 1]) then
    redis.call('INCRBY', KEYS[1], cost)
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    return i / 2
  end
end
return 0
`

interface BudgetCommands {
  reserveRecordBytes (key: string, ttlSeconds: number, ...costsAndLimits: number[]): Promise<number>
}

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
  readonly #redis: RedisClient & BudgetCommands
  readonly #allowance: number
  readonly #windowMs: number

  constructor (redis: RedisClient, budgetBytes: number, ttlSeconds: number) {
    redis.defineCommand('reserveRecordBytes', { numberOfKeys: 1, lua: RESERVE_SCRIPT })
    this.#redis = redis as RedisClient & BudgetCommands
    this.#allowance = Math.floor(budgetBytes / 2)
    this.#windowMs = ttlSeconds * 1000
  }

  /** The window `now` falls in; its records are gone by the end of the next one. */
  windowOf (now: number): number {
    return Math.floor(now / this.#windowMs)
  }

  /** Reserves the first of `wanted` (a form and its cost) that fits the current window's allowance: its index, or -1 when none fits. */
  async reserve (wanted: ReadonlyArray<{ readonly form: BudgetForm, readonly cost: number }>, now: number): Promise<number> {
    const args = wanted.flatMap(({ form, cost }) => [cost, Math.floor(this.#allowance * FORM_SHARES[form])])
    const chosen = await this.#redis.reserveRecordBytes(recordBudgetKey(this.windowOf(now)), 2 * this.#windowMs / 1000, ...args)
    return chosen - 1
  }
}
