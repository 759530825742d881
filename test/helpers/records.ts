/** Sending a request straight to an instrumented app and reading the record it stored. */
import { randomBytes } from 'node:crypto'
import { recordKey } from '../../core/protocol.ts'
import { decodeRecord, type TraceRecord } from '../../core/record.ts'
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
