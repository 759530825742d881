/**
 * An exception's stack as the record's frames: parsed, mapped back to the original
 * source where a source map says so, marked app / library / runtime, with the source
 * lines around each frame (read in the app, where the files are) and its locals.
 */
import { fileURLToPath } from 'node:url'
import { cutText, frameOrigin, type LocalVariable, type SourceLine, type StackFrame } from '../../core/record.ts'
import { LIMITS, type Truncation } from './limits.ts'
import type { RedactionCache } from './redaction-cache.ts'
import { originalPosition, sourceLines } from './source-files.ts'
import { parseStack } from './stack.ts'

/** Locals captured for an exception, by the generated position (`file:line`) of the frame they belong to. */
export type LocalsByPosition = ReadonlyMap<string, readonly LocalVariable[]>

/** The same key whether V8 printed the file as a path (CommonJS) or as a file: URL (ES modules). */
export function positionKey (file: string, line: number): string {
  if (!file.startsWith('file://')) return `${file}:${line}`
  try {
    return `${fileURLToPath(file)}:${line}`
  } catch {
    return `${file}:${line}`
  }
}

export function recordFrames (stack: string, redactionCache: RedactionCache, truncation: Truncation, path: string, locals?: LocalsByPosition): StackFrame[] {
  const parsed = parseStack(stack, LIMITS.framesPerException + 1)
  if (parsed.length > LIMITS.framesPerException) truncation.mark(`${path}.frames`)
  return parsed.slice(0, LIMITS.framesPerException).map((frame) => {
    // Only the app's own frames are mapped: a dependency's maps can be large, and its frames start folded.
    const mapped = frameOrigin(frame.file) === 'app' ? originalPosition(frame.file, frame.line, frame.column) : undefined
    const file = mapped?.file ?? frame.file
    const line = mapped?.line ?? frame.line
    const origin = frameOrigin(file)
    const context = origin === 'runtime' ? undefined : contextOf(file, line, redactionCache)
    const frameLocals = locals?.get(positionKey(frame.file, frame.line))
    return {
      ...(frame.function === undefined ? {} : { function: frame.function }),
      file,
      line,
      column: mapped?.column ?? frame.column,
      origin,
      ...(frame.async ? { async: true } : {}),
      ...(context === undefined ? {} : { context }),
      ...(frameLocals === undefined ? {} : { locals: frameLocals }),
    }
  })
}

/**
 * Seven lines around `line` (fewer at the start or end of the file), redacted by shape like every other text.
 * The lines are those source-files.ts read first (what most likely ran, if the file changed on disk since);
 * the same lines come back with every failure at that place, hence the cache.
 */
function contextOf (file: string, line: number, redactionCache: RedactionCache): SourceLine[] | undefined {
  const lines = sourceLines(file)
  if (lines === undefined || line < 1 || line > lines.length) return undefined
  const first = Math.max(1, line - LIMITS.contextLinesBefore)
  const last = Math.min(lines.length, line + LIMITS.contextLinesAfter)
  const context: SourceLine[] = []
  for (let n = first; n <= last; n++) {
    const text = lines[n - 1] ?? ''
    context.push({ line: n, text: redactionCache.text(cutText(text, LIMITS.sourceLineChars)) })
  }
  return context
}
