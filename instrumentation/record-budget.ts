/**
 * The most that records may take in Redis (SUPERTRACE_RECORD_BUDGET_MB), however long
 * an error storm lasts and however many app processes write to the same Redis.
 *
 * Time is cut into windows of one record TTL. Before a record is stored, a Lua script
 * adds its cost to the window's counter (one key, so a Redis Cluster takes it) unless
 * that would pass half the budget. Every record lives at most one TTL, so what is in
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
 * KEYS[1]: the window's counter. ARGV[1]: the window's allowance; ARGV[2]: the counter's TTL;
 * ARGV[3…]: costs, most wanted first. Returns the 1-based index of the cost reserved, 0 for none.
 */
const RESERVE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowance = tonumber(ARGV[1])
for i = 3, #ARGV do
  local cost = tonumber(ARGV[i])
  if used + cost <= allowance then
    redis.call('INCRBY', KEYS[1], cost)
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return i - 2
  end
end
return 0
`

interface BudgetCommands {
  reserveRecordBytes (key: string, allowance: number, ttlSeconds: number, ...costs: number[]): Promise<number>
}

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

  /** Reserves the first of `costs` that fits the current window's allowance: its index, or -1 when none fits. */
  async reserve (costs: readonly number[], now: number): Promise<number> {
    const chosen = await this.#redis.reserveRecordBytes(recordBudgetKey(this.windowOf(now)), this.#allowance, 2 * this.#windowMs / 1000, ...costs)
    return chosen - 1
  }
}
