/**
 * Real processes for the tests: a redis-server of their own on a free port, the
 * example app with the instrumentation, and the proxy, each started as a user
 * would start it and stopped when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { DEFAULT_SUPERUSERS_KEY } from '../../core/protocol.ts'
import { get } from './http.ts'
import { waitUntil } from './wait-until.ts'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const proxyBin = `${repoRoot}dist/cli.js`
export const exampleApp = `${repoRoot}deploy/example-app/server.js`

/**
 * Ports below Linux's ephemeral range (32768 and up), where the OS never puts the
 * local end of an outgoing connection: a port handed out here cannot be taken by a
 * test's own client sockets before the server that is meant to listen on it starts.
 */
const LISTEN_PORTS = { from: 10_000, to: 32_000 }

/**
 * Ports handed out in the last while, one file each, shared by the test files running at once:
 * a port is free when probed but only taken when its server starts, and in between another
 * test process could draw the same one.
 */
const HANDED_OUT = join(tmpdir(), 'supertrace-test-ports')
const HANDED_OUT_FOR_MS = 10 * 60_000

/** A port that was free a moment ago and that no other test drew in the last ten minutes. */
export async function freePort (): Promise<number> {
  mkdirSync(HANDED_OUT, { recursive: true })
  for (;;) {
    const port = LISTEN_PORTS.from + Math.floor(Math.random() * (LISTEN_PORTS.to - LISTEN_PORTS.from))
    if (!claim(port)) continue
    const server = createServer()
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (!bound) continue
    server.close()
    await once(server, 'close')
    return port
  }
}

/** Takes the port for this process, unless another took it within HANDED_OUT_FOR_MS (the file is created exclusively). */
function claim (port: number): boolean {
  const file = join(HANDED_OUT, String(port))
  try {
    closeSync(openSync(file, 'wx'))
    return true
  } catch {
    const claimedAt = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0
    if (Date.now() - claimedAt < HANDED_OUT_FOR_MS) return false
    rmSync(file, { force: true })
    return claim(port)
  }
}

/**
 * Whatever runs the clean-ups: node:test's TestContext, or the soak's own list
 * (test/soak/teardown.ts) when the processes outlive a single test.
 */
export interface Teardown {
  after (fn: () => unknown): void
}

export class Started {
  readonly child: ChildProcess
  /** Its exit code and signal, once it has exited and all it printed has been read ('close', not 'exit', which can come first). */
  readonly exited: Promise<[code: number | null, signal: NodeJS.Signals | null]>
  #output = ''
  #isClosed = false

  constructor (child: ChildProcess) {
    this.child = child
    this.exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>
    void this.exited.then(() => { this.#isClosed = true })
    child.stdout?.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
  }

  get output (): string {
    return this.#output
  }

  /** Resolves once the process has printed `text`; rejects if it exits first or takes over 15 s. */
  async waitFor (text: string): Promise<void> {
    await this.waitUntil(`it prints "${text}"`, async () => this.#output.includes(text))
  }

  /**
   * waitUntil (wait-until.ts), with `check` failing counted as not yet, and failing at once if the
   * process has ended (and all it printed was read) without `check` holding; the error shows its output.
   */
  async waitUntil (what: string, check: () => Promise<boolean>): Promise<void> {
    try {
      await waitUntil(what, async () => {
        if (await check().catch(() => false)) return true
        if (this.#isClosed) throw new Error(`the process exited (${this.child.exitCode}) before ${what}`)
        return false
      })
    } catch (err) {
      throw new Error(`${(err as Error).message}:\n${this.#output}`)
    }
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGCONT')
    this.child.kill(signal)
    await this.exited
  }
}

export function run (t: Teardown, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Started {
  const started = new Started(spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }))
  t.after(() => started.stop('SIGKILL'))
  return started
}

export interface RunningRedis extends Started {
  readonly url: string
  readonly port: number
  /** A client for the test's own checks and set-up. */
  readonly client: Redis
}

export async function startRedis (t: Teardown, port?: number): Promise<RunningRedis> {
  const chosen = port ?? await freePort()
  const server = run(t, 'redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
  await server.waitFor('Ready to accept connections')
  const client = new Redis(chosen, '127.0.0.1', { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  t.after(() => client.disconnect())
  return Object.assign(server, { url: `redis://127.0.0.1:${chosen}`, port: chosen, client })
}

export interface RunningHttp extends Started {
  readonly url: string
  readonly port: number
}

export const INSTRUMENTED = ['--import', 'supertrace/register'] as const

/** Starts an app with `node --import supertrace/register <file>` (or other node flags); it must print "listening". `port`: to restart one where it was. */
export async function startApp (t: Teardown, redis: { url: string }, file = exampleApp, env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = INSTRUMENTED, port?: number): Promise<RunningHttp> {
  port ??= await freePort()
  const app = run(t, process.execPath, [...nodeFlags, file], {
    PORT: String(port),
    SUPERTRACE_REDIS_URL: redis.url,
    OTEL_SERVICE_NAME: 'example-shop',
    ...env,
  })
  await app.waitFor('listening')
  return Object.assign(app, { url: `http://127.0.0.1:${port}`, port })
}

export interface RunningProxy extends RunningHttp {
  /** The admin server: /healthz, /readyz, /metrics. */
  readonly adminUrl: string
  readonly adminPort: number
}

/** Starts `supertrace proxy` in front of `upstream`, on a free port and a free admin port (never the default 9901, which another proxy may hold). */
export async function startProxy (t: Teardown, upstream: { url: string }, redis: { url: string }, env: NodeJS.ProcessEnv = {}): Promise<RunningProxy> {
  const port = await freePort()
  let adminPort = Number(env.SUPERTRACE_ADMIN_PORT ?? await freePort())
  while (adminPort === port) adminPort = await freePort()
  const proxy = run(t, process.execPath, [proxyBin, 'proxy'], {
    SUPERTRACE_UPSTREAM: upstream.url,
    SUPERTRACE_HOST: '127.0.0.1',
    SUPERTRACE_PORT: String(port),
    SUPERTRACE_REDIS_URL: redis.url,
    ...env,
    SUPERTRACE_ADMIN_PORT: String(adminPort),
  })
  const adminUrl = `http://${env.SUPERTRACE_ADMIN_HOST ?? '127.0.0.1'}:${adminPort}`
  // Not the "listening on" line, which SUPERTRACE_LOG_LEVEL may turn off: the admin server starts once the proxy listens.
  // Its pid, not only a 200: a proxy told a port another one holds must not pass for started.
  await proxy.waitUntil('answering /healthz', async () => (JSON.parse((await get(`${adminUrl}/healthz`)).text) as { pid: number }).pid === proxy.child.pid)
  return Object.assign(proxy, { url: `http://127.0.0.1:${port}`, port, adminUrl, adminPort })
}

export interface RunningIngest extends Started {
  /** OTLP/HTTP, e.g. `http://127.0.0.1:4318`: an SDK's OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string
  /** OTLP/gRPC, e.g. `http://127.0.0.1:4317`. */
  readonly grpcUrl: string
  readonly adminUrl: string
}

/** Starts `supertrace ingest` writing to `redis`, on free ports (OTLP/HTTP, OTLP/gRPC, admin). */
export async function startIngest (t: Teardown, redis: { url: string }, env: NodeJS.ProcessEnv = {}): Promise<RunningIngest> {
  const [port, grpcPort, adminPort] = [await freePort(), await freePort(), await freePort()]
  const ingest = run(t, process.execPath, [proxyBin, 'ingest'], {
    SUPERTRACE_INGEST_PORT: String(port),
    SUPERTRACE_INGEST_GRPC_PORT: String(grpcPort),
    SUPERTRACE_INGEST_ADMIN_PORT: String(adminPort),
    SUPERTRACE_REDIS_URL: redis.url,
    ...env,
  })
  const adminUrl = `http://127.0.0.1:${adminPort}`
  await ingest.waitUntil('answering /healthz', async () => (JSON.parse((await get(`${adminUrl}/healthz`)).text) as { pid: number }).pid === ingest.child.pid)
  return Object.assign(ingest, { url: `http://127.0.0.1:${port}`, grpcUrl: `http://127.0.0.1:${grpcPort}`, adminUrl })
}

export interface StackOptions {
  readonly appFile?: string
  readonly appEnv?: NodeJS.ProcessEnv
  /** The app's node flags; [] runs it without the instrumentation. */
  readonly nodeFlags?: readonly string[]
  readonly proxyEnv?: NodeJS.ProcessEnv
  /** Session IDs put in the default `set` lookup's set before anything starts. */
  readonly superusers?: readonly string[]
}

/** test/apps/transparent-app.js, without the instrumentation: it answers with what it received, for what the proxy itself does to bytes. */
export const TRANSPARENT_APP = { appFile: `${repoRoot}test/apps/transparent-app.js`, nodeFlags: [] } as const satisfies StackOptions

/** Redis, the example app with the instrumentation, and the proxy in front: the product as a user runs it. The tests' one way to start the three. */
export async function startStack (t: Teardown, options: StackOptions = {}): Promise<{ redis: RunningRedis, app: RunningHttp, proxy: RunningProxy }> {
  const redis = await startRedis(t)
  if (options.superusers !== undefined) await redis.client.sadd(DEFAULT_SUPERUSERS_KEY, ...options.superusers)
  const app = await startApp(t, redis, options.appFile, options.appEnv, options.nodeFlags)
  const proxy = await startProxy(t, app, redis, options.proxyEnv)
  return { redis, app, proxy }
}
