/** What every request of one running proxy shares, built once at start-up. */
import type { Pool } from 'undici'
import type { Logger } from '../core/log.ts'
import type { ProxyConfig } from './config.ts'
import type { ProxyMetrics } from './operations/metrics.ts'
import type { PageOptions } from './debug-page/report.ts'
import type { ProxyViews } from './superuser/proxy-views.ts'
import type { RecordSource } from './superuser/record-source.ts'
import type { RedisBreaker } from './superuser/redis-breaker.ts'
import type { SuperuserLookup } from './lookup/lookup.ts'

export interface ProxyContext {
  readonly config: ProxyConfig
  readonly upstream: Pool
  readonly superusers: SuperuserLookup
  readonly records: RecordSource
  /** The requests of superusers as this proxy saw them, remembered a while for their permanent pages. */
  readonly proxyViews: ProxyViews
  /** Guards the Redis commands of requests (lookups, record reads); its state is for the metrics. */
  readonly redisBreaker: RedisBreaker
  readonly logger: Logger
  readonly metrics: ProxyMetrics
  /** How debug pages are made: the source-link template and the redaction rules, fixed at start-up. */
  readonly pageOptions: PageOptions
}
