/**
 * The proxy's resident memory (VmRSS, from /proc), sampled every few seconds.
 * The baseline is the first sample after warm-up, when the JIT, the upstream pool
 * and V8's heap have reached their working size under this load.
 */
import { rssBytes } from '../../bench/lib/proc.ts'

/**
 * The growth past warm-up that fails the soak: 128 MiB. Most of the proxy's RSS is
 * V8's heap between major collections, not live data: in a 4-minute soak its RSS
 * wandered between 100 and 210 MiB while the heap after a forced GC (read through
 * the inspector every 20 s) stayed at 15 MiB and its external memory at 4.5 MiB.
 * The bound sits above that slack, which does not grow with time; a leak does:
 * 2 KiB kept per operation at 100 a second is 120 MiB over the 10-minute soak.
 * (RSS cannot show a small leak within the one-minute test; the long soak can.)
 */
export const GROWTH_BOUND_BYTES = 128 * 1024 * 1024

export interface RssSample {
  /** Milliseconds since the run began. */
  readonly at: number
  readonly bytes: number
}

export interface MemorySummary {
  readonly warm: RssSample
  readonly peak: RssSample
  readonly end: RssSample
  readonly samples: readonly RssSample[]
}

export class RssSampler {
  readonly samples: RssSample[] = []
  readonly #pid: number
  readonly #now: () => number
  #timer: NodeJS.Timeout | null = null

  constructor (pid: number, now: () => number) {
    this.#pid = pid
    this.#now = now
  }

  start (everyMs: number): void {
    this.sample()
    this.#timer = setInterval(() => this.sample(), everyMs)
  }

  sample (): RssSample {
    const sample = { at: this.#now(), bytes: rssBytes(this.#pid) }
    this.samples.push(sample)
    return sample
  }

  stop (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }

  /** Warm, peak and end, counted from the first sample at or after `warmupMs`. */
  summary (warmupMs: number): MemorySummary {
    const afterWarmup = this.samples.filter((s) => s.at >= warmupMs)
    const warm = afterWarmup[0] ?? this.samples[0] ?? { at: 0, bytes: NaN }
    const peak = afterWarmup.reduce((max, s) => (s.bytes > max.bytes ? s : max), warm)
    const end = this.samples.at(-1) ?? warm
    return { warm, peak, end, samples: this.samples }
  }
}

/** Why the memory fails the soak, or null. */
export function memoryProblem (summary: MemorySummary): string | null {
  const growth = summary.end.bytes - summary.warm.bytes
  if (!Number.isFinite(growth)) return 'the proxy\'s RSS could not be read'
  return growth > GROWTH_BOUND_BYTES ? `RSS grew by ${mib(growth)} after warm-up (bound ${mib(GROWTH_BOUND_BYTES)})` : null
}

export function mib (bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
