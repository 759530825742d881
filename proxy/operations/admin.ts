/**
 * The proxy's admin server (SUPERTRACE_ADMIN_PORT; core/admin-server.ts serves it):
 *
 *   GET /healthz   200 while the process runs and answers
 *   GET /readyz    200 while the proxy serves and its upstream accepts connections,
 *                  503 otherwise; Redis and the circuit breaker are reported, never
 *                  fatal (without Redis every 500 is simply the app's own)
 *   GET /metrics   Prometheus text format (metrics.ts)
 *
 * /readyz is bounded by the upstream probe's timeout.
 */
import { startAdminServer as startAdmin, type RunningAdmin } from '../../core/admin-server.ts'
import type { ProxyConfig } from '../config.ts'
import type { BreakerState } from '../superuser/redis-breaker.ts'
import type { ProxyMetrics } from './metrics.ts'
import { UpstreamProbe } from './upstream-probe.ts'

export type { RunningAdmin }

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

type Config = Pick<ProxyConfig, 'host' | 'adminHost' | 'adminPort' | 'upstream'>

export async function startAdminServer (config: Config, sources: AdminSources): Promise<RunningAdmin> {
  const probe = new UpstreamProbe(config.upstream)
  return startAdmin(
    { host: config.adminHost ?? config.host, port: config.adminPort, env: 'SUPERTRACE_ADMIN_PORT', otherPort: 9901 },
    { registry: sources.metrics.registry, readiness: () => readiness(sources, probe) },
  )
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
