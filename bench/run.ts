/**
 * `npm run bench [-- options]`: what supertrace costs, side by side with what users
 * would run instead, in one run on loopback, sized for 2 cores (about 5 minutes).
 *
 *   proxy side  the small app (bench/servers/upstream.ts) behind each rival in
 *               bench/rivals.ts, for a small 200, a 64 KiB 200, an anonymous 500 and a
 *               superuser's 500; then sequential latency of supertrace's 500 paths,
 *               a memory run of supertrace's proxy under mixed traffic, and each
 *               proxy's RSS at rest and among crowds (idle keep-alive connections,
 *               slow readers);
 *   app side    an Express app bare, with the plain NodeSDK, with supertrace/register;
 *               what the 5xx hand-off adds to a 500; micro-benchmarks of the span
 *               processor and of a record's build and write.
 *
 * Variants are interleaved (the order rotates each round) and repeated; medians are
 * reported with their min–max. Prints markdown, writes bench/results/latest.json,
 * and with --docs puts the tables into docs/benchmarks.md.
 *
 * Options: --rounds N (3)  --seconds N per cell (3)  --memory N seconds (15)  --storm N seconds (60)
 *          --only proxy,latency,memory,crowds,app,micro,ingest (or storm: bench/storm.ts, not run by default)  --cases small200,big200,anon500,superuser500  --docs
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpus, availableParallelism, tmpdir } from 'node:os'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { DEFAULT_SUPERUSERS_KEY, recordKey } from '../core/protocol.ts'
import { get } from '../test/helpers/http.ts'
import { freePort, repoRoot, Started } from '../test/helpers/processes.ts'
import { writeDocsSection } from './lib/docs.ts'
import { load, loadTool, type LoadResult } from './lib/load.ts'
import { idleConnections, slowReaders, type Crowd } from './lib/crowds.ts'
import { cpuMicros, rssBytes, rssParts, waitForQuiet } from './lib/proc.ts'
import { median, percentile, spread, type Spread } from './lib/stats.ts'
import { appVariants, nodeServer, proxyRivals, type Running } from './rivals.ts'

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    memory: { type: 'string', default: '15' },
    storm: { type: 'string', default: '60' },
    only: { type: 'string', default: 'proxy,latency,memory,crowds,app,micro,ingest' },
    idle: { type: 'string', default: '10000' },
    'slow-readers': { type: 'string', default: '1000' },
    cases: { type: 'string', default: 'small200,big200,anon500,superuser500' },
    docs: { type: 'boolean', default: false },
  },
})
const ROUNDS = Number(options.rounds)
const SECONDS = Number(options.seconds)
const MEMORY_SECONDS = Number(options.memory)
const SECTIONS = new Set(options.only.split(','))
/** Connections for throughput cells; one wrk thread, so the load generator takes as little of the 2 cores as it can. */
const CONNECTIONS = 32
const SUPERUSER = 'bench-superuser-session'
const VISITOR = 'bench-visitor-session'

interface Case {
  readonly id: string
  readonly label: string
  readonly path: string
  readonly status: number
  readonly cookie: string
  /** Only these rivals (the debug page exists only in supertrace). */
  readonly only?: readonly string[]
}

/** Every request carries a session cookie: a 200 must not pay for it, and a 500 must look it up. */
const allCases: readonly Case[] = [
  { id: 'small200', label: 'small 200 (12 B)', path: '/small', status: 200, cookie: `sessionid=${VISITOR}; theme=dark` },
  { id: 'big200', label: '64 KiB 200', path: '/64k', status: 200, cookie: `sessionid=${VISITOR}; theme=dark` },
  { id: 'anon500', label: 'anonymous 500 (12 B, a session that is no superuser\'s)', path: '/500', status: 500, cookie: `sessionid=${VISITOR}; theme=dark` },
  { id: 'superuser500', label: 'superuser\'s 500 (the debug page, record in Redis)', path: '/500-recorded', status: 500, cookie: `sessionid=${SUPERUSER}`, only: ['supertrace'] },
]

const cases = allCases.filter((c) => options.cases.split(',').includes(c.id))

interface Cell extends LoadResult {
  /** CPU time of the proxy (or of the app, for `direct`) per request, µs. */
  readonly cpuUs: number
  readonly appCpuUs: number
  readonly rssMB: number
  readonly redisCommandsPerRequest: number
  /** Share of the machine busy just before the cell (other work skews it). */
  readonly machineLoad: number
  /** The responses were not what the case expects. */
  readonly invalid: boolean
}

const warm = new Set<string>()
const loadLabel = (connections: number): string => (loadTool === 'wrk' ? `wrk -t1 -c${connections}` : `autocannon -c${connections}, latency in whole ms`)
const log = (line: string): void => { process.stderr.write(`${line}\n`) }

async function redisCommands (redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1])
}

/** One load run against `target`, with the CPU of the proxy and app processes and Redis's command count around it. */
async function cell (redis: Redis, target: Running, app: Running, url: string, cookie: string, status: number, connections = CONNECTIONS, seconds = SECONDS): Promise<Cell> {
  const machineLoad = await waitForQuiet()
  // The first time a process sees a URL, its code is not optimised yet.
  if (!warm.has(`${target.pid} ${url}`)) await load({ url, connections, seconds: 1, headers: { cookie } })
  warm.add(`${target.pid} ${url}`)
  const [cpu0, app0, cmd0] = [cpuMicros(target.pid), cpuMicros(app.pid), await redisCommands(redis)]
  const result = await load({ url, connections, seconds, headers: { cookie } })
  const [cpu1, app1, cmd1] = [cpuMicros(target.pid), cpuMicros(app.pid), await redisCommands(redis)]
  const expectedNon2xx = status >= 400 ? result.requests : 0
  return {
    ...result,
    cpuUs: (cpu1 - cpu0) / result.requests,
    appCpuUs: (app1 - app0) / result.requests,
    rssMB: rssBytes(target.pid) / 2 ** 20,
    redisCommandsPerRequest: (cmd1 - cmd0 - 1) / result.requests, // less the INFO that reads the count
    machineLoad,
    invalid: result.errors > 0 || Math.abs(result.non2xx - expectedNon2xx) > 0,
  }
}

interface Summary {
  readonly rps: Spread
  readonly p50: Spread
  readonly p99: Spread
  readonly cpuUs: Spread
  readonly appCpuUs: Spread
  readonly rssMB: number
  readonly redisCommandsPerRequest: number
  readonly invalidCells: number
  readonly cells: readonly Cell[]
}

function summarize (cells: readonly Cell[]): Summary {
  const of = (k: keyof Cell): Spread => spread(cells.map((c) => Number(c[k])))
  return {
    rps: of('rps'),
    p50: of('p50'),
    p99: of('p99'),
    cpuUs: of('cpuUs'),
    appCpuUs: of('appCpuUs'),
    rssMB: cells.at(-1)?.rssMB ?? NaN,
    redisCommandsPerRequest: median(cells.map((c) => c.redisCommandsPerRequest)),
    invalidCells: cells.filter((c) => c.invalid).length,
    cells,
  }
}

/** a/b per round (the cells of one round ran back to back), as median and range. */
function ratio (a: readonly Cell[], b: readonly Cell[], key: 'rps' | 'p99' | 'cpuUs'): Spread {
  return spread(a.map((cell, i) => cell[key] / (b[i]?.[key] ?? NaN)))
}

async function startRedis (): Promise<{ server: Started, url: string, client: Redis }> {
  const port = await freePort()
  const server = new Started(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
  await server.waitFor('Ready to accept connections')
  const url = `redis://127.0.0.1:${port}`
  return { server, url, client: new Redis(url) }
}

/** A real record, written by supertrace/register for a request to the Express app's failing route. */
async function captureRecord (app: Running, redis: Redis): Promise<{ file: string, requestId: string }> {
  const requestId = 'be0cbe0cbe0cbe0cbe0cbe0cbe0cbe0c'
  await get(`${app.url}/fail`, { traceparent: `00-${requestId}-be0cbe0cbe0cbe0c-01` })
  for (let i = 0; i < 100; i++) {
    const json = await redis.get(recordKey(requestId))
    if (json !== null) {
      const file = join(tmpdir(), `supertrace-bench-record-${process.pid}.json`)
      writeFileSync(file, json)
      return { file, requestId }
    }
    await sleep(20)
  }
  throw new Error('supertrace/register wrote no record for the failing route')
}

function versionOf (pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${repoRoot}node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version
  } catch {
    return 'n/a'
  }
}

function commandVersion (command: string, args: string[], pattern: RegExp): string {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  return pattern.exec(`${result.stdout}${result.stderr}`)?.[1] ?? 'n/a'
}

function machine (): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    node: process.version,
    nginx: commandVersion('nginx', ['-v'], /nginx\/([\d.]+)/),
    redis: commandVersion('redis-server', ['--version'], /v=([\d.]+)/),
    load: loadTool === 'wrk' ? `wrk ${commandVersion('wrk', ['-v'], /wrk (?:\S*\/)?([\d.]+)/)}` : `autocannon ${versionOf('autocannon')}`,
    undici: versionOf('undici'),
    'http-proxy': versionOf('http-proxy'),
    'http-proxy-3': versionOf('http-proxy-3'),
    '@opentelemetry/sdk-node': versionOf('@opentelemetry/sdk-node'),
    express: versionOf('express'),
    ioredis: versionOf('ioredis'),
  }
}

async function main (): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: machine(), options: { rounds: ROUNDS, seconds: SECONDS, memorySeconds: MEMORY_SECONDS, connections: CONNECTIONS, sections: [...SECTIONS] } }
  const md: string[] = []
  const stoppers: Array<() => Promise<void>> = []
  const redis = await startRedis()
  stoppers.push(async () => { redis.client.disconnect(); await redis.server.stop() })
  await redis.client.sadd(DEFAULT_SUPERUSERS_KEY, SUPERUSER)
  const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).replaceAll(',', ' ') : 'n/a')
  const range = (s: Spread, digits = 0): string => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`

  try {
    // ── App side: also yields the real record the upstream stores for the debug-page case.
    const apps = await Promise.all(appVariants.map(async (v) => ({ variant: v, running: await v.start(redis.url) })))
    for (const a of apps) stoppers.push(() => a.running.stop())
    const supertraceApp = apps.find((a) => a.variant.id === 'supertrace')?.running as Running
    const record = await captureRecord(supertraceApp, redis.client)

    if (SECTIONS.has('app')) {
      log('app side: Express /hello')
      const byApp = new Map<string, Cell[]>(apps.map((a) => [a.variant.id, []]))
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < apps.length; i++) {
          const a = apps[(i + round) % apps.length] as (typeof apps)[number]
          byApp.get(a.variant.id)?.push(await cell(redis.client, a.running, a.running, `${a.running.url}/hello`, `sessionid=${VISITOR}`, 200))
        }
      }
      log('app side: Express /fail, one request at a time')
      const failing = new Map<string, Cell[]>([['otel', []], ['supertrace', []]])
      for (let round = 0; round < ROUNDS; round++) {
        for (const a of apps.filter((x) => failing.has(x.variant.id))) {
          failing.get(a.variant.id)?.push(await cell(redis.client, a.running, a.running, `${a.running.url}/fail`, `sessionid=${VISITOR}`, 500, 1))
        }
      }
      const app = Object.fromEntries([...byApp].map(([id, cells]) => [id, summarize(cells)]))
      const fail = Object.fromEntries([...failing].map(([id, cells]) => [id, summarize(cells)]))
      const vsPlain = ratio(byApp.get('supertrace') ?? [], byApp.get('otel') ?? [], 'rps')
      results.app = { hello: app, fail, supertraceVsPlainNodeSdk: vsPlain }
      md.push(`### App side: an Express app answering 200 (${loadLabel(CONNECTIONS)}, ${ROUNDS} rounds × ${SECONDS} s)\n`,
        '| app | req/s median (min–max) | × plain NodeSDK | p50 ms | p99 ms | app CPU µs/req |', '|---|---|---|---|---|---|')
      for (const a of apps) {
        const s = app[a.variant.id] as Summary
        md.push(`| ${a.variant.label} | ${range(s.rps)} | ${range(ratio(byApp.get(a.variant.id) ?? [], byApp.get('otel') ?? [], 'rps'), 2)} | ${fmt(s.p50.median, 2)} | ${fmt(s.p99.median, 2)} | ${fmt(s.cpuUs.median, 1)} |`)
      }
      const o = fail.otel as Summary
      const st = fail.supertrace as Summary
      md.push('', `### A failing request (Express /fail throws; one request at a time, ${ROUNDS} rounds × ${SECONDS} s)\n`,
        '| app | p50 ms | p99 ms | app CPU µs/req | Redis commands/req |', '|---|---|---|---|---|',
        `| plain NodeSDK | ${range(o.p50, 3)} | ${range(o.p99, 3)} | ${fmt(o.cpuUs.median, 1)} | ${fmt(o.redisCommandsPerRequest, 2)} |`,
        `| supertrace/register (record built, written, then the 500 sent) | ${range(st.p50, 3)} | ${range(st.p99, 3)} | ${fmt(st.cpuUs.median, 1)} | ${fmt(st.redisCommandsPerRequest, 2)} |`,
        `| **the 5xx hand-off adds** | ${fmt(st.p50.median - o.p50.median, 3)} | ${fmt(st.p99.median - o.p99.median, 3)} | ${fmt(st.cpuUs.median - o.cpuUs.median, 1)} | |`, '')
    }
    for (const a of apps) await a.running.stop() // stopping again at the end is a no-op

    // ── Proxy side.
    const upstream = await nodeServer(`${repoRoot}bench/servers/upstream.ts`, { BENCH_REDIS_URL: redis.url, BENCH_RECORD: record.file, BENCH_RECORD_ID: record.requestId })
    stoppers.push(() => upstream.stop())
    const rivals = proxyRivals.filter((r) => r.available)
    const running = new Map<string, Running>()
    const atRest = new Map<string, { rssMB: number, anonMB: number }>()
    for (const r of rivals) {
      const started = await r.start({ upstream, redisUrl: redis.url })
      running.set(r.id, started)
      stoppers.push(() => started.stop())
    }
    // Before any request: what each proxy costs a pod that is not yet serving.
    await sleep(1000)
    for (const r of rivals.filter((x) => x.id !== 'direct')) atRest.set(r.id, rssParts((running.get(r.id) as Running).pid))
    results.atRest = Object.fromEntries(atRest)
    md.push('### At rest: each proxy started, before any request\n', '| proxy | RSS MB | of it, its own pages (RssAnon) MB |', '|---|---|---|',
      ...[...atRest].map(([id, m]) => `| ${rivals.find((r) => r.id === id)?.label} | ${fmt(m.rssMB, 1)} | ${fmt(m.anonMB, 1)} |`), '')
    const st = running.get('supertrace') as Running

    if (SECTIONS.has('proxy')) {
      // Check once that every variant answers each case as expected, the debug page included.
      for (const c of cases) {
        for (const r of rivals.filter((x) => c.only?.includes(x.id) ?? true)) {
          const res = await get(`${running.get(r.id)?.url}${c.path}`, { cookie: c.cookie })
          // The debug page shows the record's TypeError, under this request's ID rather than the captured one.
          const isDebugPage = res.text.includes('TypeError') && !res.text.includes(record.requestId)
          if (res.status !== c.status || (c.id === 'superuser500') !== isDebugPage) throw new Error(`${r.id} answered ${c.path} with ${res.status}: ${res.text.slice(0, 200)}`)
        }
      }
      const byCase = new Map<string, Map<string, Cell[]>>(cases.map((c) => [c.id, new Map()]))
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of cases) {
          const variants = rivals.filter((x) => c.only?.includes(x.id) ?? true)
          for (let i = 0; i < variants.length; i++) {
            const r = variants[(i + round) % variants.length] as (typeof variants)[number]
            log(`proxy side: round ${round + 1}/${ROUNDS}, ${c.id}, ${r.id}`)
            const cells = byCase.get(c.id) as Map<string, Cell[]>
            if (!cells.has(r.id)) cells.set(r.id, [])
            cells.get(r.id)?.push(await cell(redis.client, running.get(r.id) as Running, upstream, `${running.get(r.id)?.url}${c.path}`, c.cookie, c.status))
          }
        }
      }
      const proxy: Record<string, Record<string, Summary>> = {}
      for (const c of cases) {
        const cells = byCase.get(c.id) as Map<string, Cell[]>
        proxy[c.id] = Object.fromEntries([...cells].map(([id, cs]) => [id, summarize(cs)]))
        const baseline = cells.get('http-proxy')
        md.push(`### ${c.label} (${loadLabel(CONNECTIONS)}, ${ROUNDS} rounds × ${SECONDS} s)\n`,
          '| in front of the app | req/s median (min–max) | × http-proxy | p50 ms | p99 ms (min–max) | proxy CPU µs/req | one core\'s ceiling req/s | app CPU µs/req | proxy RSS MB | Redis cmds/req |',
          '|---|---|---|---|---|---|---|---|---|---|')
        for (const r of rivals) {
          const s = proxy[c.id]?.[r.id]
          if (s === undefined) {
            md.push(`| ${r.label} | n/a | | | | | | | | |`)
            continue
          }
          const isDirect = r.id === 'direct'
          md.push(`| ${r.id === 'supertrace' ? `**${r.label}**` : r.label}${s.invalidCells > 0 ? ' ⚠ unexpected responses' : ''} | ${range(s.rps)} | ${baseline === undefined ? '' : range(ratio(cells.get(r.id) ?? [], baseline, 'rps'), 2)} | ${fmt(s.p50.median, 2)} | ${range(s.p99, 2)} | ${isDirect ? '—' : fmt(s.cpuUs.median, 1)} | ${isDirect ? '—' : fmt(1e6 / s.cpuUs.median)} | ${fmt(s.appCpuUs.median, 1)} | ${isDirect ? '—' : fmt(s.rssMB, 0)} | ${fmt(s.redisCommandsPerRequest, 2)} |`)
        }
        md.push('')
      }
      results.proxy = proxy
      results.proxyRatios = Object.fromEntries(['http-proxy', 'undici', 'nginx'].map((id) => {
        const small = byCase.get('small200')
        const a = small?.get('supertrace') ?? []
        const b = small?.get(id) ?? []
        // CPU: how many more requests supertrace serves per CPU second than the rival (rival CPU / supertrace CPU).
        return [id, { rps: ratio(a, b, 'rps'), p99: ratio(a, b, 'p99'), perCpuSecond: spread(b.map((cell, i) => cell.cpuUs / (a[i]?.cpuUs ?? NaN))) }]
      }))
    }

    if (SECTIONS.has('latency')) {
      log('latency: one request at a time through supertrace')
      const rtt: number[] = []
      for (let i = 0; i < 2000; i++) {
        const t0 = performance.now()
        await redis.client.sismember(DEFAULT_SUPERUSERS_KEY, VISITOR)
        rtt.push(performance.now() - t0)
      }
      const sequential: Array<[string, Running, Case]> = [
        ['small 200, through supertrace', st, allCases[0] as Case],
        ['anonymous 500, through supertrace', st, allCases[2] as Case],
        ['superuser\'s 500 (debug page), through supertrace', st, allCases[3] as Case],
        ['anonymous 500, the app directly', upstream, allCases[2] as Case],
      ]
      const cellsOf = new Map<string, Cell[]>(sequential.map(([name]) => [name, []]))
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, target, c] of sequential) cellsOf.get(name)?.push(await cell(redis.client, target, upstream, `${target.url}${c.path}`, c.cookie, c.status, 1))
      }
      const latency = Object.fromEntries([...cellsOf].map(([name, cells]) => [name, summarize(cells)]))
      results.latency = { redisRoundTripMs: { p50: percentile(rtt, 50), p99: percentile(rtt, 99) }, cases: latency }
      md.push(`### One request at a time (${loadLabel(1)}, ${ROUNDS} rounds × ${SECONDS} s): the cost of a 500's Redis work\n`,
        '| request | p50 ms | p99 ms | proxy CPU µs/req | Redis cmds/req |', '|---|---|---|---|---|')
      for (const [name] of sequential) {
        const s = latency[name] as Summary
        md.push(`| ${name} | ${range(s.p50, 3)} | ${range(s.p99, 3)} | ${name.endsWith('directly') ? '—' : fmt(s.cpuUs.median, 1)} | ${fmt(s.redisCommandsPerRequest, 2)} |`)
      }
      md.push(`| one Redis round trip (SISMEMBER from ioredis, 2000 in a row) | ${fmt(percentile(rtt, 50), 3)} | ${fmt(percentile(rtt, 99), 3)} | | 1 |`, '')
    }

    if (SECTIONS.has('memory') && MEMORY_SECONDS > 0) {
      log(`memory: ${MEMORY_SECONDS} s of mixed traffic through supertrace`)
      const samples: Array<{ t: number, rssMB: number }> = []
      const t0 = Date.now()
      const sampler = setInterval(() => samples.push({ t: (Date.now() - t0) / 1000, rssMB: rssBytes(st.pid) / 2 ** 20 }), 1000)
      const mix = allCases.map((c) => ({ path: c.path, headers: { cookie: c.cookie } }))
      const result = await load({ url: `${st.url}/small`, connections: CONNECTIONS, seconds: MEMORY_SECONDS, mix })
      clearInterval(sampler)
      samples.push({ t: (Date.now() - t0) / 1000, rssMB: rssBytes(st.pid) / 2 ** 20 })
      // The first fifth is warm-up (JIT, pools, buffers); flat means the end is within 10% of what it was after it.
      const settled = samples.filter((s) => s.t >= MEMORY_SECONDS / 5)
      const first = settled[0]?.rssMB ?? NaN
      const last = settled.at(-1)?.rssMB ?? NaN
      const growth = last / first - 1
      results.memory = { seconds: MEMORY_SECONDS, requests: result.requests, rps: result.rps, samples, afterWarmUpMB: first, endMB: last, maxMB: Math.max(...settled.map((s) => s.rssMB)), growth }
      md.push(`### Memory: supertrace's proxy under ${MEMORY_SECONDS} s of mixed traffic (the four cases in turn, ${fmt(result.requests)} requests)\n`,
        `RSS after the first fifth ${fmt(first, 1)} MB, at the end ${fmt(last, 1)} MB (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%), highest ${fmt(Math.max(...settled.map((s) => s.rssMB)), 1)} MB.`, '')
    }

    if (SECTIONS.has('crowds')) {
      const idle = Number(options.idle)
      const slow = Number(options['slow-readers'])
      const crowds: Array<{ label: string, gather: (url: string) => Promise<Crowd> }> = [
        { label: `${fmt(idle)} idle keep-alive connections (each after one small 200)`, gather: (url) => idleConnections(url, '/small', idle) },
        { label: `${fmt(slow)} slow readers of the 64 KiB 200 (1 KiB/s each)`, gather: (url) => slowReaders(url, '/64k', slow) },
      ]
      const measured: Record<string, Record<string, unknown>> = {}
      md.push(`### Crowds: RSS at rest, among a crowd, and after it left; requests/s of other clients meanwhile (${loadLabel(CONNECTIONS)}, small 200, ${SECONDS} s)\n`,
        '| proxy | crowd | RSS MB before (own pages) | with the crowd | crowd still open | others\' req/s (alone) | after it left | after / before |', '|---|---|---|---|---|---|---|---|')
      for (const r of rivals.filter((x) => x.id === 'supertrace' || x.id === 'undici' || x.id === 'nginx')) {
        const target = running.get(r.id) as Running
        for (const crowd of crowds) {
          log(`crowds: ${r.id}, ${crowd.label}`)
          const alone = await load({ url: `${target.url}/small`, connections: CONNECTIONS, seconds: SECONDS })
          await sleep(1000)
          const before = rssParts(target.pid)
          const gathered = await crowd.gather(target.url)
          await sleep(2000)
          const among = rssParts(target.pid)
          const others = await load({ url: `${target.url}/small`, connections: CONNECTIONS, seconds: SECONDS })
          const stillOpen = gathered.open()
          await gathered.leave()
          // V8 gives freed pages back after a major GC, which its memory reducer starts some seconds after the allocation rate falls.
          await sleep(10_000)
          const after = rssParts(target.pid)
          measured[`${r.id} ${crowd.label}`] = { before, among, after, stillOpen, othersRps: others.rps, aloneRps: alone.rps, othersErrors: others.errors }
          md.push(`| ${r.label} | ${crowd.label} | ${fmt(before.rssMB, 1)} (${fmt(before.anonMB, 1)}) | ${fmt(among.rssMB, 1)} (${fmt(among.anonMB, 1)}) | ${fmt(stillOpen)} | ${fmt(others.rps)} (${fmt(alone.rps)})${others.errors > 0 ? ` ⚠ ${fmt(others.errors)} errors` : ''} | ${fmt(after.rssMB, 1)} (${fmt(after.anonMB, 1)}) | ${fmt(after.rssMB / before.rssMB, 2)} |`)
        }
      }
      results.crowds = measured
      md.push('')
    }

    if (SECTIONS.has('micro')) {
      log('micro-benchmarks of the instrumentation')
      const micro = JSON.parse(execFileSync(process.execPath, ['--expose-gc', `${repoRoot}bench/micro/processor.ts`, redis.url], { encoding: 'utf8' })) as MicroResult
      results.micro = micro
      const m = micro.successfulRequest
      md.push('### Instrumentation micro-benchmarks (in-process, real SDK spans, 15 interleaved rounds of 20 000 requests)\n',
        '| per successful request (1 server span + 3 children) | ns/request | bytes allocated/request |', '|---|---|---|',
        `| OpenTelemetry SDK, NoopSpanProcessor | ${range(m.plainNs)} | ${range(m.plainBytes)} |`,
        `| OpenTelemetry SDK, SupertraceSpanProcessor | ${range(m.supertraceNs)} | ${range(m.supertraceBytes)} |`,
        `| **added by supertrace's processor** | ${range(m.addedNs)} | ${range(m.addedBytes)} |`, '',
        `A failed request's record (4 spans, one TypeError): built and encoded in ${fmt(micro.record.buildAndEncodeUs, 1)} µs (${fmt(micro.record.bytesAllocated)} bytes allocated, ${fmt(micro.record.jsonBytes)} bytes of JSON); written to Redis (SET + PUBLISH, acknowledged) in ${fmt(micro.record.writeMs.p50, 3)} ms p50, ${fmt(micro.record.writeMs.p99, 3)} ms p99.`, '')
    }

    if (SECTIONS.has('ingest')) {
      log('the receiver of other languages\' exports: bench/ingest.ts')
      md.push(execFileSync(process.execPath, [`${repoRoot}bench/ingest.ts`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
    }

    if (SECTIONS.has('storm')) {
      log('an error storm: bench/storm.ts')
      md.push(execFileSync(process.execPath, [`${repoRoot}bench/storm.ts`, '--seconds', options.storm], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
    }

    const table = md.join('\n')
    const m = results.machine as Record<string, string | number>
    const header = `Measured ${String(results.date).slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}; Node ${m.node}, nginx ${m.nginx}, Redis ${m.redis}, ${m.load}; undici ${m.undici}, http-proxy ${m['http-proxy']}, http-proxy-3 ${m['http-proxy-3']}, @opentelemetry/sdk-node ${m['@opentelemetry/sdk-node']}, Express ${m.express}, ioredis ${m.ioredis}.\n\n`
    const targets = targetLines(results)
    const output = `${header}${targets}\n${table}`
    process.stdout.write(output)
    mkdirSync(`${repoRoot}bench/results`, { recursive: true })
    writeFileSync(`${repoRoot}bench/results/latest.json`, JSON.stringify(results, null, 2) + '\n')
    if (options.docs) writeDocsSection('<!-- bench:start (written by npm run bench -- --docs) -->', '<!-- bench:end -->', output)
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {})
  }
}

interface MicroResult {
  successfulRequest: Record<'plainNs' | 'supertraceNs' | 'addedNs' | 'plainBytes' | 'supertraceBytes' | 'addedBytes', Spread>
  record: { buildAndEncodeUs: number, bytesAllocated: number, jsonBytes: number, writeMs: { p50: number, p99: number } }
}

/** The issue's targets, each with what this run measured and whether it is met. */
function targetLines (results: Record<string, unknown>): string {
  const rows: string[] = []
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**')
  const f = (n: number | undefined, d = 2): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d))
  const r = results.proxyRatios as Record<string, { rps: Spread, p99: Spread, perCpuSecond: Spread }> | undefined
  for (const [id, min] of [['http-proxy', 2.0], ['undici', 0.9], ['nginx', 0.6]] as const) {
    const x = r?.[id]
    rows.push(`| small 200: req/s ≥ ${min}× ${id} | ${f(x?.rps.median)}× (${f(x?.rps.min)}–${f(x?.rps.max)}); per CPU second ${f(x?.perCpuSecond.median)}× | ${verdict(x === undefined ? undefined : x.rps.median >= min)} |`)
  }
  const hp = r?.['http-proxy']
  rows.push(`| small 200: p99 ≤ bare http-proxy's | ${f(hp?.p99.median)}× http-proxy's p99 (${f(hp?.p99.min)}–${f(hp?.p99.max)}) | ${verdict(hp === undefined ? undefined : hp.p99.median <= 1)} |`)
  const proxy = results.proxy as Record<string, Record<string, Summary>> | undefined
  if (proxy !== undefined) {
    // Only the 200 cases this run measured (`--cases` may leave one out).
    const measured = [proxy.small200?.supertrace?.redisCommandsPerRequest, proxy.big200?.supertrace?.redisCommandsPerRequest].filter((n) => n !== undefined)
    const cmds200 = measured.length === 0 ? undefined : Math.max(...measured)
    rows.push(`| 200s: no Redis round trip | ${f(cmds200, 4)} Redis commands per 200 (the cookie is read only on a 500: proxy/forward/exchange.ts) | ${verdict(cmds200 === undefined ? undefined : cmds200 === 0)} |`)
  } else rows.push('| 200s: no Redis round trip | | not measured |')
  const latency = results.latency as { redisRoundTripMs: { p50: number, p99: number }, cases: Record<string, Summary> } | undefined
  if (latency !== undefined) {
    const small = latency.cases['small 200, through supertrace'] as Summary
    const anon = latency.cases['anonymous 500, through supertrace'] as Summary
    const su = latency.cases['superuser\'s 500 (debug page), through supertrace'] as Summary
    const extra = anon.p50.median - small.p50.median
    rows.push(`| anonymous 500 ≤ a 200 of its size + one Redis round trip | +${f(extra, 3)} ms at p50 over the 200; one round trip is ${f(latency.redisRoundTripMs.p50, 3)} ms; ${f(anon.redisCommandsPerRequest)} Redis command per 500 | ${verdict(extra <= latency.redisRoundTripMs.p50)} |`)
    // The debug page's own p99: what it adds over the anonymous 500 (which already includes the app and the lookup).
    const added = su.p99.median - anon.p99.median
    rows.push(`| debug page: added p99 < 20 ms (record in Redis) | ${added >= 0 ? '+' : ''}${f(added, 2)} ms p99 over the anonymous 500 (${f(su.p99.median, 2)} vs ${f(anon.p99.median, 2)} ms; p50 +${f(su.p50.median - anon.p50.median, 3)} ms) | ${verdict(added < 20 && su.p99.median < 20 + anon.p99.median)} |`)
  } else rows.push('| anonymous 500, debug page | | not measured |')
  const app = results.app as { supertraceVsPlainNodeSdk: Spread, hello: Record<string, Summary> } | undefined
  if (app !== undefined) {
    const x = app.supertraceVsPlainNodeSdk
    rows.push(`| instrumentation: req/s ≥ 0.95× plain NodeSDK | ${f(x.median)}× (${f(x.min)}–${f(x.max)}); Redis commands per 200: ${f(app.hello.supertrace?.redisCommandsPerRequest, 4)} | ${verdict(x.median >= 0.95)} |`)
  } else rows.push('| instrumentation ≥ 0.95× plain NodeSDK | | not measured |')
  const atRest = results.atRest as Record<string, { rssMB: number, anonMB: number }> | undefined
  const rest = atRest?.supertrace
  rows.push(`| RSS at rest ≤ 50 MB | ${rest === undefined ? '' : `${f(rest.rssMB, 1)} MB (own pages ${f(rest.anonMB, 1)} MB; nginx ${f(atRest?.nginx?.rssMB, 1)}, the undici forwarder ${f(atRest?.undici?.rssMB, 1)})`} | ${verdict(rest === undefined ? undefined : rest.rssMB <= 50)} |`)
  const smallCell = proxy?.small200?.supertrace
  rows.push(`| RSS under the small-200 load ≤ 64 MB | ${smallCell === undefined ? '' : `${f(smallCell.rssMB, 1)} MB at the end of the last cell`} | ${verdict(smallCell === undefined ? undefined : smallCell.rssMB <= 64)} |`)
  const big = proxy?.big200
  if (big?.supertrace !== undefined && big.nginx !== undefined) {
    const x = spread(big.supertrace.cells.map((cell, i) => cell.p99 / (big.nginx?.cells[i]?.p99 ?? NaN)))
    rows.push(`| 64 KiB 200: p99 ≤ 2× nginx's | ${f(x.median)}× (${f(x.min)}–${f(x.max)}); ${f(big.supertrace.p99.median)} vs ${f(big.nginx.p99.median)} ms, the undici forwarder ${f(big.undici?.p99.median)} ms | ${verdict(x.median <= 2)} |`)
  } else rows.push('| 64 KiB 200: p99 ≤ 2× nginx\'s | | not measured |')
  const cpu = r?.undici?.perCpuSecond
  rows.push(`| small 200: CPU per request ≤ the undici forwarder's | ${cpu === undefined ? '' : `${f(proxy?.small200?.supertrace?.cpuUs.median, 1)} vs ${f(proxy?.small200?.undici?.cpuUs.median, 1)} µs (forwarder ÷ supertrace ${f(cpu.median)}×, ${f(cpu.min)}–${f(cpu.max)})`} | ${verdict(cpu === undefined ? undefined : cpu.median >= 1)} |`)
  const crowds = results.crowds as Record<string, { before: { rssMB: number }, after: { rssMB: number }, among: { rssMB: number } }> | undefined
  const ours = Object.entries(crowds ?? {}).filter(([key]) => key.startsWith('supertrace '))
  rows.push(`| crowds: RSS back within 10% after they leave | ${ours.map(([key, c]) => `${key.slice('supertrace '.length).split(' (')[0]}: ${f(c.before.rssMB, 1)} → ${f(c.among.rssMB, 1)} → ${f(c.after.rssMB, 1)} MB`).join('; ')} | ${verdict(ours.length === 0 ? undefined : ours.every(([, c]) => c.after.rssMB <= c.before.rssMB * 1.1))} |`)
  const memory = results.memory as { growth: number, seconds: number } | undefined
  rows.push(`| proxy RSS flat (within 10%) | ${memory === undefined ? '' : `${memory.growth >= 0 ? '+' : ''}${f(memory.growth * 100, 1)}% over ${memory.seconds} s`} | ${verdict(memory === undefined ? undefined : Math.abs(memory.growth) <= 0.1)} |`)
  return `| target | this run | verdict |\n|---|---|---|\n${rows.join('\n')}\n`
}

await main()
