/**
 * `npm start`: the whole demo on this machine. Starts a throwaway Redis (unless
 * SUPERTRACE_REDIS_URL names one), the example app under supertrace's
 * instrumentation and the proxy in front of it, then prints what to open.
 * Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureSystemPackages } from '../system-packages.ts'

const HELP = `Usage: npm start   (or: node deploy/demo/start.ts)

Runs the supertrace demo on this machine: a Redis of its own (started with
redis-server on a free port, installed with apt-get when run as root on Debian),
the example app started with \`node --import supertrace/register\`, and the proxy
in front of it. Then it prints the URL to open and curl commands to try.
Ctrl-C stops everything it started.

Environment variables:
  SUPERTRACE_REDIS_URL  Use this Redis instead of starting one (e.g. redis://127.0.0.1:6379)
  SUPERTRACE_PORT       The proxy's port (default 8080, or a free port if 8080 is taken)
  SUPERTRACE_ADMIN_PORT The proxy's admin port: /healthz, /readyz, /metrics (default 9901, or a free port if taken)
`

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const READY_TIMEOUT_MS = 30_000

interface Child { name: string, process: ChildProcess }
const children: Child[] = []
let stopping = false

/** Asks the kernel for a free port on loopback. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('could not find a free port')
  return address.port
}

async function portIsFree (port: number): Promise<boolean> {
  const server = createServer()
  const free = await new Promise<boolean>((resolve) => server.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)))
  if (free) await new Promise((resolve) => server.close(resolve))
  return free
}

function accepts (host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(false))
  })
}

async function waitForPort (name: string, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!await accepts('127.0.0.1', port)) {
    if (Date.now() > deadline) throw new Error(`${name} did not accept connections on port ${port} within ${READY_TIMEOUT_MS / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Starts a child in its own process group, so that a Ctrl-C in the terminal reaches
 * only us and we stop the children in order (and can tell their exit from a crash).
 * Its output is shown line by line with a prefix, or kept quietly until it dies.
 */
function startChild (name: string, command: string, args: string[], env: NodeJS.ProcessEnv, quiet = false): Child {
  const child: Child = { name, process: spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }) }
  children.push(child)
  const kept: string[] = []
  for (const [stream, out] of [[child.process.stdout, process.stdout], [child.process.stderr, process.stderr]] as const) {
    if (stream === null) continue
    createInterface({ input: stream }).on('line', (line) => {
      if (!quiet) out.write(`[${name}] ${line}\n`)
      else if (kept.push(line) > 20) kept.shift()
    })
  }
  child.process.once('error', (err) => { void shutdown(1, `could not start ${name}: ${err.message}`) })
  child.process.once('exit', (code, signal) => {
    if (stopping) return
    for (const line of kept) process.stderr.write(`[${name}] ${line}\n`)
    void shutdown(1, `${name} exited unexpectedly (${signal ?? `exit code ${code}`}); stopping the demo`)
  })
  return child
}

function waitForLine (child: Child, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.name} did not print "${text}" within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS)
    if (child.process.stdout === null) return
    createInterface({ input: child.process.stdout }).on('line', (line) => {
      if (line.includes(text)) { clearTimeout(timer); resolve() }
    })
  })
}

/** Returns the Redis URL to use: the user's, or that of a redis-server of our own (never on 6379, which may be someone's real Redis). */
async function startRedis (): Promise<string> {
  const given = process.env.SUPERTRACE_REDIS_URL
  if (given !== undefined && given !== '') {
    const url = new URL(given)
    if (!await accepts(url.hostname, Number(url.port || 6379))) process.stderr.write(`warning: nothing answers at SUPERTRACE_REDIS_URL=${given}; the debug page needs it\n`)
    return given
  }
  ensureSystemPackages('start', { alternative: 'or set SUPERTRACE_REDIS_URL to a Redis you already have' })
  const port = await freePort()
  startChild('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env, true)
  await waitForPort('redis', port)
  return `redis://127.0.0.1:${port}`
}

async function startApp (redisUrl: string): Promise<number> {
  const port = await freePort()
  const env = { ...process.env, PORT: String(port), SUPERTRACE_REDIS_URL: redisUrl, OTEL_SERVICE_NAME: 'example-shop' }
  const app = startChild('app', process.execPath, ['--import', 'supertrace/register', 'deploy/example-app/server.js'], env)
  await waitForLine(app, 'example app listening')
  return port
}

/** The port `name` names, or `preferred` if free, or any free port. */
async function choosePort (name: string, preferred: number, what: string): Promise<number> {
  const given = process.env[name]
  if (given !== undefined && given !== '') {
    if (!/^\d+$/.test(given)) throw new Error(`${name} must be a port number such as ${preferred}, not "${given}"`)
    // Checked here because a port someone else listens on would look like our proxy answering.
    if (!await portIsFree(Number(given))) throw new Error(`${name}=${given}, but that port is taken`)
    return Number(given)
  }
  if (await portIsFree(preferred)) return preferred
  const port = await freePort()
  process.stdout.write(`Port ${preferred} is taken; ${what} uses port ${port} instead.\n`)
  return port
}

async function startProxy (appPort: number, redisUrl: string): Promise<{ port: number, adminPort: number }> {
  const port = await choosePort('SUPERTRACE_PORT', 8080, 'the proxy')
  const adminPort = await choosePort('SUPERTRACE_ADMIN_PORT', 9901, 'the proxy\'s admin server')
  const env = { ...process.env, SUPERTRACE_UPSTREAM: `http://127.0.0.1:${appPort}`, SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(adminPort), SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_REDIS_URL: redisUrl }
  startChild('proxy', process.execPath, ['dist/cli.js', 'proxy'], env)
  await waitForPort('the proxy', port)
  return { port, adminPort }
}

function printInstructions (proxy: { port: number, adminPort: number }, app: number, redisUrl: string): void {
  const base = `http://127.0.0.1:${proxy.port}`
  process.stdout.write(`
The supertrace demo is running. Open ${base}/ in a browser (the proxy, in front of the example app).

  1. Open ${base}/login?user=admin to log in as admin, a superuser.
  2. Open ${base}/orders/42: the app throws a TypeError and you see supertrace's debug page.
  3. Open ${base}/_supertrace/ (still as admin): the recent failures, each linking to its page.
  4. Open ${base}/login?user=alice (not a superuser), then /orders/42 again: the app's own 500.

With curl, the app's own 500 that anyone gets:
  curl -i ${base}/orders/42
and a superuser session, then the debug page (as a text traceback, as Markdown, then as JSON):
  curl -c /tmp/st-cookies -s -o /dev/null '${base}/login?user=admin'
  curl -b /tmp/st-cookies ${base}/orders/42
  curl -b /tmp/st-cookies -H 'Accept: text/markdown' ${base}/orders/42
  curl -b /tmp/st-cookies -H 'Accept: application/json' ${base}/orders/42

(app: http://127.0.0.1:${app}, Redis: ${redisUrl}, the proxy's health and metrics: http://127.0.0.1:${proxy.adminPort}/readyz and /metrics)
Press Ctrl-C to stop.

`)
}

/** Stops the children (SIGTERM, then SIGKILL after 5 s), waits for them, and exits. */
async function shutdown (code: number, message?: string): Promise<void> {
  if (stopping) return
  stopping = true
  if (message !== undefined) process.stderr.write(`${message}\n`)
  await Promise.all(children.map(({ process: child }) => {
    if (child.exitCode !== null || child.signalCode !== null) return undefined
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    return exited.then(() => clearTimeout(timer))
  }))
  process.exit(code)
}

async function main (): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP)
    return
  }
  // SIGHUP too: the children are in their own process groups, so a closed terminal would not reach them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => { void shutdown(0, 'Stopping the demo…') })
  // And should we die some other way (a bug), don't leave them behind.
  process.on('exit', () => {
    for (const { process: child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })

  const redisUrl = await startRedis()
  const appPort = await startApp(redisUrl)
  const proxy = await startProxy(appPort, redisUrl)
  printInstructions(proxy, appPort, redisUrl)
}

main().catch((err: unknown) => { void shutdown(1, `the demo could not start: ${err instanceof Error ? err.message : String(err)}`) })
