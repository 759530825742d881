/**
 * `npm run bench`: a first look at what supertrace costs, loopback only, a few minutes on 2 cores.
 *   1. requests/s and latency of a small 200: the app directly vs through the proxy (wrk, when on PATH);
 *   2. a 500's latency through the proxy: anonymous vs a superuser's debug page;
 *   3. when the record lands relative to the 500, with the default hold and with SUPERTRACE_HOLD_MS=0.
 * Prints a markdown table and writes bench/results/latest.json. Compare ratios from one run, not absolute figures.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { get } from '../test/helpers/http.ts'
import { freePort, proxyBin, exampleApp, repoRoot, Started } from '../test/helpers/processes.ts'
import { spawn } from 'node:child_process'

const ROUNDS = 3
const SAMPLES = 300

function start (command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  return new Started(spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }))
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

function wrk (url: string): { rps: number, p50: number, p99: number } | undefined {
  const result = spawnSync('wrk', ['-t1', '-c32', '-d5s', '--latency', url], { encoding: 'utf8' })
  if (result.error !== undefined) return undefined
  const ms = (label: string): number => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(result.stdout)
    if (m === null) return NaN
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1)
  }
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1]), p50: ms('50%'), p99: ms('99%') }
}

async function timed (url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now()
  await get(url, headers)
  return performance.now() - t0
}

async function main (): Promise<void> {
  const redisPort = await freePort()
  const redisServer = start('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], {})
  await redisServer.waitFor('Ready to accept connections')
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  const redis = new Redis(redisUrl)
  await redis.sadd('supertrace:superusers', 'boss')
  const stack: Started[] = [redisServer]
  const startApp = async (env: NodeJS.ProcessEnv): Promise<string> => {
    const port = await freePort()
    const app = start(process.execPath, ['--import', 'supertrace/register', exampleApp], { PORT: String(port), SUPERTRACE_REDIS_URL: redisUrl, ...env })
    stack.push(app)
    await app.waitFor('listening')
    return `http://127.0.0.1:${port}`
  }
  const startProxy = async (upstream: string): Promise<string> => {
    const port = await freePort()
    const proxy = start(process.execPath, [proxyBin, 'proxy'], { SUPERTRACE_UPSTREAM: upstream, SUPERTRACE_PORT: String(port), SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_REDIS_URL: redisUrl })
    stack.push(proxy)
    await proxy.waitFor('listening on')
    return `http://127.0.0.1:${port}`
  }
  try {
    const app = await startApp({})
    const proxy = await startProxy(app)
    const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version }

    // 1. Small 200, interleaved rounds.
    const throughput: Record<string, Array<ReturnType<typeof wrk>>> = { app: [], proxy: [] }
    for (let round = 0; round < ROUNDS; round++) {
      throughput.app?.push(wrk(`${app}/hello`))
      throughput.proxy?.push(wrk(`${proxy}/hello`))
    }
    results.small200 = throughput

    // 2. A 500 through the proxy: anonymous vs superuser.
    const anonymous: number[] = []
    const superuser: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      anonymous.push(await timed(`${proxy}/orders/42`, {}))
      superuser.push(await timed(`${proxy}/orders/42`, { cookie: 'sessionid=boss' }))
    }
    results.serverError = { anonymous: { p50: percentile(anonymous, 50), p99: percentile(anonymous, 99) }, superuser: { p50: percentile(superuser, 50), p99: percentile(superuser, 99) } }

    // 3. When the record lands, measured from the moment the client has the whole 500 (directly from the app).
    const landing: Record<string, { atOnce: number, p50: number, max: number }> = {}
    for (const [name, base] of [['hold 50 ms (default)', app], ['SUPERTRACE_HOLD_MS=0', await startApp({ SUPERTRACE_HOLD_MS: '0' })]] as const) {
      const delays: number[] = []
      let atOnce = 0
      for (let i = 0; i < SAMPLES; i++) {
        const requestId = `${Date.now().toString(16).padStart(16, '0')}${i.toString(16).padStart(16, '0')}`
        await get(`${base}/orders/42`, { traceparent: `00-${requestId}-00f067aa0ba902b7-01` })
        const t0 = performance.now()
        let present = await redis.exists(`supertrace:trace:${requestId}`)
        if (present === 1) atOnce++
        while (present === 0 && performance.now() - t0 < 1000) present = await redis.exists(`supertrace:trace:${requestId}`)
        delays.push(performance.now() - t0)
      }
      landing[name] = { atOnce: atOnce / SAMPLES, p50: percentile(delays, 50), max: Math.max(...delays) }
    }
    results.recordLanding = landing

    mkdirSync(`${repoRoot}bench/results`, { recursive: true })
    writeFileSync(`${repoRoot}bench/results/latest.json`, JSON.stringify(results, null, 2) + '\n')
    const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a')
    const median = (xs: Array<ReturnType<typeof wrk>>, key: 'rps' | 'p50' | 'p99'): number => percentile(xs.map((x) => x?.[key] ?? NaN), 50)
    process.stdout.write(`| small 200 (wrk -c32, median of ${ROUNDS}) | req/s | p50 ms | p99 ms |\n|---|---|---|---|\n`)
    for (const [name, runs] of Object.entries(throughput)) process.stdout.write(`| ${name} | ${fmt(median(runs, 'rps'))} | ${fmt(median(runs, 'p50'))} | ${fmt(median(runs, 'p99'))} |\n`)
    process.stdout.write(`\n| 500 through the proxy (${SAMPLES} sequential) | p50 ms | p99 ms |\n|---|---|---|\n| anonymous (app's own 500) | ${fmt(percentile(anonymous, 50))} | ${fmt(percentile(anonymous, 99))} |\n| superuser (debug page) | ${fmt(percentile(superuser, 50))} | ${fmt(percentile(superuser, 99))} |\n`)
    process.stdout.write(`\n| record in Redis once the client has the 500 | at once | wait p50 ms | wait max ms |\n|---|---|---|---|\n`)
    for (const [name, l] of Object.entries(landing)) process.stdout.write(`| ${name} | ${(l.atOnce * 100).toFixed(1)}% | ${fmt(l.p50)} | ${fmt(l.max)} |\n`)
  } finally {
    redis.disconnect()
    for (const process of stack.reverse()) await process.stop()
  }
}

await main()
