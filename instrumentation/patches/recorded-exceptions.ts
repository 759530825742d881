/**
 * OpenTelemetry keeps only the text of a recorded exception (type, message, stack).
 * Wrapping the span class's `recordException` keeps the thrown value itself, with
 * its `cause` chain and identity. Patched on the prototype, not per span, so spans
 * that are not part of a request pay one property read.
 */
import type { Span } from '@opentelemetry/sdk-trace'
import { requestOf } from '../request-spans.ts'

export type RecordException = (this: Span, exception: unknown, time?: unknown) => void

/** The replacement for a span class's `recordException`, made from the original (global-patches.ts puts it in place). */
export function keepingThrownValues (original: RecordException): RecordException {
  return function recordException (this: Span, exception: unknown, time?: unknown) {
    requestOf(this)?.addException(exception, this.spanContext().spanId)
    return original.call(this, exception, time)
  }
}
