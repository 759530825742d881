/**
 * A thrown value as the record's exception: Errors with their stack, `cause` chain
 * and AggregateError members (each recorded the same way, to a bounded depth), and
 * anything else that can be thrown (a string, a plain object, null, undefined)
 * described without throwing. Everything is redacted and bounded.
 */
import type { RecordedException } from '../../core/record.ts'
import type { Redactor } from '../../core/redact.ts'
import { recordFrames } from './frames.ts'
import type { Truncation } from '../../core/record-bounds.ts'
import { LIMITS } from './limits.ts'
import { localsOf } from '../patches/locals.ts'
import type { RedactionCache } from './redaction-cache.ts'

export interface ExceptionContext {
  readonly redactor: Redactor
  /** For the source lines around each frame. */
  readonly redactionCache: RedactionCache
  readonly truncation: Truncation
}

export function recordException (value: unknown, spanId: string | undefined, context: ExceptionContext, path: string): RecordedException {
  return recordValue(value, spanId, context, path, 0, new Set())
}

function recordValue (value: unknown, spanId: string | undefined, context: ExceptionContext, path: string, depth: number, seen: Set<unknown>): RecordedException {
  const { redactor, redactionCache, truncation } = context
  seen.add(value)
  const described = describe(value, redactor)
  const redact = (text: string): string => redactor.text(text)
  // The frames follow the message in V8's stack; a huge message must not push them out of reach.
  const framesAt = described.stack.indexOf('\n    at ')
  const recorded = {
    type: described.type,
    message: truncation.redactedText(described.message, LIMITS.messageChars, `${path}.message`, redact),
    stack: truncation.redactedText(described.stack, LIMITS.stackChars, `${path}.stack`, redact),
    frames: framesAt === -1 ? [] : recordFrames(described.stack.slice(framesAt), redactionCache, truncation, path, localsOf(value)),
    ...(spanId === undefined ? {} : { spanId }),
  }
  if (!isInstance(value, Error)) return recorded

  const cause = safeGet(value, 'cause')
  const members = isInstance(value, AggregateError) && Array.isArray(value.errors) ? value.errors as unknown[] : []
  if (depth >= LIMITS.causeDepth) {
    if (cause !== undefined || members.length > 0) truncation.mark(`${path}.cause`)
    return recorded
  }
  // A cycle (an error whose cause leads back to itself) ends the chain.
  const recordedCause = cause === undefined || seen.has(cause) ? undefined : recordValue(cause, undefined, context, `${path}.cause`, depth + 1, seen)
  const kept = truncation.list(members, LIMITS.aggregateMembers, `${path}.errors`)
  const errors = kept.filter((member) => !seen.has(member)).map((member, i) => recordValue(member, undefined, context, `${path}.errors[${i}]`, depth + 1, seen))
  return {
    ...recorded,
    ...(recordedCause === undefined ? {} : { cause: recordedCause }),
    ...(errors.length === 0 ? {} : { errors }),
  }
}

interface Described {
  readonly type: string
  readonly message: string
  readonly stack: string
}

/** Never throws: a getter on a hostile object, or a `toString` that throws, becomes a placeholder. */
function describe (value: unknown, redactor: Redactor): Described {
  if (isInstance(value, Error)) {
    const name = safeString(safeGet(value, 'name')) ?? 'Error'
    const message = safeString(safeGet(value, 'message')) ?? ''
    const stack = safeString(safeGet(value, 'stack'))
    return { type: name, message, stack: stack ?? `${name}: ${message}` }
  }
  if (value === null) return { type: 'null', message: 'null', stack: '' }
  if (typeof value === 'object') {
    const name = safeString(safeGet(value, 'constructor') === undefined ? undefined : (safeGet(value, 'constructor') as { name?: unknown }).name) ?? 'object'
    let message: string
    try {
      message = JSON.stringify(value, redactor.jsonReplacer) ?? String(value)
    } catch {
      message = `[${name}]`
    }
    return { type: name === 'Object' ? 'object' : name, message, stack: '' }
  }
  return { type: typeof value, message: value === undefined ? 'undefined' : safeString(value) ?? '', stack: '' }
}

function safeGet (value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

function safeString (value: unknown): string | undefined {
  if (value === undefined) return undefined
  try {
    return String(value)
  } catch {
    return undefined
  }
}

/** `instanceof` that never throws: a Proxy's getPrototypeOf trap may. */
function isInstance<T> (value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type
  } catch {
    return false
  }
}
