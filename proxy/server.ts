/**
 * The proxy: every request gets a fresh request ID (= trace ID), goes upstream
 * through a keep-alive pool, and comes back through Exchange. WebSocket upgrades
 * go through http-proxy-3, which relays a refused upgrade's status where undici
 * would turn it into a 502.
 *
 *   request ─▶ refusal check (framing, Host, target) ─▶ new trace context ─▶ upstream headers ─▶ Pool.dispatch(Exchange)
 *   response ─▶ Exchange: not an intercepted status with a session cookie? pipe it : ServerErrorInterception
 */
import { createProxyServer } from 'http-proxy-3'
import { createServer, STATUS_CODES, type ClientRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Pool } from 'undici'
import { AcceptError, UpstreamError } from '../core/errors.ts'
import { Logger } from '../core/log.ts'
import { REQUEST_ID_HEADER } from '../core/protocol.ts'
import { connectRedis, REDIS_START_WAIT_MS, whenReady } from '../core/redis.ts'
import { Redactor } from '../core/redact.ts'
import { startAdminServer } from './admin.ts'
import type { ProxyConfig } from './config.ts'
import type { ProxyContext } from './context.ts'
import { Exchange, sendPlain } from './exchange.ts'
import { isPagesUrl, servePages } from './pages.ts'
import { hasBody, refusal, upgradeHeaders, upstreamHeaders, type Refusal } from './headers.ts'
import { SuperuserLookup } from './lookup/lookup.ts'
import { ProxyMetrics } from './metrics.ts'
import { RecordSource } from './record-source.ts'
import { RedisBreaker } from './redis-breaker.ts'
import { newTraceContext } from './request-id.ts'
import { drainServer, UpgradedSockets } from './shutdown.ts'
import { UpgradeOutcomes } from './upgrade-outcomes.ts'

export interface RunningProxy {
  readonly server: Server
  /** Where it listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** Guards the Redis commands of requests; its `state` and changes are for the metrics. */
  readonly redisBreaker: RedisBreaker
  /**
   * Stops accepting, lets the requests in flight finish for up to `graceMs` (0: cuts them
   * at once), then closes the upstream pool and Redis. Calling it again returns the same promise.
   */
  close (graceMs?: number): Promise<void>
  /** The admin server's address (health checks, metrics), e.g. `http://127.0.0.1:9901`. */
  readonly adminUrl: string
}

/** Upstream keep-alive connections: enough for 2 cores under load (proxy-engines notes §1). */
const UPSTREAM_CONNECTIONS = 64

export async function startProxy (config: ProxyConfig, logger = new Logger('proxy')): Promise<RunningProxy> {
  const redisOptions = { ...config.redis, logger, onDemand: false }
  const redis = connectRedis({ ...redisOptions, commandTimeoutMs: config.redisTimeoutMs, purpose: 'superuser lookups and records' })
  const metrics = new ProxyMetrics()
  const redisBreaker = new RedisBreaker({ failures: config.breakerFailures, cooldownMs: config.breakerCooldownMs, logger })
  metrics.observeBreaker(() => redisBreaker.state)
  const subscriber = connectRedis({ ...redisOptions, commandTimeoutMs: undefined, purpose: 'record notifications' })
  // A reachable Redis is ready before the first request, so that no superuser's first 500 fails closed
  // for a connection still opening; an unreachable one delays start-up by at most its first error.
  await Promise.all([whenReady(redis, REDIS_START_WAIT_MS), whenReady(subscriber, REDIS_START_WAIT_MS)])
  const superusers = new SuperuserLookup(config.lookup, redis, logger, redisBreaker, metrics)
  await superusers.prepare().catch((err: unknown) => { redis.disconnect(); subscriber.disconnect(); metrics.close(); throw err })
  const context: ProxyContext = {
    config,
    upstream: new Pool(config.upstream.origin, {
      connections: UPSTREAM_CONNECTIONS,
      pipelining: 1,
      connectTimeout: config.upstreamConnectTimeoutMs,
      headersTimeout: config.upstreamTimeoutMs,
      bodyTimeout: config.upstreamBodyTimeoutMs,
    }),
    superusers,
    records: new RecordSource(redis, subscriber, redisBreaker, metrics),
    redisBreaker,
    logger,
    metrics,
    pageOptions: { sourceUrl: config.sourceUrl ?? undefined, redaction: new Redactor(config.redact), pagesPrefix: config.pagesPrefix },
  }
  metrics.observeRecordOutcomes(() => context.records.outcomes())
  // xfwd off: upgradeHeaders sets X-Forwarded-* by the same trust rules as any request (http-proxy-3 would append to the client's).
  const websockets = createProxyServer({ target: config.upstream.origin, ws: true, xfwd: false })
  websockets.on('error', (err: Error, req: IncomingMessage, client: ServerResponse | Socket) => {
    logger.error('a WebSocket upgrade failed', new UpstreamError(`upgrade of ${req.url}`, { cause: err }), req.headers[REQUEST_ID_HEADER] as string | undefined)
    client.destroy()
  })
  const upgradeOutcomes = new UpgradeOutcomes(metrics)
  websockets.on('proxyReqWs', (upstream: ClientRequest, _req: IncomingMessage, client: Socket) => upgradeOutcomes.follow(upstream, client))

  // Node refuses a headers timeout longer than the request timeout (0 = no request timeout).
  const headersTimeout = config.requestTimeoutMs === 0 ? config.headersTimeoutMs : Math.min(config.headersTimeoutMs, config.requestTimeoutMs)
  const server = createServer({
    // A request without a body skips its stream's data/end/close events (bench: docs/benchmarks.md).
    optimizeEmptyRequests: true,
    // A second Host (or any repeated header) is joined with ", " in req.headers, so refusal() sees it.
    joinDuplicateHeaders: true,
    // Slowloris: a client that sends its headers, or its whole request, too slowly gets 408 and is closed.
    headersTimeout,
    requestTimeout: config.requestTimeoutMs,
    // Node's 5 s default is below load balancers' idle timeouts (e.g. 60 s): the balancer would reuse a connection the proxy is closing.
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // A quarter of the shortest timeout, so that a slow client is cut at most 25% late.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(headersTimeout / 4))),
  }, (req, res) => handleRequest(context, req, res))
  const upgraded = new UpgradedSockets()
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    upgraded.add(socket)
    const refused = refusal(req)
    if (refused !== null) {
      metrics.countUpgrade('refused', refused.status)
      socket.end(rawResponse(refused))
      return
    }
    upgradeOutcomes.expect(socket)
    req.headers = upgradeHeaders(req, newTraceContext(), config)
    websockets.ws(req, socket, head)
  })
  // No 'clientError' listener: Node's own answers a request its parser refuses with 400, 408
  // (timeouts), 413 or 431 (headers too large) and closes the socket, or just closes it when
  // a response is already under way.

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve())
  })
  // Past start-up the listener can still fail to accept (EMFILE): Node emits 'error', which unheard would end the proxy.
  server.on('error', acceptErrorLog(logger))
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
  let closing: Promise<void> | null = null
  return {
    server,
    url: `http://${host}:${address.port}`,
    redisBreaker,
    adminUrl: admin.url,
    close (graceMs = 0) {
      closing ??= (async () => {
        await drainServer(server, upgraded, graceMs, logger)
        websockets.close()
        await context.upstream.destroy()
        redisBreaker.close()
        redis.disconnect()
        subscriber.disconnect()
        // Last: until then /readyz answers 503 (not serving) and /metrics still counts.
        await admin.close()
        metrics.close()
      })()
      return closing
    },
  }
}

/** Logs accept failures at most once a second (they come in bursts), with how many were not logged. */
function acceptErrorLog (logger: Logger): (err: Error) => void {
  let lastLoggedAt = 0
  let unlogged = 0
  return (err) => {
    const now = Date.now()
    if (now - lastLoggedAt < 1000) {
      unlogged++
      return
    }
    const more = unlogged === 0 ? '' : ` (and ${unlogged} more since the last line)`
    lastLoggedAt = now
    unlogged = 0
    logger.error(`a connection could not be accepted, so it was dropped${more}; the proxy goes on serving`, new AcceptError('accepting a connection failed', { cause: err }))
  }
}

function handleRequest (context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  res.on('close', context.metrics.onResponseClose)
  const refused = refusal(req)
  if (refused !== null) {
    res.shouldKeepAlive = false
    sendPlain(res, refused.status, refused.text)
    return
  }
  if (isPagesUrl(req.url ?? '/', context.config.pagesPrefix)) {
    servePages(context, req, res, forward)
    return
  }
  forward(context, req, res)
}

/** A refusal written on a raw socket (an upgrade request has no ServerResponse). */
function rawResponse (refused: Refusal): string {
  return `HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status]}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(refused.text)}\r\n\r\n${refused.text}`
}

/** The ordinary path: a fresh trace context, and the request upstream. */
function forward (context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const trace = newTraceContext()
  context.upstream.dispatch({
    path: req.url ?? '/',
    method: req.method ?? 'GET',
    headers: upstreamHeaders(req, trace, context.config),
    body: hasBody(req) ? req : null,
  }, new Exchange(context, req, res, trace.requestId))
}
