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

interface TimedProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

/** Where a function's self time goes in the accounting: by what it is part of. */
function groupOf (n: ProfileNode): string {
  const { functionName, url } = n.callFrame
  if (functionName === '(garbage collector)') return 'V8: garbage collection (main thread)'
  if (functionName === '(program)') return 'V8 and Node native code not attributed to a function (program)'
  if (url === '') return 'native functions (system calls: writev, read; the HTTP parser; buffers)'
  if (url.includes('node_modules/undici/')) return 'undici (the upstream side)'
  if (url.includes('node_modules/')) return 'other packages'
  if (/^node:_http|^node:http$/.test(url)) return 'node:http (the server clients talk to: parser callbacks, ServerResponse)'
  if (/^node:(net|stream|events|internal\/(streams|stream_base_commons|net))/.test(url)) return 'node:net, streams, events'
  if (url.startsWith('node:')) return 'other Node internals (timers, nextTick, buffers)'
  return 'the proxy\'s own code (dist/, or the forwarder\'s one file)'
}

export interface Accounting {
  /** Main-thread time per group and per function within the window, µs. */
  readonly byGroup: ReadonlyMap<string, number>
  readonly byFunction: ReadonlyMap<string, number>
  /** Main-thread time sampled busy, and idle, within the window, µs. */
  readonly busyUs: number
  readonly idleUs: number
}

/**
 * The main thread's time in the profile between `fromUs` and `toUs` (CLOCK_MONOTONIC µs, the
 * clock V8 stamps samples with on Linux, and `process.hrtime`'s), by group and by function: a
 * profile of a run under load without its start-up and shutdown.
 */
export function accountWindow (file: string, fromUs: number, toUs: number): Accounting {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as TimedProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const byGroup = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let busyUs = 0
  let idleUs = 0
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0
    if (at < fromUs || at >= toUs) continue
    const node = byId.get(profile.samples[i] as number)
    if (node === undefined || node.callFrame.functionName === '(root)') continue
    if (node.callFrame.functionName === '(idle)') { idleUs += us; continue }
    busyUs += us
    const group = groupOf(node)
    byGroup.set(group, (byGroup.get(group) ?? 0) + us)
    byFunction.set(nameOf(node), (byFunction.get(nameOf(node)) ?? 0) + us)
  }
  return { byGroup, byFunction, busyUs, idleUs }
}
