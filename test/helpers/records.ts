/** Sending a request straight to an instrumented app and reading the record it stored; storing one as another writer would. */
import { randomBytes } from 'node:crypto'
import { RECENT_FAILURES_KEY, RECENT_FAILURES_LIMIT, RECORD_CHANNEL, recordKey } from '../../core/protocol.ts'
import { decodeRecord, encodeRecord, RECORD_VERSION, type TraceRecord } from '../../core/record.ts'
import type { RunningRedis } from './processes.ts'

export interface Failure {
  readonly status: number
  readonly record: TraceRecord
  /** The record's JSON as stored. */
  readonly stored: string
}

/**
 * Sends the request with a `traceparent` of a fresh trace ID (as the proxy would), so
 * the record's key is known, and waits for the complete record (the rewrite after every span ended).
 */
export async function failRequest (redis: RunningRedis, url: string, init: RequestInit = {}): Promise<Failure> {
  const requestId = randomBytes(16).toString('hex')
  const headers = new Headers(init.headers)
  headers.set('traceparent', `00-${requestId}-${randomBytes(8).toString('hex')}-01`)
  const response = await fetch(url, { ...init, headers })
  await response.arrayBuffer()
  const deadline = Date.now() + 5000
  for (;;) {
    const stored = await redis.client.get(recordKey(requestId))
    if (stored !== null) {
      const record = decodeRecord(stored)
      if (record.complete) return { status: response.status, record, stored }
    }
    if (Date.now() > deadline) throw new Error(`no complete record for ${url} (status ${response.status}) in 5 s`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * A record as supertrace ingest makes it from a Python app's OTLP export: the request seen by its
 * spans only (no headers, cookies or body), a KeyError raised in a Django view.
 */
export function recordFromSpans (requestId: string, path: string, message: string): TraceRecord {
  const startUs = Date.now() * 1000 - 40_000
  return {
    v: RECORD_VERSION,
    requestId,
    complete: true,
    service: { name: 'shop-django' },
    language: 'python',
    time: Math.round(startUs / 1000) + 38,
    request: { source: 'spans', method: 'GET', url: path, route: 'orders/<int:order_id>', query: [], headers: [], cookies: [] },
    response: { status: 500 },
    process: { runtime: 'CPython 3.11.2', pid: 4711 },
    resource: { 'service.name': 'shop-django', 'telemetry.sdk.language': 'python' },
    environment: [],
    exceptions: [{
      type: 'KeyError',
      message,
      stack: `Traceback (most recent call last):\n  File "/srv/shop/orders/views.py", line 12, in order_view\n    return render(request, "order.html", {"total": order["total"]})\nKeyError: ${message}`,
      frames: [{ function: 'order_view', file: '/srv/shop/orders/views.py', line: 12, origin: 'app' }],
    }],
    spans: [{
      spanId: 'b7ad6b7169203331',
      name: 'GET orders/<int:order_id>',
      kind: 'server',
      startUs,
      durationUs: 38_000,
      status: { code: 'error', message: `KeyError: ${message}` },
      attributes: { 'http.request.method': 'GET', 'url.path': path, 'http.route': 'orders/<int:order_id>', 'http.response.status_code': 500 },
      events: [],
    }],
    droppedSpans: 0,
    logs: [],
    truncated: [],
  }
}

/** Stores `record` through the writer's contract (storage/writer.ts): SET with a TTL, the recent-failures index, then PUBLISH of its ID. */
export async function storeRecord (redis: RunningRedis, record: TraceRecord): Promise<void> {
  await redis.client.set(recordKey(record.requestId), encodeRecord(record), 'EX', 60)
  await redis.client.multi().zadd(RECENT_FAILURES_KEY, record.time, record.requestId).zremrangebyrank(RECENT_FAILURES_KEY, 0, -RECENT_FAILURES_LIMIT - 1).exec()
  await redis.client.publish(RECORD_CHANNEL, record.requestId)
}
