/**
 * Parses V8 stack traces ("    at fn (file:line:col)") into frames. Lines that are
 * not frames (the message, "    at new Promise (<anonymous>)") are skipped.
 */
import type { StackFrame } from '../core/record.ts'

// "    at [async ][new ]fn [as alias] (location)" or "    at location"
const FRAME_WITH_FUNCTION = /^\s*at (?:async )?(.*?) \((.*):(\d+):(\d+)\)$/
const FRAME_WITHOUT_FUNCTION = /^\s*at (?:async )?(.*):(\d+):(\d+)$/

export function parseStack (stack: string): StackFrame[] {
  const frames: StackFrame[] = []
  for (const line of stack.split('\n')) {
    const named = FRAME_WITH_FUNCTION.exec(line)
    if (named !== null) {
      frames.push({ function: named[1] ?? '', file: named[2] ?? '', line: Number(named[3]), column: Number(named[4]) })
      continue
    }
    const anonymous = FRAME_WITHOUT_FUNCTION.exec(line)
    if (anonymous !== null) frames.push({ file: anonymous[1] ?? '', line: Number(anonymous[2]), column: Number(anonymous[3]) })
  }
  return frames
}
