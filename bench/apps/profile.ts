/**
 * `node bench/apps/profile.ts [seconds] [import]`: the Express app (bench/apps/express-app.js)
 * under `--import` (default supertrace/register, i.e. dist/: `npm run build` first) with
 * --cpu-prof, answering /fail one request at a time (wrk -c1), as the bench's failing-request
 * row measures it. Prints the app's CPU per request, the functions with the most self time, and
 * supertrace's and the Redis client's functions by total time. The profile is left in
 * bench/results/profiles/ for Chrome DevTools.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { freePort, repoRoot, Started } from '../../test/helpers/processes.ts'
import { newProfile, topSelfTime, topTotalTime } from '../lib/cpu-profile.ts'
import { load } from '../lib/load.ts'
import { cpuMicros } from '../lib/proc.ts'
import { nodeServer } from '../rivals.ts'

const seconds = Number(process.argv[2] ?? 5)
const importSpec = process.argv[3] ?? 'supertrace/register'
const dir = `${repoRoot}bench/results/profiles`
/** The profile is written when the process exits, which an app killed by SIGTERM never does. */
const EXIT_ON_SIGTERM = 'data:text/javascript,process.on("SIGTERM",()=>process.exit(0))'
mkdirSync(dir, { recursive: true })

const redisPort = await freePort()
const redis = new Started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
await redis.waitFor('Ready to accept connections')
const before = new Set(readdirSync(dir))
try {
  const app = await nodeServer(`${repoRoot}bench/apps/express-app.js`, { SUPERTRACE_REDIS_URL: `redis://127.0.0.1:${redisPort}` }, 'listening', ['--cpu-prof', '--cpu-prof-dir', dir, '--import', EXIT_ON_SIGTERM, '--import', importSpec])
  try {
    await load({ url: `${app.url}/fail`, connections: 1, seconds: 1 })
    const cpu0 = cpuMicros(app.pid)
    const result = await load({ url: `${app.url}/fail`, connections: 1, seconds })
    process.stdout.write(`/fail: ${result.requests} requests (${result.non2xx} 5xx), p50 ${result.p50} ms, app CPU ${((cpuMicros(app.pid) - cpu0) / result.requests).toFixed(0)} µs/req\n`)
  } finally {
    await app.stop()
  }
} finally {
  await redis.stop()
}
const file = newProfile(dir, before)
process.stdout.write(`${file}\n\nby self time:\n`)
for (const line of topSelfTime(file, 30)) process.stdout.write(`${line}\n`)
process.stdout.write('\nsupertrace and ioredis, by total time:\n')
for (const line of topTotalTime(file, /\/dist\/|\.ab\/|ioredis|redis-parser/, 40)) process.stdout.write(`${line}\n`)
