/**
 * Which upstream statuses may become a debug page (SUPERTRACE_INTERCEPT_STATUSES):
 * parsed once at start-up into a table indexed by status, so the check each
 * response makes is one array read (bench: small-200 and anon-500 in docs/benchmarks.md).
 */
import { SettingProblem } from '../../core/settings.ts'

/** The instrumentation records every 5xx, so only 5xx can have a record to show. */
const LOWEST = 500
const HIGHEST = 599

export class InterceptedStatuses {
  readonly #table = new Uint8Array(HIGHEST + 1)
  /** As written in the setting, normalised: `500`, `500,502-504`. */
  readonly text: string

  constructor (ranges: ReadonlyArray<readonly [number, number]>) {
    for (const [from, to] of ranges) this.#table.fill(1, from, to + 1)
    this.text = ranges.map(([from, to]) => from === to ? String(from) : `${from}-${to}`).join(',')
  }

  includes (status: number): boolean {
    return this.#table[status] === 1
  }

  /** `500`, `500-599`, `500,502-504`: 5xx statuses and ranges separated by commas. */
  static parse (raw: string): InterceptedStatuses {
    const ranges: Array<readonly [number, number]> = []
    for (const part of raw.split(',')) {
      const match = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part)
      const from = Number(match?.[1])
      const to = match?.[2] === undefined ? from : Number(match[2])
      if (match === null || from < LOWEST || to > HIGHEST || to < from) throw new SettingProblem(`be ${LOWEST}–${HIGHEST} statuses or ranges separated by commas, such as 500 or 500,502-504 or 500-599`)
      ranges.push([from, to])
    }
    return new InterceptedStatuses(ranges)
  }
}
