/**
 * Fresh W3C trace context for every request, from the CSPRNG. Random bytes are
 * drawn and hex-encoded in batches (one `randomFillSync` and one `toString('hex')`
 * per 256 requests): a request takes a slice of that string, which V8 makes
 * without copying, instead of a syscall and an encoding of its own. The parent span
 * ID is the request ID's second half (core/protocol.ts, proxySpanId).
 */
import { randomFillSync } from 'node:crypto'
import { proxySpanId } from '../../core/protocol.ts'

const TRACE_ID_HEX = 32
const BATCH = 256
const bytes = Buffer.allocUnsafe(BATCH * TRACE_ID_HEX / 2)
let hex = ''
let offset = 0

const ZERO_TRACE_ID = '0'.repeat(TRACE_ID_HEX)
const ZERO_SPAN_ID = '0'.repeat(16)

export interface TraceContext {
  /** 32 lowercase hex digits: the request ID and the trace ID. */
  readonly requestId: string
  /** The `traceparent` header that makes the app continue this trace. */
  readonly traceparent: string
}

export function newTraceContext (): TraceContext {
  if (offset === hex.length) {
    randomFillSync(bytes)
    hex = bytes.toString('hex')
    offset = 0
  }
  const requestId = hex.slice(offset, offset + TRACE_ID_HEX)
  const parentId = proxySpanId(requestId)
  offset += TRACE_ID_HEX
  // All-zero IDs are invalid (W3C trace context §3.2.2.3); at 2^-128 a redraw is cheaper than a check of every byte.
  if (requestId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return newTraceContext()
  // Flags 01: sampled, so that any OpenTelemetry setup records this request. The `tracestate` sent with it
  // (PROXY_TRACESTATE) tells supertrace's sampler that the proxy made no export decision: the app's own sampler does.
  return { requestId, traceparent: `00-${requestId}-${parentId}-01` }
}
