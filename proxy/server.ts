/**
 * The proxy: every request gets a fresh request ID (= trace ID), goes upstream
 * through a keep-alive pool, and comes back through Exchange. WebSocket upgrades
 * go through http-proxy-3, which relays a refused upgrade's status where undici
 * would turn it into a 502.
 *
 *   request ─▶ framing check ─▶ new trace context ─▶ upstream headers ─▶ Pool.dispatch(Exchange)
 *   response ─▶ Exchange: not a 500 with a session cookie? pipe it : ServerErrorInterception
 */
import { createProxyServer } from 'http-proxy-3'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Pool } from 'undici'
import { UpstreamError } from '../core/errors.ts'
import { Logger } from '../core/log.ts'
import { PROXY_TRACESTATE, REQUEST_ID_HEADER } from '../core/protocol.ts'
import { connectRedis } from '../core/redis.ts'
import { Redactor } from '../core/redact.ts'
import { startAdminServer } from './admin.ts'
import type { ProxyConfig } from './config.ts'
import type { ProxyContext } from './context.ts'
import { Exchange, sendPlain } from './exchange.ts'
import { isPagesUrl, servePages } from './pages.ts'
import { hasBody, rejectedFraming, upstreamHeaders } from './headers.ts'
import { SuperuserLookup } from './lookup/lookup.ts'
import { ProxyMetrics } from './metrics.ts'
import { RecordSource } from './record-source.ts'
import { newTraceContext } from './request-id.ts'

export interface RunningProxy {
  readonly server: Server
  /** Where it listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The admin server's address (health checks, metrics), e.g. `http://127.0.0.1:9901`. */
  readonly adminUrl: string
  close (): Promise<void>
}

/** Upstream keep-alive connections: enough for 2 cores under load (proxy-engines notes §1). */
const UPSTREAM_CONNECTIONS = 64

export async function startProxy (config: ProxyConfig, logger = new Logger('proxy')): Promise<RunningProxy> {
  const redisOptions = { url: config.redisUrl, logger, onDemand: false }
  const redis = connectRedis({ ...redisOptions, commandTimeoutMs: config.redisTimeoutMs, purpose: 'superuser lookups and records' })
  const metrics = new ProxyMetrics()
  const superusers = new SuperuserLookup(config.lookup, redis, logger, metrics)
  await superusers.prepare().catch((err: unknown) => { redis.disconnect(); metrics.close(); throw err })
  const subscriber = connectRedis({ ...redisOptions, commandTimeoutMs: undefined, purpose: 'record notifications' })
  const context: ProxyContext = {
    config,
    upstream: new Pool(config.upstream.origin, { connections: UPSTREAM_CONNECTIONS, pipelining: 1 }),
    superusers,
    records: new RecordSource(redis, subscriber, metrics),
    logger,
    metrics,
    pageOptions: { sourceUrl: config.sourceUrl ?? undefined, redaction: new Redactor(), pagesPrefix: config.pagesPrefix },
  }
  const websockets = createProxyServer({ target: config.upstream.origin, ws: true, xfwd: true })
  websockets.on('error', (err: Error, req: IncomingMessage, client: ServerResponse | Socket) => {
    logger.error('a WebSocket upgrade failed', new UpstreamError(`upgrade of ${req.url}`, { cause: err }), req.headers[REQUEST_ID_HEADER] as string | undefined)
    client.destroy()
  })

  // optimizeEmptyRequests: a request without a body skips its stream's data/end/close events (bench: docs/benchmarks.md).
  const server = createServer({ optimizeEmptyRequests: true }, (req, res) => handleRequest(context, req, res))
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const trace = newTraceContext()
    req.headers[REQUEST_ID_HEADER] = trace.requestId
    req.headers.traceparent = trace.traceparent
    req.headers.tracestate = PROXY_TRACESTATE
    websockets.ws(req, socket, head)
  })
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve())
  })
  const admin = await startAdminServer(config, { metrics, isServing: () => server.listening, isRedisReady: () => redis.status === 'ready' })
    .catch((err: unknown) => {
      server.close()
      metrics.close()
      redis.disconnect()
      subscriber.disconnect()
      throw err
    })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    server,
    url: `http://${host}:${address.port}`,
    adminUrl: admin.url,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      websockets.close()
      await context.upstream.destroy()
      redis.disconnect()
      subscriber.disconnect()
      // Last: until then /readyz answers 503 (not serving) and /metrics still counts.
      await admin.close()
      metrics.close()
    },
  }
}

function handleRequest (context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  res.on('close', context.metrics.onResponseClose)
  const refusal = rejectedFraming(req)
  if (refusal !== 0) {
    res.shouldKeepAlive = false
    sendPlain(res, refusal, 'This request\'s Transfer-Encoding is not supported.\n')
    return
  }
  if (isPagesUrl(req.url ?? '/', context.config.pagesPrefix)) {
    servePages(context, req, res, forward)
    return
  }
  forward(context, req, res)
}

/** The ordinary path: a fresh trace context, and the request upstream. */
function forward (context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const trace = newTraceContext()
  context.upstream.dispatch({
    path: req.url ?? '/',
    method: req.method ?? 'GET',
    headers: upstreamHeaders(req, trace),
    body: hasBody(req) ? req : null,
  }, new Exchange(context, req, res, trace.requestId))
}
