/**
 * Parses V8 stack traces ("    at fn (file:line:col)") into frames. Lines that are
 * not frames (the message, "    at new Promise (<anonymous>)") are skipped.
 */

/** A frame as V8 printed it, before source maps and source context. */
export interface ParsedFrame {
  readonly function?: string
  readonly file: string
  readonly line: number
  readonly column: number
  readonly async: boolean
}

// "    at [async ][new ]fn [as alias] (location)" or "    at [async ]location"
const FRAME_WITH_FUNCTION = /^\s*at (async )?(.*?) \((.*):(\d+):(\d+)\)$/
const FRAME_WITHOUT_FUNCTION = /^\s*at (async )?(.*):(\d+):(\d+)$/

export function parseStack (stack: string, maxFrames: number): ParsedFrame[] {
  const frames: ParsedFrame[] = []
  for (const line of stack.split('\n')) {
    if (frames.length >= maxFrames) break
    const named = FRAME_WITH_FUNCTION.exec(line)
    if (named !== null) {
      frames.push({ function: named[2] ?? '', file: named[3] ?? '', line: Number(named[4]), column: Number(named[5]), async: named[1] !== undefined })
      continue
    }
    const anonymous = FRAME_WITHOUT_FUNCTION.exec(line)
    if (anonymous !== null) frames.push({ file: anonymous[2] ?? '', line: Number(anonymous[3]), column: Number(anonymous[4]), async: anonymous[1] !== undefined })
  }
  return frames
}
