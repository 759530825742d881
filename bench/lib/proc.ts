/** What /proc says about a process (Linux): its CPU time and resident memory, and how busy the machine is. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** User + system CPU time of the process so far, in microseconds (clock-tick resolution). */
export function cpuMicros (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / TICKS_PER_SECOND
}

export function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
}

/**
 * RSS in MB, and of it the process's own pages (`RssAnon`: heap, stacks, buffers). The rest
 * is mapped files, for Node its own binary: shared by every process that runs the same file.
 */
export function rssParts (pid: number): { rssMB: number, anonMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kB = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN)
  return { rssMB: kB('VmRSS') / 1024, anonMB: kB('RssAnon') / 1024 }
}

function busyTicks (): { busy: number, total: number } {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
  return { busy: total - idle, total }
}

/** The share of all cores in use over `ms` (0–1), by anything on the machine. */
export async function machineLoad (ms: number): Promise<number> {
  const a = busyTicks()
  await sleep(ms)
  const b = busyTicks()
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total)
}

/**
 * Waits, at most `maxMs`, until the machine is quiet (under `threshold` of all cores
 * busy over 300 ms): other work on a shared machine skews a cell. Returns the last load seen.
 */
export async function waitForQuiet (threshold = 0.15, maxMs = 2500): Promise<number> {
  const deadline = Date.now() + maxMs
  let seen = await machineLoad(300)
  while (seen > threshold && Date.now() < deadline) seen = await machineLoad(300)
  return seen
}
