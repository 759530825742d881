/** Writes a bench's figures into docs/benchmarks.md, between the section's start and end markers. */
import { readFileSync, writeFileSync } from 'node:fs'
import { repoRoot } from '../../test/helpers/processes.ts'

export function writeDocsSection (start: string, end: string, text: string): void {
  const docs = `${repoRoot}docs/benchmarks.md`
  const current = readFileSync(docs, 'utf8')
  const from = current.indexOf(start)
  const to = current.indexOf(end)
  if (from < 0 || to < from) throw new Error(`docs/benchmarks.md has no ${start} … ${end} section`)
  writeFileSync(docs, `${current.slice(0, from + start.length)}\n${text}${current.slice(to)}`)
}
