/**
 * `node bench/apps/ab.ts [rounds] [--fail] <name>=<import>[,ENV=value…] …`: the Express app
 * (bench/apps/express-app.js) under each `--import`, in fresh processes each round (e.g. `plain=./bench/apps/otel-plain.ts`,
 * `st=supertrace/register`, `st-x=supertrace/register,SOME_ENV=1`), wrk on /hello in
 * turns whose order rotates each round (with `--fail`: on /fail, which throws, one request
 * at a time, as the bench's failing-request row; `before=./.ab/base/instrumentation/register.js`
 * runs a copy of dist/ taken before a change). Prints req/s and the app's CPU µs per request
 * for each, and each one's ratio to the first, round by round: how the figures for
 * "what each change bought" in docs/benchmarks.md's instrumentation section were taken.
 */
import { spawn } from 'node:child_process'
import { freePort, repoRoot, Started } from '../../test/helpers/processes.ts'
import { load } from '../lib/load.ts'
import { cpuMicros, waitForQuiet } from '../lib/proc.ts'
import { spread } from '../lib/stats.ts'
import { nodeServer, type Running } from '../rivals.ts'

const args = process.argv.slice(2)
const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 6
const failing = args[0] === '--fail'
if (failing) args.shift()
const [path, connections] = failing ? ['/fail', 1] : ['/hello', 32]
if (args.length < 2) throw new Error('usage: node bench/apps/ab.ts [rounds] [--fail] <name>=<import>[,ENV=value…] <name>=<import>…')
const variants = args.map((arg) => {
  const [name] = arg.split('=', 1) as [string]
  const [importSpec, ...envs] = arg.slice(name.length + 1).split(',') as [string, ...string[]]
  const env = Object.fromEntries(envs.map((e) => e.split('=', 2) as [string, string]))
  return { name, importSpec, env, rps: [] as number[], cpu: [] as number[] }
})

const redisPort = await freePort()
const redis = new Started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
await redis.waitFor('Ready to accept connections')
/** Every round starts fresh processes: one process can be ±10% faster than the next of the same build (code and heap layout), which only many processes average out. */
try {
  for (let round = 0; round < rounds; round++) {
    const apps: Running[] = []
    try {
      for (const v of variants) {
        apps.push(await nodeServer(`${repoRoot}bench/apps/express-app.js`, { SUPERTRACE_REDIS_URL: `redis://127.0.0.1:${redisPort}`, ...v.env }, 'listening', ['--import', v.importSpec]))
      }
      for (const app of apps) await load({ url: `${app.url}${path}`, connections, seconds: 2 })
      for (let i = 0; i < variants.length; i++) {
        const k = (i + round) % variants.length
        const app = apps[k] as Running
        await waitForQuiet()
        const cpu0 = cpuMicros(app.pid)
        const result = await load({ url: `${app.url}${path}`, connections, seconds: 3 })
        variants[k]?.rps.push(result.rps)
        variants[k]?.cpu.push((cpuMicros(app.pid) - cpu0) / result.requests)
      }
    } finally {
      for (const app of apps) await app.stop()
    }
  }
} finally {
  await redis.stop()
}
const base = variants[0] as (typeof variants)[number]
for (const v of variants) {
  const r = spread(v.rps)
  const c = spread(v.cpu)
  const rr = spread(v.rps.map((x, i) => x / (base.rps[i] as number))).median
  const cr = spread(v.cpu.map((x, i) => x / (base.cpu[i] as number))).median
  process.stdout.write(`${v.name.padEnd(14)} ${r.median.toFixed(0).padStart(6)} req/s (${r.min.toFixed(0)}–${r.max.toFixed(0)})  CPU ${c.median.toFixed(2)} µs/req (${c.min.toFixed(2)}–${c.max.toFixed(2)})  ×${base.name}: req/s ${rr.toFixed(3)}, CPU ${cr.toFixed(3)}\n`)
}
