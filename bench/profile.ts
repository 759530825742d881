/**
 * `node bench/profile.ts [path] [seconds]`: supertrace's proxy under wrk load with
 * --cpu-prof, then the functions with the most self time. The profile is left in
 * bench/results/profiles/ for Chrome DevTools. Path defaults to /small (a small 200).
 */
import { mkdirSync, readdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort, proxyBin, repoRoot, Started } from '../test/helpers/processes.ts'
import { newProfile, topSelfTime } from './lib/cpu-profile.ts'
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

const file = newProfile(dir, before)
process.stdout.write(`${file}\n`)
for (const line of topSelfTime(file)) process.stdout.write(`${line}\n`)
