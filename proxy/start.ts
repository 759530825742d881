/**
 * `startProxy`: opens the parts a running proxy is made of, in the order each needs
 * the one before, and closes them in the reverse order, at shutdown or as soon as a
 * step of start-up fails (so that a proxy that cannot start ends instead of hanging
 * on an open Redis connection):
 *
 *   metrics ─▶ Redis (lookups, records, notifications) ─▶ upstream pool
 *   ─▶ public server (handle-request.ts, WebSocket relay) ─▶ admin server
 */
import type { Server } from 'node:http'
import { Logger } from '../core/log.ts'
import { connectRedis, REDIS_START_WAIT_MS, whenReady, type RedisClient } from '../core/redis.ts'
import { Redactor } from '../core/redact.ts'
import type { ProxyConfig } from './config.ts'
import type { ProxyContext } from './context.ts'
import { upstreamPool } from './forward/upstream-pool.ts'
import { WebSocketRelay } from './forward/websockets.ts'
import { handleRequest } from './handle-request.ts'
import { createServer } from '../core/node-http.ts'
import { SuperuserLookup } from './lookup/lookup.ts'
import { acceptErrorLog } from './operations/accept-errors.ts'
import { limitConnections } from './operations/connection-limit.ts'
import { startAdminServer } from './operations/admin.ts'
import { listen, listeningUrl } from '../core/listen.ts'
import { ProxyMetrics } from './operations/metrics.ts'
import { oversizedRequestLog } from './operations/oversized-requests.ts'
import { drainServer } from './operations/shutdown.ts'
import { ProxyViews } from './superuser/proxy-views.ts'
import { RecordSource } from './superuser/record-source.ts'
import { RedisBreaker } from './superuser/redis-breaker.ts'

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

/** Closes one part that was opened; the parts close in the reverse order. */
type Closer = () => void | Promise<void>

export async function startProxy (config: ProxyConfig, logger = new Logger('proxy')): Promise<RunningProxy> {
  const metrics = new ProxyMetrics()
  const opened: Closer[] = []
  const closeOpened = async (): Promise<void> => {
    for (const close of [...opened].reverse()) await close()
  }
  try {
    const redisSide = await openRedisSide(config, logger, metrics, opened)
    const redaction = new Redactor(config.redact)
    const context: ProxyContext = {
      config,
      upstream: upstreamPool(config),
      superusers: redisSide.superusers,
      records: redisSide.records,
      proxyViews: new ProxyViews(redaction, config.lookup.cookieName),
      redisBreaker: redisSide.redisBreaker,
      logger,
      metrics,
      pageOptions: { sourceUrl: config.sourceUrl ?? undefined, redaction, pagesPrefix: config.pagesPrefix },
    }
    opened.push(() => context.upstream.destroy())
    metrics.observeRecordOutcomes(() => context.records.outcomes())
    const websockets = new WebSocketRelay(config, logger, metrics)
    opened.push(() => websockets.close())
    const server = publicServer(config, context, websockets)
    await listen(server, config.port, config.host, 'SUPERTRACE_PORT', 8080)
    opened.push(() => { if (server.listening) server.close() })
    server.on('error', acceptErrorLog(logger))
    // Last, once the proxy listens: a health check that passes means the proxy serves.
    const admin = await startAdminServer(config, { metrics, isServing: () => server.listening, isRedisReady: () => redisSide.redis.status === 'ready' })
    let closing: Promise<void> | null = null
    return {
      server,
      url: listeningUrl(server),
      redisBreaker: redisSide.redisBreaker,
      adminUrl: admin.url,
      close (graceMs = 0) {
        closing ??= (async () => {
          await drainServer(server, websockets.upgraded, graceMs, logger)
          await closeOpened()
          // Last: until then /readyz answers 503 (not serving) and /metrics still counts.
          await admin.close()
          metrics.close()
        })()
        return closing
      },
    }
  } catch (err) {
    await closeOpened()
    metrics.close()
    throw err
  }
}

interface RedisSide {
  readonly redis: RedisClient
  readonly redisBreaker: RedisBreaker
  readonly superusers: SuperuserLookup
  readonly records: RecordSource
}

/**
 * Two connections: one for commands (lookups, record reads) and one subscribed to record
 * notifications. A reachable Redis is ready before the first request, so that no superuser's
 * first 500 fails closed for a connection still opening; an unreachable one delays start-up
 * by at most its first error.
 */
async function openRedisSide (config: ProxyConfig, logger: Logger, metrics: ProxyMetrics, opened: Closer[]): Promise<RedisSide> {
  const redisOptions = { ...config.redis, logger, onDemand: false }
  const redis = connectRedis({ ...redisOptions, commandTimeoutMs: config.redisTimeoutMs, purpose: 'superuser lookups and records' })
  opened.push(() => redis.disconnect())
  const subscriber = connectRedis({ ...redisOptions, commandTimeoutMs: undefined, purpose: 'record notifications' })
  opened.push(() => subscriber.disconnect())
  const redisBreaker = new RedisBreaker({ failures: config.breakerFailures, cooldownMs: config.breakerCooldownMs, logger })
  opened.push(() => redisBreaker.close())
  metrics.observeBreaker(() => redisBreaker.state)
  await Promise.all([whenReady(redis, REDIS_START_WAIT_MS), whenReady(subscriber, REDIS_START_WAIT_MS)])
  const superusers = new SuperuserLookup(config.lookup, redis, logger, redisBreaker, metrics)
  await superusers.prepare()
  return { redis, redisBreaker, superusers, records: new RecordSource(redis, subscriber, redisBreaker, metrics) }
}

function publicServer (config: ProxyConfig, context: ProxyContext, websockets: WebSocketRelay): Server {
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
    maxHeaderSize: config.maxHeaderBytes,
  }, (req, res) => handleRequest(context, req, res))
  limitConnections(server, config.maxConnections, context.logger)
  server.on('upgrade', websockets.upgrade)
  // No 'clientError' listener: Node's own answers a request its parser refuses with 400, 408
  // (timeouts), 413 or 431 (headers too large) and closes the socket, or just closes it when
  // a response is already under way. The 431s are observed on the socket, to be logged.
  server.on('connection', oversizedRequestLog(config.maxHeaderBytes, context.logger, context.metrics))
  return server
}
