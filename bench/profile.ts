/**
 * `node bench/profile.ts [path] [seconds]`: supertrace's proxy under wrk load with
 * --cpu-prof, then the functions with the most self time. The profile is left in
 * bench/results/profiles/ for Chrome DevTools. Path defaults to /small (a small 200).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort, proxyBin, repoRoot, Started } from '../test/helpers/processes.ts'
import { load } from './lib/load.ts'
import { nodeServer, startNode } from './rivals.ts'

const path = process.argv[2] ?? '/small'
const seconds = Number(process.argv[3] ?? 5)
const dir = `${repoRoot}bench/results/profiles`
mkdirSync(dir, { recursive: true })

const redisPort = await freePort()
const redisServer = new Started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
await redisServer.waitFor('Ready to accept connections')
const redisUrl = `redis://127.0.0.1:${redisPort}`
const upstream = await nodeServer(`${repoRoot}bench/servers/upstream.ts`, { BENCH_REDIS_URL: redisUrl })
const port = await freePort()
const before = new Set(readdirSync(dir))
const proxy = await startNode(['--cpu-prof', '--cpu-prof-dir', dir, proxyBin, 'proxy'], {
  SUPERTRACE_UPSTREAM: upstream.url, SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(await freePort()), SUPERTRACE_REDIS_URL: redisUrl,
}, 'listening on')
try {
  const result = await load({ url: `http://127.0.0.1:${port}${path}`, connections: 32, seconds, headers: { cookie: 'sessionid=visitor; theme=dark' } })
  process.stdout.write(`${path}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms\n`)
} finally {
  await proxy.stop()
  await upstream.stop()
  await redisServer.stop()
  new Redis(redisUrl).disconnect()
}

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }
const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'))
if (file === undefined) throw new Error('no profile was written')
const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as { nodes: ProfileNode[] }
const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0)
const bySelf = new Map<string, number>()
for (const n of profile.nodes) {
  const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(`file://${repoRoot}`, '')}:${n.callFrame.lineNumber + 1}`
  bySelf.set(key, (bySelf.get(key) ?? 0) + (n.hitCount ?? 0))
}
process.stdout.write(`${dir}/${file}\n`)
for (const [key, hits] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 40)) process.stdout.write(`${(hits / total * 100).toFixed(1).padStart(5)}%  ${key}\n`)
