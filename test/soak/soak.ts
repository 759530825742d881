/**
 * The soak (npm run soak): the real stack under a steady mixed load for a number
 * of minutes while faults are injected on a schedule, every operation checked as it
 * completes, and the proxy's memory sampled throughout.
 *
 *   stack.ts     Redis, the soak app and the proxy, started as the tests start them
 *   workload.ts  the clients: 200s, anonymous and superuser 500s, WebSocket echoes
 *   faults.ts    the schedule: Redis killed and paused, the app killed and paused
 *   checks.ts    the rules every operation is judged by
 *   memory.ts    the proxy's RSS
 *   report.ts    the summary
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Teardown } from '../helpers/processes.ts'
import { SoakChecks, type Violation } from './checks.ts'
import { FAULT_KINDS, faultSchedule, FaultLog, inject, type Fault, type FaultKind } from './faults.ts'
import { memoryProblem, mib, RssSampler, type MemorySummary } from './memory.ts'
import { SoakStack } from './stack.ts'
import { runWorkload, type Kind } from './workload.ts'

export interface SoakOptions {
  readonly minutes: number
  readonly faultEverySeconds: number
  readonly clients: number
  readonly ratePerSecond: number
  /** Fault-free at the start: the memory baseline is taken at its end. */
  readonly warmupSeconds: number
  /** Fault-free at the end: the run must finish recovered. */
  readonly calmSeconds: number
  /** The faults taken in turn. */
  readonly faultKinds: readonly FaultKind[]
}

export const DEFAULT_OPTIONS: SoakOptions = {
  minutes: 10,
  faultEverySeconds: 30,
  clients: 12,
  ratePerSecond: 100,
  warmupSeconds: 15,
  calmSeconds: 15,
  faultKinds: FAULT_KINDS,
}

export interface SoakReport {
  readonly options: SoakOptions
  /** Epoch milliseconds: the run's clock starts here. */
  readonly startedAt: number
  readonly durationMs: number
  readonly tallies: ReadonlyMap<Kind, ReadonlyMap<string, number>>
  readonly faults: readonly Fault[]
  readonly memory: MemorySummary
  readonly violations: readonly Violation[]
  readonly notes: SoakChecks['notes']
  /** How many of the proxy's log lines carry each error code (ST_REDIS, ST_UPSTREAM, …). */
  readonly proxyLogCodes: ReadonlyMap<string, number>
}

/** Progress lines and each violation as it happens. */
export type SoakLog = (line: string) => void

const RSS_EVERY_MS = 5000

export async function runSoak (teardown: Teardown, options: SoakOptions, log: SoakLog = () => {}): Promise<SoakReport> {
  const stack = await SoakStack.start(teardown)
  log(`stack up: proxy ${stack.proxy.url} (pid ${stack.proxyPid})`)
  const startedAt = Date.now()
  const origin = performance.now()
  const now = (): number => performance.now() - origin
  const durationMs = options.minutes * 60_000

  const faults = new FaultLog()
  const checks = new SoakChecks(faults, (v) => log(`VIOLATION at ${(v.at / 1000).toFixed(1)} s: ${v.rule}: ${v.detail}`))
  const memory = new RssSampler(stack.proxyPid, now)
  memory.start(RSS_EVERY_MS)
  const stop = new AbortController()
  let completed = 0
  const progress = setInterval(() => log(`${(now() / 1000).toFixed(0)} s: ${completed} operations, ${faults.faults.length} faults, proxy RSS ${mib(memory.samples.at(-1)?.bytes ?? NaN)}, ${checks.violations.length} violations`), 10_000)

  try {
    await Promise.all([
      runWorkload({
        proxyUrl: stack.proxy.url,
        superuserCookie: stack.superuserCookie,
        visitorCookie: stack.visitorCookie,
        clients: options.clients,
        ratePerSecond: options.ratePerSecond,
        untilMs: durationMs,
        now,
        signal: stop.signal,
      }, (operation) => {
        completed++
        checks.judge(operation)
      }),
      injectOnSchedule(stack, faults, options, durationMs, now, log).catch((err: unknown) => {
        stop.abort()
        throw err
      }),
    ])
  } finally {
    clearInterval(progress)
    memory.sample()
    memory.stop()
  }

  const endedAt = now()
  const summary = memory.summary(options.warmupSeconds * 1000)
  checks.finish(stack.proxyOutput, endedAt, memoryProblem(summary))
  return { options, startedAt, durationMs: endedAt, tallies: checks.tallies, faults: faults.faults, memory: summary, violations: checks.violations, notes: checks.notes, proxyLogCodes: countCodes(stack.proxyOutput) }
}

function countCodes (log: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const [code] of log.matchAll(/\bST_[A-Z_]+\b/g)) counts.set(code, (counts.get(code) ?? 0) + 1)
  return counts
}

async function injectOnSchedule (stack: SoakStack, faults: FaultLog, options: SoakOptions, durationMs: number, now: () => number, log: SoakLog): Promise<void> {
  const schedule = faultSchedule({ durationMs, everyMs: options.faultEverySeconds * 1000, warmupMs: options.warmupSeconds * 1000, calmMs: options.calmSeconds * 1000, kinds: options.faultKinds })
  for (const { at, kind } of schedule) {
    const wait = at - now()
    if (wait > 0) await sleep(wait)
    const fault = await inject(stack, kind, faults, now)
    log(`${(fault.startedAt / 1000).toFixed(1)} s: ${kind}, restored at ${((fault.restoredAt ?? NaN) / 1000).toFixed(1)} s`)
  }
}
