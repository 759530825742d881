/** The soak's summary, as printed at the end of `npm run soak` and in the test's diagnostics. */
import { RULES } from './checks.ts'
import { FAULT_KINDS } from './faults.ts'
import { GROWTH_BOUND_BYTES, mib, type RssSample } from './memory.ts'
import type { SoakReport } from './soak.ts'

/** Violations listed one by one, up to this many; all are counted by rule. */
const LISTED_VIOLATIONS = 20

/** m:ss.s since the run began. */
function clock (ms: number): string {
  const seconds = ms / 1000
  return `${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(1).padStart(4, '0')}`
}

function rss (sample: RssSample): string {
  return `${mib(sample.bytes)} at ${clock(sample.at)}`
}

export function formatReport (report: SoakReport): string {
  const o = report.options
  const lines = [
    `Soak from ${new Date(report.startedAt).toISOString()}: ${clock(report.durationMs)} of load, ${o.clients} clients, ${o.ratePerSecond} operations/s, a fault every ${o.faultEverySeconds} s (${o.faultKinds.join(', ')}) after ${o.warmupSeconds} s of warm-up`,
    '',
  ]

  let total = 0
  const kinds: string[] = []
  for (const [kind, tally] of report.tallies) {
    const count = [...tally.values()].reduce((sum, n) => sum + n, 0)
    total += count
    const outcomes = [...tally].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label}: ${n}`).join(' · ')
    kinds.push(`  ${kind.padEnd(14)} ${String(count).padStart(7)}   ${outcomes}`)
  }
  lines.push(`Operations: ${total}`, ...kinds, '')

  lines.push(`Faults injected: ${report.faults.length}`)
  for (const kind of FAULT_KINDS) {
    const of = report.faults.filter((f) => f.kind === kind)
    const windows = of.map((f) => `${clock(f.startedAt)}–${f.restoredAt === null ? '?' : clock(f.restoredAt)}`).join(', ')
    lines.push(`  ${kind.padEnd(14)} ${String(of.length).padStart(3)}   ${windows}`)
  }
  lines.push('')

  const m = report.memory
  lines.push(`Proxy RSS: after warm-up ${rss(m.warm)}, peak ${rss(m.peak)}, end ${rss(m.end)}; growth ${mib(m.end.bytes - m.warm.bytes)} (bound ${mib(GROWTH_BOUND_BYTES)})`)
  lines.push(`  samples (MiB): ${m.samples.map((s) => (s.bytes / 1024 / 1024).toFixed(0)).join(' ')}`, '')

  const codes = [...report.proxyLogCodes].map(([code, n]) => `${code}: ${n}`).join(' · ')
  lines.push(`Proxy log: ${codes === '' ? 'no error codes' : codes}`, '')

  if (report.notes.length > 0) {
    lines.push(`Notes: ${report.notes.length}`)
    for (const note of report.notes.slice(0, LISTED_VIOLATIONS)) lines.push(`  ${clock(note.at)} ${note.text}`)
    lines.push('')
  }
  if (report.violations.length === 0) {
    lines.push('Violations: none')
  } else {
    lines.push(`Violations: ${report.violations.length}`)
    for (const rule of Object.keys(RULES) as Array<keyof typeof RULES>) {
      const count = report.violations.filter((v) => v.rule === rule).length
      if (count > 0) lines.push(`  ${count} × ${rule}: ${RULES[rule]}`)
    }
    for (const v of report.violations.slice(0, LISTED_VIOLATIONS)) lines.push(`  ${clock(v.at)} ${v.rule}: ${v.detail}`)
    if (report.violations.length > LISTED_VIOLATIONS) lines.push(`  … and ${report.violations.length - LISTED_VIOLATIONS} more`)
  }
  return lines.join('\n')
}
