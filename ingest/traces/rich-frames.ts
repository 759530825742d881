/**
 * Frames with source lines and local variables, where an app offers them: no standard
 * OpenTelemetry SDK records locals, but a small helper inside the app (for Python, a
 * wrapper of `Span.record_exception` loaded through the `opentelemetry_post_instrument`
 * entry point) can add them to the exception event as one attribute, JSON text:
 *
 *   supertrace.exception.frames = [{ "function": "discount_for", "file": "/app/shop/views.py",
 *     "line": 12, "column": 5, "origin": "app",
 *     "context": [{ "line": 11, "text": "def discount_for(order):" }, …],
 *     "locals": [{ "name": "order", "value": "<Order: 7>" }, …] }, …]
 *
 * innermost frame first; `function`, `column`, `origin` (default `app`), `context` and
 * `locals` optional; values as text, at most LIMITS' lengths. When present and valid, these
 * frames replace the ones parsed from the stack text; anything else is ignored and noted.
 * Values are redacted here like every other (the helper should redact too: what it
 * exports crosses the network first).
 */
import { cutText, type FrameOrigin, type LocalVariable, type SourceLine, type StackFrame } from '../../core/record.ts'
import type { Truncation } from '../../core/record-bounds.ts'
import { LIMITS } from '../limits.ts'

export const RICH_FRAMES_ATTRIBUTE = 'supertrace.exception.frames'

const ORIGINS: readonly FrameOrigin[] = ['app', 'library', 'runtime']
const MAX_FRAMES = 64
const MAX_CONTEXT_LINES = 15

/** The frames the attribute holds, or undefined when it is absent or not frames (noted in `truncation`). */
export function richFrames (value: unknown, truncation: Truncation, path: string): StackFrame[] | undefined {
  if (value === undefined) return undefined
  const frames = typeof value === 'string' && value.length <= LIMITS.richFramesChars ? parseFrames(value) : undefined
  if (frames === undefined) truncation.mark(`${path}.frames (${RICH_FRAMES_ATTRIBUTE} was not frames as documented, or over ${LIMITS.richFramesChars} characters: the frames parsed from the stack text are shown)`)
  return frames
}

function parseFrames (json: string): StackFrame[] | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  const frames = listOf(value, MAX_FRAMES, frameOf)
  return frames === null || frames.length === 0 ? undefined : frames
}

function frameOf (item: unknown): StackFrame | undefined {
  if (!isObject(item) || typeof item.file !== 'string' || !isLineNumber(item.line)) return undefined
  if (item.function !== undefined && typeof item.function !== 'string') return undefined
  if (item.column !== undefined && !isLineNumber(item.column)) return undefined
  if (item.origin !== undefined && !ORIGINS.includes(item.origin as FrameOrigin)) return undefined
  const context = item.context === undefined ? undefined : listOf(item.context, MAX_CONTEXT_LINES, sourceLineOf)
  const locals = item.locals === undefined ? undefined : listOf(item.locals, LIMITS.localsPerFrame, localOf)
  if (context === null || locals === null) return undefined
  return {
    ...(item.function === undefined ? {} : { function: cutText(item.function, LIMITS.attributeChars) }),
    file: cutText(item.file, LIMITS.attributeChars),
    line: item.line,
    ...(item.column === undefined ? {} : { column: item.column as number }),
    origin: (item.origin as FrameOrigin | undefined) ?? 'app',
    ...(context === undefined ? {} : { context }),
    ...(locals === undefined ? {} : { locals }),
  }
}

/** The items read by `read`, at most `max`; null when one is not what it should be. */
function listOf<T> (value: unknown, max: number, read: (item: unknown) => T | undefined): T[] | null {
  if (!Array.isArray(value)) return null
  const items: T[] = []
  for (const item of value.slice(0, max)) {
    const read1 = read(item)
    if (read1 === undefined) return null
    items.push(read1)
  }
  return items
}

function sourceLineOf (item: unknown): SourceLine | undefined {
  return isObject(item) && isLineNumber(item.line) && typeof item.text === 'string' ? { line: item.line, text: cutText(item.text, 400) } : undefined
}

function localOf (item: unknown): LocalVariable | undefined {
  return isObject(item) && typeof item.name === 'string' && typeof item.value === 'string'
    ? { name: cutText(item.name, 200), value: cutText(item.value, LIMITS.localValueChars) }
    : undefined
}

function isLineNumber (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
