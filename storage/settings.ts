/**
 * The settings of the record's way into Redis, one row each, shared by everything that
 * writes records: the Node instrumentation (instrumentation/config.ts) and the receiver
 * of other languages' exports (ingest/config.ts) spread them into their tables.
 */
import { integer, type SettingsTable } from '../core/settings.ts'

export const storageSettings = {
  ttlSeconds: {
    env: 'SUPERTRACE_TTL_SECONDS',
    description: 'How long a record stays in Redis.',
    default: 300,
    example: '300',
    parse: integer(1, 7 * 24 * 3600),
  },
  recordBudgetMb: {
    env: 'SUPERTRACE_RECORD_BUDGET_MB',
    description: 'The most that records of failed requests may take in Redis, in MB (10^6 bytes), summed over every process that writes to it. Past it, records are shrunk, then repeats are stored as pointers, then records are dropped and counted (docs/record.md, "An error storm").',
    default: 64,
    example: '64',
    parse: integer(1, 1_000_000),
  },
  recordsInFlight: {
    env: 'SUPERTRACE_RECORDS_IN_FLIGHT',
    description: 'How many failed requests\' records one process may be writing to Redis at once; the records of more are dropped and counted. Each holds its record (typically 5–50 KB) in memory until Redis acknowledges it.',
    default: 512,
    example: '512',
    parse: integer(1, 100_000),
  },
} satisfies SettingsTable
