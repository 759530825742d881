/**
 * Python's traceback text, as opentelemetry-python's `Span.record_exception`
 * (opentelemetry-sdk, `trace/__init__.py`) records it: `traceback.format_exception`, one
 * block per exception of the chain, oldest first, so the last block is the exception that
 * failed the request and each earlier one its cause (`__cause__`) or context (`__context__`):
 *
 *   Traceback (most recent call last):
 *     File "/app/shop/views.py", line 12, in discount_for
 *       return DISCOUNTS[order.coupon]
 *              ~~~~~~~~~^^^^^^^^^^^^^^
 *   KeyError: 'SPRING'
 *
 *   The above exception was the direct cause of the following exception:
 *
 *   Traceback (most recent call last):
 *   …
 *   RuntimeError: cannot price order 7
 */
import type { FrameOrigin, RecordedException } from '../../core/record.ts'
import { frameOf, isReadable, sourceLineOf, splitHeader, StackText, type CauseKind, type ExceptionDraft, type ExceptionHeader } from './chain.ts'

const TRACEBACK = 'Traceback (most recent call last):'
const SEPARATORS: ReadonlyMap<string, CauseKind> = new Map([
  ['The above exception was the direct cause of the following exception:', 'cause'],
  ['During handling of the above exception, another exception occurred:', 'context'],
])
const FRAME_START = '  File "'

export function parsePython (text: string, given: ExceptionHeader): RecordedException | undefined {
  const stack = new StackText(text)
  const { lines } = stack
  let current: ExceptionDraft | undefined
  let nextKind: CauseKind | undefined
  // Between "Traceback" and the exception line, lines are frames; after it, the message's own lines.
  let inFrames = false
  let pendingFrame = false
  for (let at = 0; at < lines.length; at++) {
    const line = lines[at] ?? ''
    const separator = SEPARATORS.get(line)
    if (separator !== undefined) { nextKind = separator; inFrames = false; continue }
    if (line === TRACEBACK || (!inFrames && isExceptionLine(line) && (current === undefined || nextKind !== undefined))) {
      // A new block: a traceback, or (after a separator) an exception that was never raised, printed without one.
      const opened = stack.open(line === TRACEBACK ? { type: '', message: '' } : splitHeader(line), at)
      if (opened === undefined) break
      if (current !== undefined) { opened.cause = current; opened.causeKind = nextKind }
      current = opened
      nextKind = undefined
      inFrames = line === TRACEBACK
      pendingFrame = false
      continue
    }
    if (current === undefined) continue
    if (inFrames) {
      const frame = line.startsWith(FRAME_START) && isReadable(line) ? frameLine(line) : undefined
      if (frame !== undefined) {
        current.addFrame(frameOf(frame.fn, frame.file, frame.line, pythonOrigin(frame.file)), at, true)
        pendingFrame = true
      } else if (line.startsWith('    ') && pendingFrame) {
        // The frame's source line, then (3.11 and later) a line of ^ and ~ markers under it, which is dropped.
        if (!isMarkerLine(line)) addSourceLine(current, line.trim())
      } else if (isExceptionLine(line)) {
        current.setHeader(splitHeader(line), at)
        inFrames = false
      }
      continue
    }
    if (line !== '') current.addMessageLine(line, at)
  }
  return current === undefined ? undefined : stack.recorded(current, given, true)
}

/** `  File "/app/shop/views.py", line 12, in discount_for`, read without a regular expression. */
function frameLine (line: string): { fn: string, file: string, line: number } | undefined {
  const lineAt = line.lastIndexOf('", line ')
  if (lineAt < FRAME_START.length) return undefined
  const rest = line.slice(lineAt + '", line '.length)
  const inAt = rest.indexOf(', in ')
  const number = Number(inAt < 0 ? rest : rest.slice(0, inAt))
  if (!Number.isInteger(number)) return undefined
  return { fn: inAt < 0 ? '' : rest.slice(inAt + ', in '.length), file: line.slice(FRAME_START.length, lineAt), line: number }
}

/** The exception's line starts at the line's start (frames, source lines and markers are indented). */
function isExceptionLine (line: string): boolean {
  return line !== '' && line[0] !== ' ' && line[0] !== '\t' && isReadable(line) && splitHeader(line).type !== ''
}

function isMarkerLine (line: string): boolean {
  const marks = line.trim()
  return marks !== '' && /^[\^~]+$/.test(marks)
}

function addSourceLine (draft: ExceptionDraft, text: string): void {
  // Frames are kept newest last while reading: the source line belongs to the last one kept.
  const index = draft.frames.length - 1
  const frame = draft.frames[index]
  if (frame === undefined || frame.context !== undefined || frame.line === 0) return
  draft.frames[index] = { ...frame, context: [sourceLineOf(frame.line, text)] }
}

/** site-packages and dist-packages hold what pip or Debian installed; the rest of `lib/pythonX.Y/` and `<frozen …>` modules are the standard library. */
function pythonOrigin (file: string): FrameOrigin {
  if (file.includes('/site-packages/') || file.includes('/dist-packages/') || file.includes('\\site-packages\\')) return 'library'
  if (file.startsWith('<frozen ') || /[/\\]lib[/\\]python\d/i.test(file)) return 'runtime'
  return 'app'
}
