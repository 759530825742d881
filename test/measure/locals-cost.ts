/**
 * What SUPERTRACE_CAPTURE_LOCALS costs, measured (not a test: `node test/measure/locals-cost.ts`).
 *
 * 1. In this process: a function that throws and catches, with the capture off, on but
 *    outside a request (the debugger pauses, sees no request and resumes), and on inside
 *    a request (the locals of the app frames are read and attached).
 * 2. End to end: sequential failing requests (`/sync/7`, whose 500 waits for its record to be
 *    stored) and successful ones (`/ok`) to the failures app, straight (no proxy), with the
 *    setting off and on; the median latency of each.
 */
import type { TestContext } from 'node:test'
import { Logger } from '../../core/log.ts'
import { Redactor } from '../../core/redact.ts'
import { LIMITS } from '../../instrumentation/record/limits.ts'
import { startLocalsCapture } from '../../instrumentation/patches/locals.ts'
import { repoRoot, startApp, startRedis } from '../helpers/processes.ts'

const cleanups: Array<() => unknown> = []
const t = { after: (fn: () => unknown) => { cleanups.push(fn) } } as unknown as TestContext

function thrower (n: number): never {
  const order = { id: n, lines: [1, 2, 3], customer: 'alice' }
  throw new Error(`order ${order.id} failed`)
}

function microsPerThrow (iterations: number): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) {
    try { thrower(i) } catch {}
  }
  return Number(process.hrtime.bigint() - start) / iterations / 1000
}

function inProcess (): void {
  let inRequest = false
  const off = microsPerThrow(2000)
  const stop = startLocalsCapture({ redactor: new Redactor(), isInRequest: () => inRequest, maxPerSecond: 1_000_000, maxPausesPerSecond: 1_000_000, logger: new Logger('instrumentation') })
  const outside = microsPerThrow(2000)
  inRequest = true
  const inside = microsPerThrow(2000)
  stop()
  console.log(`per thrown exception: off ${off.toFixed(1)} µs; on, outside a request ${outside.toFixed(1)} µs; on, in a request (locals read) ${inside.toFixed(1)} µs`)
  console.log(`(the rate limit, ${LIMITS.localsCapturesPerSecond}/s, caps the in-request case at ${(LIMITS.localsCapturesPerSecond * inside / 1000).toFixed(1)} ms of pauses a second)`)
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

async function endToEnd (captureLocals: boolean, requests: number): Promise<{ failing: number, ok: number }> {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, `${repoRoot}test/apps/failures-app.js`, { SUPERTRACE_CAPTURE_LOCALS: String(captureLocals), SUPERTRACE_HOLD_MS: '50' })
  const failing: number[] = []
  const ok: number[] = []
  for (let i = 0; i < requests + 20; i++) {
    let start = performance.now()
    const response = await fetch(`${app.url}/sync/7`)
    await response.text()
    if (i >= 20) failing.push(performance.now() - start)
    if (response.status !== 500) throw new Error(`expected a 500, got ${response.status}`)
    start = performance.now()
    await (await fetch(`${app.url}/ok`)).text()
    if (i >= 20) ok.push(performance.now() - start)
  }
  await app.stop()
  await redis.stop()
  return { failing: median(failing), ok: median(ok) }
}

try {
  inProcess()
  const requests = Number(process.argv[2] ?? 200)
  const off = await endToEnd(false, requests)
  const on = await endToEnd(true, requests)
  console.log(`median of ${requests} sequential requests, locals off → on: failing request (its 500 waits for the record to be stored) ${off.failing.toFixed(2)} → ${on.failing.toFixed(2)} ms; successful request ${off.ok.toFixed(2)} → ${on.ok.toFixed(2)} ms`)
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup()
}
