/**
 * Fresh W3C trace context for every request, from the CSPRNG. Random bytes are
 * drawn in batches (one `randomFillSync` per 170 requests) because a syscall per
 * request shows in the proxy's per-request cost.
 */
import { randomFillSync } from 'node:crypto'

const TRACE_ID_BYTES = 16
const SPAN_ID_BYTES = 8
const PER_REQUEST = TRACE_ID_BYTES + SPAN_ID_BYTES
const pool = Buffer.allocUnsafe(PER_REQUEST * 170)
let offset = pool.length

export interface TraceContext {
  /** 32 lowercase hex digits: the request ID and the trace ID. */
  readonly requestId: string
  /** The `traceparent` header that makes the app continue this trace. */
  readonly traceparent: string
}

export function newTraceContext (): TraceContext {
  if (offset === pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const requestId = pool.toString('hex', offset, offset + TRACE_ID_BYTES)
  const parentId = pool.toString('hex', offset + TRACE_ID_BYTES, offset + PER_REQUEST)
  offset += PER_REQUEST
  // All-zero IDs are invalid (W3C trace context §3.2.2.3); at 2^-128 a redraw is cheaper than a check of every byte.
  if (requestId === '00000000000000000000000000000000' || parentId === '0000000000000000') return newTraceContext()
  // Flags 01: sampled, so that an app sampling by parent records (and exports) this request as it would have without the proxy.
  return { requestId, traceparent: `00-${requestId}-${parentId}-01` }
}
