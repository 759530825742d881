/**
 * `node bench/storm.ts [--seconds 60] [--connections 32,128] [--register <file>]`: an error storm.
 * wrk drives the Express app's failing route (bench/apps/express-app.js, run with
 * supertrace/register) for each number of concurrent connections, against a fresh local
 * Redis each time. Prints, per run: failing responses, records in Redis (full ones and
 * repeats), the share of failures that kept a record, Redis's used_memory growth, the
 * record outcomes the apps counted, and the app's warnings about dropped records.
 *
 * `--register`: another build's register.js (e.g. a copy of an older dist/), to compare.
 * With --docs, the table goes into docs/benchmarks.md between the storm markers.
 */
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { RECORD_OUTCOMES_KEY } from '../core/protocol.ts'
import { freePort, repoRoot, Started } from '../test/helpers/processes.ts'
import { writeDocsSection } from './lib/docs.ts'
import { load, loadTool } from './lib/load.ts'
import { startNode } from './rivals.ts'

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '32,128' },
    register: { type: 'string', default: 'supertrace/register' },
    budget: { type: 'string' },
    docs: { type: 'boolean', default: false },
  },
})

interface StormResult {
  readonly connections: number
  readonly failures: number
  readonly rps: number
  readonly records: number
  readonly repeats: number
  readonly keptShare: number
  readonly usedMemoryGrowthMB: number
  readonly recordBytesMB: number
  readonly outcomes: Readonly<Record<string, string>>
  readonly dropWarnings: readonly string[]
}

async function storm (connections: number, seconds: number): Promise<StormResult> {
  const port = await freePort()
  const redisServer = new Started(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }))
  await redisServer.waitFor('Ready to accept connections')
  const redis = new Redis(`redis://127.0.0.1:${port}`)
  const appPort = await freePort()
  const app = await startNode(['--import', options.register, `${repoRoot}bench/apps/express-app.js`], {
    PORT: String(appPort),
    SUPERTRACE_REDIS_URL: `redis://127.0.0.1:${port}`,
    ...(options.budget === undefined ? {} : { SUPERTRACE_RECORD_BUDGET_MB: options.budget }),
  })
  try {
    const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1])
    const before = await usedMemory()
    const result = await load({ url: `http://127.0.0.1:${appPort}/fail`, connections, seconds })
    // Writes still in flight when wrk stopped.
    await sleep(3000)
    const after = await usedMemory()
    let records = 0
    let repeats = 0
    let recordBytes = 0
    for await (const keys of redis.scanStream({ match: 'supertrace:trace:*', count: 1000 }) as AsyncIterable<string[]>) {
      for (const key of keys) {
        const json = await redis.get(key)
        if (json === null) continue
        records++
        recordBytes += Buffer.byteLength(json)
        if (json.includes('"sameAs"')) repeats++
      }
    }
    const outcomes = await redis.hgetall(RECORD_OUTCOMES_KEY)
    const dropWarnings = app.output.split('\n').filter((line) => line.includes('dropped'))
    return {
      connections,
      failures: result.non2xx,
      rps: result.rps,
      records,
      repeats,
      keptShare: records / result.non2xx,
      usedMemoryGrowthMB: (after - before) / 1e6,
      recordBytesMB: recordBytes / 1e6,
      outcomes,
      dropWarnings,
    }
  } finally {
    await app.stop()
    redis.disconnect()
    await redisServer.stop()
  }
}

const seconds = Number(options.seconds)
const results: StormResult[] = []
for (const connections of options.connections.split(',').map(Number)) {
  process.stderr.write(`storm: ${connections} concurrent failing requests for ${seconds} s\n`)
  results.push(await storm(connections, seconds))
}
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).replaceAll(',', ' ')
const lines = [
  `### An error storm: Express /fail through supertrace/register (${loadTool} -c N, ${seconds} s, local Redis${options.budget === undefined ? '' : `, SUPERTRACE_RECORD_BUDGET_MB=${options.budget}`})\n`,
  '| concurrent failing requests | failures | failures/s | records kept | of which repeats | kept | Redis used_memory growth | record bytes | outcomes counted | app\'s warnings about drops |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.connections} | ${fmt(r.failures)} | ${fmt(r.rps)} | ${fmt(r.records)} | ${fmt(r.repeats)} | ${fmt(100 * r.keptShare, 1)} % | ${fmt(r.usedMemoryGrowthMB, 1)} MB | ${fmt(r.recordBytesMB, 1)} MB | ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ') || '—'} | ${r.dropWarnings.length === 0 ? 'none' : `${r.dropWarnings.length} lines, the first: \`${(JSON.parse(r.dropWarnings[0] as string) as { msg: string }).msg}\``} |`),
  '',
]
process.stdout.write(lines.join('\n'))
if (options.docs) writeDocsSection('<!-- storm:start (written by node bench/storm.ts --docs) -->', '<!-- storm:end -->', lines.join('\n'))
