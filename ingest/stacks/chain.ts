/**
 * What every language's parser shares: the text split into lines, the exceptions read
 * from it as drafts (bounded as they are read), and their conversion into the record's
 * `RecordedException` with its causes and suppressed exceptions, cut to LIMITS.
 */
import { cutText, type FrameOrigin, type RecordedException, type SourceLine, type StackFrame } from '../../core/record.ts'
import { LIMITS } from '../limits.ts'

export type CauseKind = NonNullable<RecordedException['causeKind']>

export interface ExceptionHeader {
  readonly type: string
  readonly message: string
}

/** A type is a name: no spaces, and not longer than this (a longer "type" is the start of a message). */
const TYPE_CHARS = 512

/** `Type: message` or `Type` (Python's, Java's, .NET's and V8's first line of an exception). */
export function splitHeader (line: string): ExceptionHeader {
  const colon = line.indexOf(': ')
  const type = colon < 0 ? line.trim() : line.slice(0, colon).trim()
  if (type === '' || type.length > TYPE_CHARS || type.includes(' ')) return { type: '', message: line }
  return { type, message: colon < 0 ? '' : line.slice(colon + 2) }
}

/** Whether a line is short enough to be read as a frame or a header. */
export function isReadable (line: string): boolean {
  return line.length <= LIMITS.stackLineChars
}

/** The first of `prefixes` that `name` starts with decides its origin; none, the app's. */
export function originByPrefix (name: string, prefixes: ReadonlyArray<readonly [string, FrameOrigin]>): FrameOrigin {
  for (const [prefix, origin] of prefixes) if (name.startsWith(prefix)) return origin
  return 'app'
}

export function frameOf (fn: string, file: string, line: number, origin: FrameOrigin): StackFrame {
  return { ...(fn === '' ? {} : { function: fn }), file, line: Number.isSafeInteger(line) && line > 0 ? line : 0, origin }
}

/** An exception as a parser reads it, before it is bounded into the record's shape. */
export class ExceptionDraft {
  type: string
  readonly #messageLines: string[]
  #messageChars: number
  readonly frames: StackFrame[] = []
  /** Frames the text gave, kept or not: Java's `... n more` is completed only from a whole list. */
  framesSeen = 0
  /** The lines of the text this exception was printed on, first and last. */
  readonly firstLine: number
  lastLine: number
  cause: ExceptionDraft | undefined
  causeKind: CauseKind | undefined
  readonly suppressed: ExceptionDraft[] = []

  constructor (header: ExceptionHeader, line: number) {
    this.type = header.type
    this.#messageLines = [header.message]
    this.#messageChars = header.message.length
    this.firstLine = line
    this.lastLine = line
  }

  /** The type and the message's first line, where the text gives them after the frames (Python's). */
  setHeader (header: ExceptionHeader, at: number): void {
    this.type = header.type
    this.#messageLines.splice(0, this.#messageLines.length, header.message)
    this.#messageChars = header.message.length
    this.lastLine = at
  }

  get message (): string {
    return this.#messageLines.join('\n')
  }

  /** A message over several lines (Java, .NET, Python and Ruby print it as it is); collected to the limit only. */
  addMessageLine (line: string, at: number): void {
    this.lastLine = at
    if (this.#messageChars > LIMITS.messageChars) return
    this.#messageLines.push(line)
    this.#messageChars += line.length + 1
  }

  /**
   * Adds the next frame in the text's order. Texts that list the innermost frame first
   * keep their first frames; Python's lists it last (`innermostLast`), so its last frames
   * are kept, and `recorded` reverses them.
   */
  addFrame (frame: StackFrame, at: number, innermostLast = false): void {
    this.lastLine = at
    this.framesSeen++
    if (this.frames.length < LIMITS.framesPerException) this.frames.push(frame)
    else if (innermostLast) { this.frames.shift(); this.frames.push(frame) }
  }

  get hasWholeFrames (): boolean {
    return this.framesSeen === this.frames.length
  }
}

/** A stack text as lines, and the count of exceptions opened from it, which is bounded. */
export class StackText {
  readonly text: string
  readonly lines: readonly string[]
  #opened = 0

  constructor (text: string) {
    this.text = text
    this.lines = text.split('\n').map((line) => line.endsWith('\r') ? line.slice(0, -1) : line)
  }

  /** A new exception at line `at`, or undefined once LIMITS.exceptionsPerStack are open. */
  open (header: ExceptionHeader, at: number): ExceptionDraft | undefined {
    if (this.#opened >= LIMITS.exceptionsPerStack) return undefined
    this.#opened++
    return new ExceptionDraft(header, at)
  }

  /** The outermost exception in the record's shape: its type and message as the SDK gave them when it did, the whole text as its stack. */
  recorded (outermost: ExceptionDraft, given: ExceptionHeader, innermostLast = false): RecordedException {
    const own = this.#recorded(outermost, 0, innermostLast)
    return {
      ...own,
      type: given.type !== '' ? given.type : own.type,
      message: cutText(given.message !== '' ? given.message : own.message, LIMITS.messageChars),
      stack: cutText(this.text, LIMITS.stackChars),
    }
  }

  #recorded (draft: ExceptionDraft, depth: number, innermostLast: boolean): RecordedException {
    const deeper = depth < LIMITS.causeDepth
    const cause = deeper && draft.cause !== undefined ? this.#recorded(draft.cause, depth + 1, innermostLast) : undefined
    const suppressed = deeper ? draft.suppressed.slice(0, LIMITS.suppressedPerException).map((s) => this.#recorded(s, depth + 1, innermostLast)) : []
    return {
      type: draft.type,
      message: cutText(draft.message, LIMITS.messageChars),
      stack: cutText(this.lines.slice(draft.firstLine, draft.lastLine + 1).join('\n'), LIMITS.stackChars),
      frames: innermostLast ? draft.frames.toReversed() : draft.frames,
      ...(cause === undefined ? {} : { cause, causeKind: draft.causeKind ?? 'cause' }),
      ...(suppressed.length === 0 ? {} : { suppressed }),
    }
  }
}

/** A source line the stack text carries, as the record's context of its frame. */
export function sourceLineOf (line: number, text: string): SourceLine {
  return { line, text: cutText(text, LIMITS.sourceLineChars) }
}
