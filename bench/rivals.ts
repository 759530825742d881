/**
 * Everything the bench compares, listed once: what can sit between the client and
 * the small app (the proxy side), and how the Express app can be run (the app side).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, proxyBin, repoRoot, Started } from '../test/helpers/processes.ts'

export interface Running {
  readonly url: string
  /** The process whose CPU and memory are measured: the proxy's, or the app's when there is no proxy. */
  readonly pid: number
  stop (): Promise<void>
}

export interface Shared {
  /** The small app's origin, e.g. http://127.0.0.1:3000, and its process. */
  readonly upstream: Running
  readonly redisUrl: string
}

export interface ProxyRival {
  readonly id: string
  readonly label: string
  /** Can it run here (nginx only when installed)? */
  readonly available: boolean
  start (shared: Shared): Promise<Running>
}

export function startNode (args: readonly string[], env: NodeJS.ProcessEnv, ready = 'listening'): Promise<Started> {
  const started = new Started(spawn(process.execPath, ['--no-deprecation', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }))
  return started.waitFor(ready).then(() => started, async (err: unknown) => { await started.stop('SIGKILL'); throw err })
}

async function nodeServer (file: string, env: NodeJS.ProcessEnv, ready = 'listening', nodeArgs: readonly string[] = []): Promise<Running> {
  const port = await freePort()
  const started = await startNode([...nodeArgs, file], { PORT: String(port), ...env }, ready)
  return { url: `http://127.0.0.1:${port}`, pid: started.child.pid as number, stop: () => started.stop() }
}

const bench = (file: string): string => `${repoRoot}bench/${file}`
const nginxBin = spawnSync('nginx', ['-v']).error === undefined ? 'nginx' : undefined

async function untilAccepting (port: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true) })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    await sleep(20)
  }
  throw new Error(`nothing accepted connections on port ${port}`)
}

/** nginx with a generated config in a temp dir: one process (master_process off), upstream keep-alive. */
async function startNginx (upstream: string): Promise<Running> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-bench-nginx-'))
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ')
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  ${temp}
  upstream app { server ${new URL(upstream).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`)
  const started = new Started(spawn(nginxBin as string, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] }))
  await untilAccepting(port)
  return {
    url: `http://127.0.0.1:${port}`,
    pid: started.child.pid as number,
    stop: async () => { await started.stop('SIGQUIT'); rmSync(dir, { recursive: true, force: true }) },
  }
}

export const proxyRivals: readonly ProxyRival[] = [
  {
    id: 'direct',
    label: 'no proxy (the app directly: the limit)',
    available: true,
    start: async ({ upstream }) => ({ ...upstream, stop: async () => {} }),
  },
  {
    id: 'http-proxy',
    label: 'bare http-proxy 1.18 + keep-alive agent',
    available: true,
    start: ({ upstream }) => nodeServer(bench('servers/http-proxy.ts'), { UPSTREAM: upstream.url }),
  },
  {
    id: 'undici',
    label: 'minimal undici dispatch() forwarder',
    available: true,
    start: ({ upstream }) => nodeServer(bench('servers/undici-forwarder.ts'), { UPSTREAM: upstream.url }),
  },
  {
    id: 'nginx',
    label: 'nginx, 1 worker, upstream keep-alive',
    available: nginxBin !== undefined,
    start: ({ upstream }) => startNginx(upstream.url),
  },
  {
    id: 'supertrace',
    label: 'supertrace proxy (defaults)',
    available: true,
    start: async ({ upstream, redisUrl }) => {
      const port = await freePort()
      const started = await startNode([proxyBin, 'proxy'], {
        SUPERTRACE_UPSTREAM: upstream.url,
        SUPERTRACE_HOST: '127.0.0.1',
        SUPERTRACE_PORT: String(port),
        SUPERTRACE_ADMIN_PORT: String(await freePort()),
        SUPERTRACE_REDIS_URL: redisUrl,
        ...(process.env.BENCH_PROXY_FLAGS === undefined ? {} : { NODE_OPTIONS: process.env.BENCH_PROXY_FLAGS }),
      }, 'listening on')
      return { url: `http://127.0.0.1:${port}`, pid: started.child.pid as number, stop: () => started.stop() }
    },
  },
]

export interface AppVariant {
  readonly id: string
  readonly label: string
  start (redisUrl: string): Promise<Running>
}

const expressApp = bench('apps/express-app.js')

export const appVariants: readonly AppVariant[] = [
  { id: 'bare', label: 'Express, no instrumentation', start: () => nodeServer(expressApp, {}) },
  { id: 'otel', label: 'Express + plain NodeSDK (same instrumentations, spans dropped)', start: () => nodeServer(expressApp, {}, 'listening', ['--import', bench('apps/otel-plain.ts')]) },
  { id: 'supertrace', label: 'Express + supertrace/register', start: (redisUrl) => nodeServer(expressApp, { SUPERTRACE_REDIS_URL: redisUrl }, 'listening', ['--import', 'supertrace/register']) },
]

export { nodeServer }
