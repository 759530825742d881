/**
 * The admin server, on a port of its own (SUPERTRACE_ADMIN_PORT), for the platform
 * rather than for users: nothing here is reachable through the public port, and
 * nothing else is reachable here (any other path is a 404, never forwarded).
 *
 *   GET /healthz   200 while the process runs and answers: a liveness probe (with its pid)
 *   GET /readyz    200 while the proxy serves and its upstream accepts connections,
 *                  503 otherwise; Redis and the circuit breaker are reported, never
 *                  fatal (without Redis every 500 is simply the app's own)
 *   GET /metrics   Prometheus text format (metrics.ts)
 *
 * Every answer is bounded: /readyz by the upstream probe's timeout, the others by
 * memory only. No answer holds a request ID, a URL of the app or anything of a user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from '../node-http.ts'
import type { ProxyConfig } from '../config.ts'
import type { BreakerState } from '../superuser/redis-breaker.ts'
import { listen, listeningUrl } from './listen.ts'
import type { ProxyMetrics } from './metrics.ts'
import { UpstreamProbe } from './upstream-probe.ts'

export interface AdminSources {
  readonly metrics: ProxyMetrics
  /** Whether the public port still accepts requests (false once the proxy is stopping). */
  readonly isServing: () => boolean
  /** Whether the Redis connection for lookups and records is up. */
  readonly isRedisReady: () => boolean
}

export interface Readiness {
  readonly ready: boolean
  readonly serving: boolean
  readonly upstream: 'reachable' | 'unreachable'
  readonly redis: 'ready' | 'down'
  /** null until a circuit breaker is registered with the metrics. */
  readonly breaker: BreakerState | null
}

export interface RunningAdmin {
  /** Where it listens, e.g. `http://127.0.0.1:9901`. */
  readonly url: string
  close (): Promise<void>
}

type Config = Pick<ProxyConfig, 'host' | 'adminHost' | 'adminPort' | 'upstream'>

export async function startAdminServer (config: Config, sources: AdminSources): Promise<RunningAdmin> {
  const probe = new UpstreamProbe(config.upstream)
  const server = createServer((req, res) => { answer(req, res, sources, probe) })
  const host = config.adminHost ?? config.host
  await listen(server, config.adminPort, host, 'SUPERTRACE_ADMIN_PORT', 9901)
  return {
    url: listeningUrl(server),
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function answer (req: IncomingMessage, res: ServerResponse, sources: AdminSources, probe: UpstreamProbe): void {
  const q = (req.url ?? '/').indexOf('?')
  const path = q === -1 ? req.url : req.url?.slice(0, q)
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
    send(res, req, 404, 'text/plain; charset=utf-8', 'Not found: the admin server answers /healthz, /readyz and /metrics.\n')
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    send(res, req, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n')
    return
  }
  switch (path) {
    case '/healthz':
      // The pid tells apart two proxies that were told the same port (the second one exits at start-up).
      send(res, req, 200, 'application/json', `{"status":"alive","pid":${process.pid}}\n`)
      return
    case '/readyz':
      void readiness(sources, probe).then((state) => { send(res, req, state.ready ? 200 : 503, 'application/json', JSON.stringify(state) + '\n') })
      return
    case '/metrics':
      sources.metrics.registry.metrics().then(
        (text) => { send(res, req, 200, sources.metrics.registry.contentType, text) },
        (err: unknown) => { send(res, req, 500, 'text/plain; charset=utf-8', `The metrics could not be collected: ${err instanceof Error ? err.message : String(err)}\n`) },
      )
  }
}

async function readiness (sources: AdminSources, probe: UpstreamProbe): Promise<Readiness> {
  const serving = sources.isServing()
  const isUpstreamReachable = await probe.isReachable()
  return {
    ready: serving && isUpstreamReachable,
    serving,
    upstream: isUpstreamReachable ? 'reachable' : 'unreachable',
    redis: sources.isRedisReady() ? 'ready' : 'down',
    breaker: sources.metrics.breakerState(),
  }
}

function send (res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : body)
}
