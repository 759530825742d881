/** Reads a `--cpu-prof` file: the functions with the most self time, or the most total time, as shares of all samples. */
import { readdirSync, readFileSync } from 'node:fs'
import { repoRoot } from '../../test/helpers/processes.ts'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number, children?: number[] }

/** The profile written into `dir` since `before` (the directory's names before the run). */
export function newProfile (dir: string, before: ReadonlySet<string>): string {
  const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error('no profile was written')
  return `${dir}/${file}`
}

function nameOf (n: ProfileNode): string {
  return `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(`file://${repoRoot}`, '')}:${n.callFrame.lineNumber + 1}`
}

function lines (shares: Map<string, number>, total: number, top: number): string[] {
  return [...shares].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, hits]) => `${(hits / total * 100).toFixed(1).padStart(5)}%  ${key}`)
}

/** `top` lines of "share%  function file:line", by self time. */
export function topSelfTime (file: string, top = 40): string[] {
  const { nodes } = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] }
  const bySelf = new Map<string, number>()
  for (const n of nodes) bySelf.set(nameOf(n), (bySelf.get(nameOf(n)) ?? 0) + (n.hitCount ?? 0))
  return lines(bySelf, nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0), top)
}

/**
 * `top` lines by total time (the function and everything it called), for the functions whose
 * file matches `files`. A sample counts once per function, however deep it recurses.
 */
export function topTotalTime (file: string, files: RegExp, top = 40): string[] {
  const { nodes } = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] }
  const parent = new Map<number, ProfileNode>()
  for (const n of nodes) for (const child of n.children ?? []) parent.set(child, n)
  const byTotal = new Map<string, number>()
  for (const n of nodes) {
    if ((n.hitCount ?? 0) === 0) continue
    const seen = new Set<string>()
    for (let at: ProfileNode | undefined = n; at !== undefined; at = parent.get(at.id)) {
      if (files.test(at.callFrame.url)) seen.add(nameOf(at))
    }
    for (const key of seen) byTotal.set(key, (byTotal.get(key) ?? 0) + (n.hitCount ?? 0))
  }
  return lines(byTotal, nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0), top)
}
