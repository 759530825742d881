/**
 * Every change supertrace makes to what the whole process shares, made in one place
 * and undone in one place:
 *  - `ServerResponse.prototype.writeHead` and `.end`, which hold a failing response
 *    until its record is stored (response-hold.ts);
 *  - an `uncaughtExceptionMonitor` listener and `process.emit`, which record the
 *    errors that escape a request (crash-capture.ts);
 *  - the span class's `recordException`, which keeps the thrown value
 *    (recorded-exceptions.ts); patched when the first span of that class starts,
 *    because the class is whichever copy of sdk-trace the app's provider uses;
 *  - an inspector session pausing on exceptions, with SUPERTRACE_CAPTURE_LOCALS (locals.ts);
 *  - `Error.stackTraceLimit`, raised to LIMITS.framesPerException.
 *
 * One installation per process. Its handlers belong to one processor, the one that
 * installed it; that processor's shutdown removes it. A processor constructed while
 * it is installed gets none (`install` returns undefined) and records nothing, so
 * it cannot take the hooks over from the first, and a record is never written twice.
 * Once the first has shut down, a new processor installs afresh. The mark is a
 * `Symbol.for` on globalThis, so two copies of supertrace in one app also keep to one.
 */
import type { Span } from '@opentelemetry/sdk-trace'
import { ServerResponse } from 'node:http'
import { LIMITS } from '../record/limits.ts'
import { uncaughtErrorHooks, type UncaughtErrorHandler } from './crash-capture.ts'
import { startLocalsCapture, type LocalsCaptureOptions } from './locals.ts'
import { keepingThrownValues, type RecordException } from './recorded-exceptions.ts'
import { failingResponseHold, type FailingResponseHandler } from './response-hold.ts'

export interface GlobalPatchesOptions {
  readonly onFailingResponse: FailingResponseHandler
  /** How long a failing response's end may wait for its record (SUPERTRACE_HOLD_MS). */
  readonly holdMs: number
  readonly onUncaughtError: UncaughtErrorHandler
  /** Undefined unless SUPERTRACE_CAPTURE_LOCALS is on. */
  readonly locals: LocalsCaptureOptions | undefined
}

type Undo = () => void

const kInstalled = Symbol.for('supertrace.global-patches')
/** On a span class's prototype while it is patched: one property read per span, as cheap as a check can be. */
const kPatchedClass = Symbol('supertrace.patched-span-class')

type SpanClass = { recordException: RecordException, [kPatchedClass]?: true }

export class GlobalPatches {
  readonly #undo: Undo[] = []
  #isInstalled = true

  /** Installs every patch; undefined when they are installed already (by another processor, or another copy of supertrace). */
  static install (options: GlobalPatchesOptions): GlobalPatches | undefined {
    const shared = globalThis as { [kInstalled]?: true }
    if (shared[kInstalled] === true) return undefined
    shared[kInstalled] = true
    return new GlobalPatches(options)
  }

  private constructor (options: GlobalPatchesOptions) {
    const hold = failingResponseHold(options.onFailingResponse, options.holdMs)
    this.#undo.push(replaceMethod(ServerResponse.prototype, 'writeHead', hold.writeHead))
    this.#undo.push(replaceMethod(ServerResponse.prototype, 'end', hold.end))

    const uncaught = uncaughtErrorHooks(options.onUncaughtError)
    process.on('uncaughtExceptionMonitor', uncaught.monitor)
    this.#undo.push(() => process.off('uncaughtExceptionMonitor', uncaught.monitor))
    this.#undo.push(replaceMethod(process, 'emit', uncaught.emit))

    if (options.locals !== undefined) this.#undo.push(startLocalsCapture(options.locals))

    // V8 keeps 10 frames by default, often all inside the framework; the record keeps up to this many.
    const stackTraceLimit = Error.stackTraceLimit
    if (stackTraceLimit < LIMITS.framesPerException) {
      Error.stackTraceLimit = LIMITS.framesPerException
      this.#undo.push(() => { if (Error.stackTraceLimit === LIMITS.framesPerException) Error.stackTraceLimit = stackTraceLimit })
    }
  }

  /** Patches the class of `span` the first time a span of that class starts. */
  patchSpanClass (span: Span): void {
    const proto = Object.getPrototypeOf(span) as SpanClass
    if (proto[kPatchedClass] === true || !this.#isInstalled) return
    proto[kPatchedClass] = true
    this.#undo.push(() => { delete proto[kPatchedClass] })
    if (typeof proto.recordException === 'function') this.#undo.push(replaceMethod(proto, 'recordException', keepingThrownValues))
  }

  /** Undoes every patch, the last made first; later calls do nothing. */
  uninstall (): void {
    if (!this.#isInstalled) return
    this.#isInstalled = false
    for (const undo of this.#undo.splice(0).reverse()) undo()
    delete (globalThis as { [kInstalled]?: true })[kInstalled]
  }
}

/**
 * Puts `wrap(original)` in place of `target[name]`; the returned function puts the
 * original back. If something has wrapped the method again since (another tool's
 * patch on top of ours), putting the original back would drop that tool's wrapper
 * too: ours then stays, and forwards to the original, its processor shut down.
 */
function replaceMethod<T extends object, K extends keyof T> (target: T, name: K, wrap: (original: T[K]) => T[K]): Undo {
  const isOwn = Object.hasOwn(target, name)
  const original = target[name]
  const replacement = wrap(original)
  target[name] = replacement
  return () => {
    if (target[name] !== replacement) return
    // `process.emit` and `ServerResponse.prototype.end` are inherited (from EventEmitter, OutgoingMessage): removing ours uncovers them.
    if (isOwn) target[name] = original
    else Reflect.deleteProperty(target, name)
  }
}
