/**
 * The keep-alive connections to the app: undici's Pool, loaded alone. `import { Pool } from
 * 'undici'` loads all of undici (fetch, its WebSocket, caches, mocks) for 7 MB more RSS than
 * Pool's own files (docs/benchmarks.md, "Memory"); undici declares no exports map, so its
 * files can be required one by one (test/proxy-memory-settings.test.ts checks this is its Pool).
 */
import { createRequire } from 'node:module'
import type { Pool } from 'undici'
import type { ProxyConfig } from '../config.ts'

/** Twice the concurrency that fills 2 cores, so no request waits for one (docs/design.md#upstream-connections). */
const UPSTREAM_CONNECTIONS = 64

const require = createRequire(import.meta.url)
export const UndiciPool = require('undici/lib/dispatcher/pool.js') as typeof Pool

export function upstreamPool (config: ProxyConfig): Pool {
  return new UndiciPool(config.upstream.origin, {
    connections: UPSTREAM_CONNECTIONS,
    pipelining: 1,
    connectTimeout: config.upstreamConnectTimeoutMs,
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: config.upstreamBodyTimeoutMs,
  })
}
