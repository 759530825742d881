/**
 * Fresh W3C trace context for every request, from the CSPRNG. Random bytes are
 * drawn and hex-encoded in batches (one `randomFillSync` and one `toString('hex')`
 * per 170 requests): a request takes two slices of that string, which V8 makes
 * without copying, instead of a syscall and two encodings of its own.
 */
import { randomFillSync } from 'node:crypto'

const TRACE_ID_HEX = 32
const SPAN_ID_HEX = 16
const PER_REQUEST_HEX = TRACE_ID_HEX + SPAN_ID_HEX
const BATCH = 170
const bytes = Buffer.allocUnsafe(BATCH * PER_REQUEST_HEX / 2)
let hex = ''
let offset = 0

const ZERO_TRACE_ID = '0'.repeat(TRACE_ID_HEX)
const ZERO_SPAN_ID = '0'.repeat(SPAN_ID_HEX)

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
  const parentId = hex.slice(offset + TRACE_ID_HEX, offset + PER_REQUEST_HEX)
  offset += PER_REQUEST_HEX
  // All-zero IDs are invalid (W3C trace context §3.2.2.3); at 2^-128 a redraw is cheaper than a check of every byte.
  if (requestId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return newTraceContext()
  // Flags 01: sampled, so that any OpenTelemetry setup records this request. The `tracestate` sent with it
  // (PROXY_TRACESTATE) tells supertrace's sampler that the proxy made no export decision: the app's own sampler does.
  return { requestId, traceparent: `00-${requestId}-${parentId}-01` }
}
