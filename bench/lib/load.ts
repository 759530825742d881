/**
 * Load from a separate process: wrk (one thread) when it is on PATH, else autocannon
 * from node_modules. Each returns requests/s, latency percentiles and the request count.
 */
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface LoadOptions {
  readonly url: string
  readonly connections: number
  readonly seconds: number
  readonly headers?: Readonly<Record<string, string>>
  /** Paths (with their headers) taken in turn, instead of the URL's own path: wrk only. */
  readonly mix?: ReadonlyArray<{ readonly path: string, readonly headers: Readonly<Record<string, string>> }>
}

export interface LoadResult {
  readonly rps: number
  /** Milliseconds. */
  readonly p50: number
  readonly p99: number
  readonly requests: number
  /** Responses other than 2xx/3xx, and socket errors: a check that the load hit what it meant to. */
  readonly non2xx: number
  readonly errors: number
}

/** BENCH_LOAD=autocannon forces the fallback, e.g. to check it on a machine that has wrk. */
const hasWrk = process.env.BENCH_LOAD !== 'autocannon' && spawnSync('wrk', ['--version']).error === undefined
export const loadTool = hasWrk ? 'wrk' : 'autocannon'
const autocannonBin = new URL('../../node_modules/.bin/autocannon', import.meta.url).pathname

export async function load (options: LoadOptions): Promise<LoadResult> {
  return hasWrk ? wrk(options) : autocannon(options)
}

/** Runs a command to its end (asynchronously, so the bench can sample the proxy meanwhile) and returns its stdout. */
function output (command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    child.on('error', reject)
    child.on('close', () => resolve(out))
  })
}

function toMs (value: string, unit: string): number {
  return Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1)
}

async function wrk (options: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency']
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`)
  if (options.mix !== undefined) args.push('-s', mixScript(options.mix))
  const out = await output('wrk', [...args, options.url])
  const percentile = (label: string): number => {
    const m = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s|m)$`, 'm').exec(out)
    return m === null ? NaN : toMs(m[1] as string, m[2] as string)
  }
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: percentile('50%'),
    p99: percentile('99%'),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0),
  }
}

/** A wrk script that takes the paths in turn, each with its own headers. */
function mixScript (mix: NonNullable<LoadOptions['mix']>): string {
  const lua = (s: string): string => JSON.stringify(s)
  const entries = mix.map((m) => `{ path = ${lua(m.path)}, headers = { ${Object.entries(m.headers).map(([k, v]) => `[${lua(k)}] = ${lua(v)}`).join(', ')} } }`)
  const file = join(tmpdir(), `supertrace-bench-mix-${process.pid}.lua`)
  writeFileSync(file, `local mix = { ${entries.join(', ')} }
local i = 0
request = function()
  i = i % #mix + 1
  return wrk.format("GET", mix[i].path, mix[i].headers)
end
`)
  return file
}

interface AutocannonJson {
  requests: { average: number, total: number }
  latency: { p50: number, p99: number }
  non2xx: number
  errors: number
  timeouts: number
}

async function autocannon (options: LoadOptions): Promise<LoadResult> {
  const args = ['-j', '-c', String(options.connections), '-d', String(options.seconds)]
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`)
  const json = JSON.parse(await output(autocannonBin, [...args, options.url])) as AutocannonJson
  return {
    rps: json.requests.average,
    p50: json.latency.p50,
    p99: json.latency.p99,
    requests: json.requests.total,
    non2xx: json.non2xx,
    errors: json.errors + json.timeouts,
  }
}
