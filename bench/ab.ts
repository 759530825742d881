/**
 * `node bench/ab.ts <dir A> <dir B> [path] [rounds]`: two builds of supertrace's proxy
 * (each a copy of dist/, e.g. `cp -r dist .ab/base` before a change) side by side in
 * front of the same small app, wrk runs alternating A/B. Prints req/s and the proxy's
 * CPU µs per request for each, and B/A: how the numbers for "what each change bought"
 * in docs/benchmarks.md were taken.
 */
import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { freePort, Started } from '../test/helpers/processes.ts'
import { load } from './lib/load.ts'
import { cpuMicros, waitForQuiet } from './lib/proc.ts'
import { spread } from './lib/stats.ts'
import { nodeServer, startNode, type Running } from './rivals.ts'

const [dirA, dirB, path = '/small', roundsArg = '6'] = process.argv.slice(2)
if (dirA === undefined || dirB === undefined) throw new Error('usage: node bench/ab.ts <dist A> <dist B> [path] [rounds]')
const redisPort = await freePort()
const redis = new Started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
await redis.waitFor('Ready to accept connections')
const redisUrl = `redis://127.0.0.1:${redisPort}`
const upstream = await nodeServer(resolve('bench/servers/upstream.ts'), { BENCH_REDIS_URL: redisUrl })

async function proxy (dir: string): Promise<Running> {
  const port = await freePort()
  const started = await startNode([existsSync(resolve(dir, 'cli.js')) ? resolve(dir, 'cli.js') : resolve(dir, 'proxy/cli.js'), 'proxy'], { SUPERTRACE_UPSTREAM: upstream.url, SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(await freePort()), SUPERTRACE_REDIS_URL: redisUrl }, 'listening on')
  return { url: `http://127.0.0.1:${port}`, pid: started.child.pid as number, stop: () => started.stop() }
}

const builds = { A: await proxy(dirA), B: await proxy(dirB) }
const figures = { A: { rps: [] as number[], cpu: [] as number[] }, B: { rps: [] as number[], cpu: [] as number[] } }
const headers = { cookie: 'sessionid=visitor; theme=dark' }
try {
  for (const p of Object.values(builds)) await load({ url: `${p.url}${path}`, connections: 32, seconds: 2, headers })
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const name of (round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as Array<'A' | 'B'>) {
      const p = builds[name]
      await waitForQuiet()
      const cpu0 = cpuMicros(p.pid)
      const result = await load({ url: `${p.url}${path}`, connections: 32, seconds: 3, headers })
      figures[name].rps.push(result.rps)
      figures[name].cpu.push((cpuMicros(p.pid) - cpu0) / result.requests)
    }
  }
} finally {
  for (const p of Object.values(builds)) await p.stop()
  await upstream.stop()
  await redis.stop()
}
const show = (name: 'A' | 'B'): string => {
  const r = spread(figures[name].rps)
  const c = spread(figures[name].cpu)
  return `${name}: ${r.median.toFixed(0)} req/s (${r.min.toFixed(0)}–${r.max.toFixed(0)}), CPU ${c.median.toFixed(2)} µs/req (${c.min.toFixed(2)}–${c.max.toFixed(2)})`
}
const ratio = (k: 'rps' | 'cpu'): string => spread(figures.B[k].map((b, i) => b / (figures.A[k][i] as number))).median.toFixed(3)
process.stdout.write(`${show('A')}\n${show('B')}\nB/A: req/s ${ratio('rps')}, CPU/req ${ratio('cpu')}\n`)
