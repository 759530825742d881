/** Medians with their spread, for repeated measurements. */

export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

export function median (values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function spread (values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite)
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) }
}

export function percentile (values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
