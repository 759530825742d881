/**
 * The faults, on a schedule: after a fault-free warm-up, one fault every
 * `everyMs`, taking the kinds in turn, and none in the last `calmMs` so that the
 * run ends with the stack recovered. Each fault is a window, from its injection to
 * the moment the stack is whole again; the checks excuse only what a window explains.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { SoakStack } from './stack.ts'

export const FAULT_KINDS = ['Redis killed', 'Redis paused', 'app killed', 'app paused'] as const
export type FaultKind = typeof FAULT_KINDS[number]
export const REDIS_FAULTS: readonly FaultKind[] = ['Redis killed', 'Redis paused']
export const APP_FAULTS: readonly FaultKind[] = ['app killed', 'app paused']

/** How long each fault lasts before the stack is restored: longer than every timeout it should trip (SUPERTRACE_REDIS_TIMEOUT_MS is 250 ms). */
const OUTAGE_MS: Readonly<Record<FaultKind, number>> = {
  'Redis killed': 3000,
  'Redis paused': 3000,
  'app killed': 2000,
  'app paused': 2000,
}

/**
 * How long after a fault's restoration its effects are still excused: the proxy
 * reconnects to Redis with a back-off of at most 1 s (core/redis.ts), and the app's
 * first requests after a restart may still find the old connections' ends.
 */
const AFTERMATH_MS: Readonly<Record<FaultKind, number>> = {
  'Redis killed': 3000,
  'Redis paused': 3000,
  'app killed': 1000,
  'app paused': 1000,
}

export interface Fault {
  readonly kind: FaultKind
  /** Milliseconds since the run began. */
  readonly startedAt: number
  /** When the stack was whole again; null while the fault lasts. */
  restoredAt: number | null
}

export interface ScheduleOptions {
  readonly durationMs: number
  readonly everyMs: number
  readonly warmupMs: number
  readonly calmMs: number
  /** The kinds taken in turn (default: all of FAULT_KINDS). */
  readonly kinds: readonly FaultKind[]
}

export function faultSchedule (options: ScheduleOptions): Array<{ readonly at: number, readonly kind: FaultKind }> {
  const schedule: Array<{ at: number, kind: FaultKind }> = []
  for (let at = options.warmupMs, i = 0; at <= options.durationMs - options.calmMs; at += options.everyMs, i++) {
    schedule.push({ at, kind: options.kinds[i % options.kinds.length] as FaultKind })
  }
  return schedule
}

export class FaultLog {
  readonly faults: Fault[] = []

  /** Whether a fault of one of `kinds` was under way, or had just ended, at some moment from `from` to `to`. */
  overlaps (kinds: readonly FaultKind[], from: number, to: number): boolean {
    return this.faults.some((fault) => kinds.includes(fault.kind) &&
      fault.startedAt <= to &&
      (fault.restoredAt === null || fault.restoredAt + AFTERMATH_MS[fault.kind] >= from))
  }

  /** The moment after which `fault` excuses nothing any more. */
  excusedUntil (fault: Fault): number {
    return (fault.restoredAt ?? Infinity) + AFTERMATH_MS[fault.kind]
  }
}

/** Injects one fault, waits out its outage, restores the stack, and records the window in `log`. */
export async function inject (stack: SoakStack, kind: FaultKind, log: FaultLog, now: () => number): Promise<Fault> {
  const fault: Fault = { kind, startedAt: now(), restoredAt: null }
  log.faults.push(fault)
  switch (kind) {
    case 'Redis killed':
      await stack.killRedis()
      await sleep(OUTAGE_MS[kind])
      await stack.restartRedis()
      break
    case 'Redis paused':
      stack.pauseRedis()
      await sleep(OUTAGE_MS[kind])
      stack.resumeRedis()
      break
    case 'app killed':
      await stack.killApp()
      await sleep(OUTAGE_MS[kind])
      await stack.restartApp()
      break
    case 'app paused':
      stack.pauseApp()
      await sleep(OUTAGE_MS[kind])
      stack.resumeApp()
      break
  }
  fault.restoredAt = now()
  return fault
}
