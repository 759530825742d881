/**
 * An admin server, on a port of its own, for the platform rather than for users (the
 * proxy's SUPERTRACE_ADMIN_PORT, the receiver's SUPERTRACE_INGEST_ADMIN_PORT): nothing
 * of the public port is reachable here, and any other path is a 404.
 *
 *   GET /healthz   200 while the process runs and answers: a liveness probe (with its pid)
 *   GET /readyz    200 or 503, as `readiness` decides, with its state as JSON
 *   GET /metrics   Prometheus text format
 *
 * No answer holds a request ID or anything of a user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from './node-http.ts'
import type { Registry } from 'prom-client'
import { listen, listeningUrl } from './listen.ts'

export interface AdminEndpoint {
  readonly host: string
  readonly port: number
  /** The setting that chose the port, and another port to suggest, for the error when it is taken. */
  readonly env: string
  readonly otherPort: number
}

export interface AdminSources {
  readonly registry: Registry
  /** Bounded by its caller: a probe with a timeout, or state already at hand. */
  readonly readiness: () => Promise<{ readonly ready: boolean }>
}

export interface RunningAdmin {
  /** Where it listens, e.g. `http://127.0.0.1:9901`. */
  readonly url: string
  close (): Promise<void>
}

export async function startAdminServer (endpoint: AdminEndpoint, sources: AdminSources): Promise<RunningAdmin> {
  const server = createServer((req, res) => { answer(req, res, sources) })
  await listen(server, endpoint.port, endpoint.host, endpoint.env, endpoint.otherPort)
  return {
    url: listeningUrl(server),
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function answer (req: IncomingMessage, res: ServerResponse, sources: AdminSources): void {
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
      // The pid tells apart two processes that were told the same port (the second one exits at start-up).
      send(res, req, 200, 'application/json', `{"status":"alive","pid":${process.pid}}\n`)
      return
    case '/readyz':
      void sources.readiness().then((state) => { send(res, req, state.ready ? 200 : 503, 'application/json', JSON.stringify(state) + '\n') })
      return
    case '/metrics':
      sources.registry.metrics().then(
        (text) => { send(res, req, 200, sources.registry.contentType, text) },
        (err: unknown) => { send(res, req, 500, 'text/plain; charset=utf-8', `The metrics could not be collected: ${err instanceof Error ? err.message : String(err)}\n`) },
      )
  }
}

function send (res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : body)
}
