/**
 * V8's `err.stack`, as opentelemetry-js's `Span.recordException` (sdk-trace-base, `Span.ts`)
 * records it: `Type: message`, then `    at fn (file:line:column)` lines, innermost first.
 * Frames are placed by the record's own `frameOrigin`, so a Node app seen through OTLP
 * reads as one seen from inside. `err.stack` holds no cause.
 *
 * The frames are read with string searches rather than the instrumentation's regular
 * expressions (instrumentation/record/stack.ts), whose lazy and greedy groups take time
 * quadratic in a line's length (about 2 ms for a hostile line of 2000 characters): a stack
 * text from another process can be made of such lines.
 */
import { frameOrigin, type RecordedException, type StackFrame } from '../../core/record.ts'
import { isReadable, splitHeader, StackText, type ExceptionHeader } from './chain.ts'

const FRAME_START = '    at '

export function parseJavaScript (text: string, given: ExceptionHeader): RecordedException | undefined {
  const stack = new StackText(text)
  const { lines } = stack
  const firstFrame = lines.findIndex((line) => line.startsWith(FRAME_START))
  if (firstFrame < 0) return undefined
  const thrown = stack.open(splitHeader(lines[0] ?? ''), 0)
  if (thrown === undefined) return undefined
  for (let at = 1; at < firstFrame; at++) thrown.addMessageLine(lines[at] ?? '', at)
  for (let at = firstFrame; at < lines.length; at++) {
    const line = lines[at] ?? ''
    const frame = line.startsWith(FRAME_START) && isReadable(line) ? frameLine(line.slice(FRAME_START.length)) : undefined
    if (frame !== undefined) thrown.addFrame(frame, at)
  }
  return stack.recorded(thrown, given)
}

/** `[async ]fn (file:line:column)` or `[async ]file:line:column`; a place without line and column (`new Promise (<anonymous>)`) is no frame. */
function frameLine (content: string): StackFrame | undefined {
  const isAsync = content.startsWith('async ')
  const call = isAsync ? content.slice('async '.length) : content
  const open = call.indexOf(' (')
  const hasFunction = open > 0 && call.endsWith(')')
  const place = hasFunction ? call.slice(open + 2, -1) : call
  const columnAt = place.lastIndexOf(':')
  const lineAt = place.lastIndexOf(':', columnAt - 1)
  const line = Number(place.slice(lineAt + 1, columnAt))
  const column = Number(place.slice(columnAt + 1))
  if (lineAt <= 0 || !isPositiveInteger(line) || !isPositiveInteger(column)) return undefined
  const file = place.slice(0, lineAt)
  return {
    ...(hasFunction ? { function: call.slice(0, open) } : {}),
    file,
    line,
    column,
    origin: frameOrigin(file),
    ...(isAsync ? { async: true } : {}),
  }
}

function isPositiveInteger (value: number): boolean {
  return Number.isSafeInteger(value) && value > 0
}
