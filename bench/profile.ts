/**
 * `node bench/profile.ts [path] [seconds] [rounds]`: supertrace's proxy and the minimal undici
 * forwarder (bench/servers/undici-forwarder.ts) under --cpu-prof (a sample every 100 µs), in
 * front of the same small app, wrk runs alternating between them. Only the samples taken
 * during the runs count (no start-up, warm-up or shutdown). Prints each one's main-thread
 * time per request by group (bench/lib/cpu-profile.ts), the CPU /proc counted (the rest is
 * other threads: V8's GC helpers, libuv, and the profiler itself), and the functions whose
 * self time differs most: an account of each µs supertrace spends above the forwarder. The
 * profiles are left in bench/results/profiles/ for Chrome DevTools. Path defaults to /small;
 * BENCH_PROXY_FLAGS is supertrace's NODE_OPTIONS, as in bench/rivals.ts.
 */
import { mkdirSync, readdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { freePort, proxyBin, repoRoot, Started } from '../test/helpers/processes.ts'
import { accountWindow, newProfile, type Accounting } from './lib/cpu-profile.ts'
import { load } from './lib/load.ts'
import { cpuMicros, waitForQuiet } from './lib/proc.ts'
import { nodeServer, startNode, type Running } from './rivals.ts'

const path = process.argv[2] ?? '/small'
const seconds = Number(process.argv[3] ?? 3)
const rounds = Number(process.argv[4] ?? 4)
const dir = `${repoRoot}bench/results/profiles`
mkdirSync(dir, { recursive: true })
const profiling = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100']
const headers = { cookie: 'sessionid=visitor; theme=dark' }

const redisPort = await freePort()
const redisServer = new Started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
await redisServer.waitFor('Ready to accept connections')
const redisUrl = `redis://127.0.0.1:${redisPort}`
const upstream = await nodeServer(`${repoRoot}bench/servers/upstream.ts`, { BENCH_REDIS_URL: redisUrl })

interface Profiled { readonly name: string, readonly running: Running, readonly windows: Array<[number, number]>, cpuUs: number, requests: number, file: string }

async function supertrace (): Promise<Running> {
  const port = await freePort()
  const started = await startNode([...profiling, proxyBin, 'proxy'], {
    SUPERTRACE_UPSTREAM: upstream.url, SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(await freePort()), SUPERTRACE_REDIS_URL: redisUrl,
    ...(process.env.BENCH_PROXY_FLAGS === undefined ? {} : { NODE_OPTIONS: process.env.BENCH_PROXY_FLAGS }),
  }, 'listening on')
  return { url: `http://127.0.0.1:${port}`, pid: started.child.pid as number, stop: () => started.stop() }
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n)
const proxies: Profiled[] = []
try {
  for (const [name, start] of [['supertrace', supertrace], ['undici forwarder', () => nodeServer(`${repoRoot}bench/servers/undici-forwarder.ts`, { UPSTREAM: upstream.url }, 'listening', profiling)]] as const) {
    const running = await start()
    proxies.push({ name, running, windows: [], cpuUs: 0, requests: 0, file: '' })
  }
  for (const p of proxies) await load({ url: `${p.running.url}${path}`, connections: 32, seconds: 1, headers })
  for (let round = 0; round < rounds; round++) {
    for (const p of round % 2 === 0 ? proxies : [...proxies].reverse()) {
      await waitForQuiet()
      const cpu0 = cpuMicros(p.running.pid)
      const from = monotonicUs()
      const result = await load({ url: `${p.running.url}${path}`, connections: 32, seconds, headers })
      p.windows.push([from, monotonicUs()])
      p.cpuUs += cpuMicros(p.running.pid) - cpu0
      p.requests += result.requests
    }
  }
} finally {
  // Each writes its profile as it exits; stopped one at a time, so each new file is its own.
  for (const p of proxies) {
    const present = new Set(readdirSync(dir))
    await p.running.stop()
    p.file = newProfile(dir, present)
  }
  await upstream.stop()
  await redisServer.stop()
}

const accounts = proxies.map((p) => {
  const parts = p.windows.map(([from, to]) => accountWindow(p.file, from, to))
  const sum = (pick: (a: Accounting) => ReadonlyMap<string, number>): Map<string, number> => {
    const total = new Map<string, number>()
    for (const a of parts) for (const [k, us] of pick(a)) total.set(k, (total.get(k) ?? 0) + us)
    return total
  }
  return { ...p, byGroup: sum((a) => a.byGroup), byFunction: sum((a) => a.byFunction), busyUs: parts.reduce((s, a) => s + a.busyUs, 0) }
})
const [st, fw] = accounts as [(typeof accounts)[number], (typeof accounts)[number]]
const perRequest = (us: number | undefined, p: { requests: number }): number => (us ?? 0) / p.requests
const row = (label: string, a: number, b: number): string => `| ${label} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a - b >= 0 ? '+' : '')}${(a - b).toFixed(2)} |\n`
process.stdout.write(`${path}, ${rounds} rounds × ${seconds} s each: supertrace ${st.requests} requests, the forwarder ${fw.requests}\n\n`)
process.stdout.write(`| µs per request | supertrace | undici forwarder | difference |\n|---|---|---|---|\n`)
const groups = [...new Set([...st.byGroup.keys(), ...fw.byGroup.keys()])].sort((a, b) => perRequest(st.byGroup.get(b), st) - perRequest(st.byGroup.get(a), st))
for (const g of groups) process.stdout.write(row(g, perRequest(st.byGroup.get(g), st), perRequest(fw.byGroup.get(g), fw)))
process.stdout.write(row('**main thread, sampled busy**', st.busyUs / st.requests, fw.busyUs / fw.requests))
process.stdout.write(row('/proc less the sampled main thread (other threads: GC helpers, libuv; below 0 when the machine is busy, as a sample then stands for wall time)', (st.cpuUs - st.busyUs) / st.requests, (fw.cpuUs - fw.busyUs) / fw.requests))
process.stdout.write(row('**CPU per request (/proc, user + system)**', st.cpuUs / st.requests, fw.cpuUs / fw.requests))
process.stdout.write('\nFunctions whose self time differs most (µs per request, supertrace − forwarder):\n\n')
const names = [...new Set([...st.byFunction.keys(), ...fw.byFunction.keys()])]
const diffs = names.map((n) => ({ n, st: perRequest(st.byFunction.get(n), st), fw: perRequest(fw.byFunction.get(n), fw) })).sort((a, b) => Math.abs(b.st - b.fw) - Math.abs(a.st - a.fw))
for (const d of diffs.slice(0, 25)) process.stdout.write(`${(d.st - d.fw >= 0 ? '+' : '')}${(d.st - d.fw).toFixed(2).padStart(6)}  (${d.st.toFixed(2)} vs ${d.fw.toFixed(2)})  ${d.n}\n`)
process.stdout.write(`\n${st.file}\n${fw.file}\n`)
