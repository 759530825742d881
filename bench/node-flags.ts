/**
 * `node bench/node-flags.ts [rounds] [flags …]`: supertrace's proxy (dist/) started once per
 * set of Node flags (in NODE_OPTIONS, which wins over the proxy's own defaults), side by side
 * in front of the same small app, wrk runs rotating through them on a small 200 and a 64 KiB
 * 200. Prints, per flags and path, requests/s, the proxy's CPU µs per request and its RSS
 * at rest and after each run, as medians with their min–max, and each one's ratio to the
 * first flags in the list, round by round. Default flags: --max-semi-space-size 1, 2, 4, 16.
 */
import { spawn } from 'node:child_process'
import { freePort, proxyBin, Started } from '../test/helpers/processes.ts'
import { load } from './lib/load.ts'
import { cpuMicros, rssParts, waitForQuiet } from './lib/proc.ts'
import { spread, type Spread } from './lib/stats.ts'
import { nodeServer, startNode, type Running } from './rivals.ts'

const [roundsArg = '5', ...flagsArgs] = process.argv.slice(2)
const settings = flagsArgs.length > 0 ? flagsArgs : ['1', '2', '4', '16'].map((mb) => `--max-semi-space-size=${mb}`)
const paths = ['/small', '/64k']
const headers = { cookie: 'sessionid=visitor; theme=dark' }

const redisPort = await freePort()
const redis = new Started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
await redis.waitFor('Ready to accept connections')
const redisUrl = `redis://127.0.0.1:${redisPort}`
const upstream = await nodeServer(`${process.cwd()}/bench/servers/upstream.ts`, { BENCH_REDIS_URL: redisUrl })

async function proxy (flags: string): Promise<Running> {
  const port = await freePort()
  const started = await startNode([proxyBin, 'proxy'], { SUPERTRACE_UPSTREAM: upstream.url, SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(await freePort()), SUPERTRACE_REDIS_URL: redisUrl, NODE_OPTIONS: flags }, 'listening on')
  return { url: `http://127.0.0.1:${port}`, pid: started.child.pid as number, stop: () => started.stop() }
}

interface Figures { rps: number[], cpuUs: number[], rssMB: number[], machineLoad: number[] }
const proxies = await Promise.all(settings.map(proxy))
const atRestMB: number[] = []
const figures = new Map<string, Figures>()
const key = (flags: string, path: string): string => `${flags} ${path}`
try {
  await new Promise((resolve) => setTimeout(resolve, 1000))
  for (const p of proxies) atRestMB.push(rssParts(p.pid).rssMB)
  for (const path of paths) {
    for (const p of proxies) await load({ url: `${p.url}${path}`, connections: 32, seconds: 1, headers })
    for (let round = 0; round < Number(roundsArg); round++) {
      for (let i = 0; i < proxies.length; i++) {
        const at = (i + round) % proxies.length
        const p = proxies[at] as Running
        const machineLoad = await waitForQuiet()
        const cpu0 = cpuMicros(p.pid)
        const result = await load({ url: `${p.url}${path}`, connections: 32, seconds: 3, headers })
        const f = figures.get(key(settings[at] as string, path)) ?? { rps: [], cpuUs: [], rssMB: [], machineLoad: [] }
        f.rps.push(result.rps)
        f.cpuUs.push((cpuMicros(p.pid) - cpu0) / result.requests)
        f.rssMB.push(rssParts(p.pid).rssMB)
        f.machineLoad.push(machineLoad)
        figures.set(key(settings[at] as string, path), f)
      }
    }
  }
} finally {
  for (const p of proxies) await p.stop()
  await upstream.stop()
  await redis.stop()
}

const show = (s: Spread, digits: number): string => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
process.stdout.write(`| flags | path | req/s | × ${settings[0]} | proxy CPU µs/req | × ${settings[0]} | RSS MB at rest | RSS MB after each run | machine busy before runs |\n|---|---|---|---|---|---|---|---|---|\n`)
for (const path of paths) {
  const base = figures.get(key(settings[0] as string, path)) as Figures
  settings.forEach((flags, i) => {
    const f = figures.get(key(flags, path)) as Figures
    const vsBase = (k: 'rps' | 'cpuUs'): Spread => spread(f[k].map((v, round) => v / (base[k][round] as number)))
    process.stdout.write(`| ${flags} | ${path} | ${show(spread(f.rps), 0)} | ${show(vsBase('rps'), 2)} | ${show(spread(f.cpuUs), 1)} | ${show(vsBase('cpuUs'), 2)} | ${(atRestMB[i] as number).toFixed(1)} | ${show(spread(f.rssMB), 1)} | ${show(spread(f.machineLoad.map((l) => l * 100)), 0)}% |\n`)
  })
}
