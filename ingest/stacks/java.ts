/**
 * Java's `printStackTrace` text, as opentelemetry-java records it (its `StackTraceRenderer`
 * in sdk/common replicates `Throwable.printStackTrace`, cut at the attribute length limit),
 * and PHP's, which opentelemetry-php's `StackTraceFormatter` (src/SDK/Common/Exception)
 * writes in the same shape:
 *
 *   java.lang.IllegalStateException: cannot price order 7
 *   	at shop.Orders.priceOf(Orders.java:21)
 *   	Suppressed: java.io.IOException: close failed
 *   		at shop.Orders.priceOf(Orders.java:19)
 *   		... 1 more
 *   Caused by: java.util.NoSuchElementException: SPRING
 *   	at shop.Orders.discountFor(Orders.java:12)
 *   	... 1 more
 *
 * The thrown exception comes first. Each "Suppressed:" and "Caused by:" is printed with the
 * indentation of the exception it belongs to, plus one tab for "Suppressed:"; "... n more"
 * stands for the last n frames of that enclosing exception, and is completed from them.
 */
import type { FrameOrigin, RecordedException } from '../../core/record.ts'
import { frameOf, isReadable, originByPrefix, splitHeader, StackText, type ExceptionDraft, type ExceptionHeader } from './chain.ts'

const CAUSED_BY = 'Caused by: '
const SUPPRESSED = 'Suppressed: '

/**
 * Frames carry a class, not a jar: the JDK's packages are the runtime's, and the packages
 * of widely used frameworks and libraries are a library's; any other package is the app's.
 */
const JAVA_ORIGINS: ReadonlyArray<readonly [string, FrameOrigin]> = [
  ...['java.', 'javax.', 'jdk.', 'sun.', 'com.sun.'].map((p) => [p, 'runtime'] as const),
  ...['org.springframework.', 'org.apache.', 'io.netty.', 'org.eclipse.jetty.', 'io.undertow.', 'org.glassfish.', 'jakarta.',
    'org.hibernate.', 'com.fasterxml.', 'com.google.', 'io.opentelemetry.', 'io.micrometer.', 'reactor.', 'io.grpc.',
    'org.slf4j.', 'ch.qos.logback.', 'com.zaxxer.', 'org.postgresql.', 'com.mysql.', 'io.quarkus.', 'io.micronaut.',
    'io.vertx.', 'kotlin.', 'kotlinx.', 'scala.', 'akka.', 'org.junit.'].map((p) => [p, 'library'] as const),
]

/**
 * PHP's formatter keeps only a file's base name (so `vendor/` cannot be seen) and writes a
 * namespace with dots: the namespaces of widely used packages are a library's.
 */
const PHP_ORIGINS: ReadonlyArray<readonly [string, FrameOrigin]> = [
  'Symfony.', 'Illuminate.', 'Laravel.', 'GuzzleHttp.', 'Doctrine.', 'Monolog.', 'Psr.', 'OpenTelemetry.', 'Composer.',
  'Slim.', 'Laminas.', 'Twig.', 'League.', 'Nyholm.', 'Http.', 'React.', 'Amp.', 'Carbon.', 'PHPUnit.',
].map((p) => [p, 'library'] as const)

export function parseJava (text: string, given: ExceptionHeader): RecordedException | undefined {
  return parseThrowableText(text, given, (fn) => originByPrefix(fn, JAVA_ORIGINS))
}

export function parsePhp (text: string, given: ExceptionHeader): RecordedException | undefined {
  return parseThrowableText(text, given, phpOrigin)
}

/** The formatter writes `Unknown Source` for a frame whose code has no file: one of PHP's own functions (`array_map`). */
function phpOrigin (fn: string, file: string): FrameOrigin {
  if (file === 'Unknown Source') return 'runtime'
  return file.includes('vendor/') ? 'library' : originByPrefix(fn, PHP_ORIGINS)
}

function parseThrowableText (text: string, given: ExceptionHeader, origin: (fn: string, file: string) => FrameOrigin): RecordedException | undefined {
  const stack = new StackText(text)
  const { lines } = stack
  const first = lines.findIndex((line) => line !== '')
  if (first < 0 || !isReadable(lines[first] ?? '') || (lines[first] ?? '').startsWith('\t')) return undefined
  const root = stack.open(splitHeader(lines[first] ?? ''), first)
  if (root === undefined) return undefined
  // The exception last opened at each indentation, and each one's enclosing exception.
  const byIndent: ExceptionDraft[] = [root]
  const enclosing = new Map<ExceptionDraft, ExceptionDraft>()
  let current = root
  for (let at = first + 1; at < lines.length; at++) {
    const line = lines[at] ?? ''
    if (!isReadable(line)) continue
    const indent = leadingTabs(line)
    const content = line.slice(indent)
    if (content.startsWith('at ')) {
      const frame = frameLine(content.slice(3))
      if (frame !== undefined) current.addFrame(frameOf(frame.fn, frame.file, frame.line, origin(frame.fn, frame.file)), at)
      continue
    }
    const shared = sharedFrames(content)
    if (shared !== undefined) {
      completeFrames(current, enclosing.get(current), shared, at)
      continue
    }
    const caption = content.startsWith(CAUSED_BY) ? CAUSED_BY : content.startsWith(SUPPRESSED) ? SUPPRESSED : undefined
    if (caption === undefined) {
      if (current.framesSeen === 0) current.addMessageLine(line, at)
      continue
    }
    // "Caused by:" is at the indentation of the exception it is the cause of, "Suppressed:" one tab deeper.
    const parent = byIndent[caption === CAUSED_BY ? indent : indent - 1]
    const header = content.slice(caption.length)
    if (parent === undefined || header.startsWith('[CIRCULAR REFERENCE: ')) continue
    const opened = stack.open(splitHeader(header), at)
    if (opened === undefined) break
    if (caption === CAUSED_BY) {
      // A cause's own enclosing exception is the one whose "... n more" it shares, its parent.
      parent.cause = opened
      parent.causeKind = 'cause'
    } else {
      parent.suppressed.push(opened)
    }
    enclosing.set(opened, parent)
    byIndent.length = indent + 1
    byIndent[indent] = opened
    current = opened
  }
  return stack.recorded(root, given)
}

function leadingTabs (line: string): number {
  let count = 0
  while (line[count] === '\t') count++
  return count
}

/** `shop.Orders.priceOf(Orders.java:21)`, `java.base/java.lang.Thread.run(Thread.java:833)`, `…(Native Method)`, `{main}(index.php:3)`. */
function frameLine (content: string): { fn: string, file: string, line: number } | undefined {
  const open = content.lastIndexOf('(')
  if (open <= 0 || !content.endsWith(')')) return undefined
  const location = content.slice(open + 1, -1)
  const colon = location.lastIndexOf(':')
  const line = colon < 0 ? 0 : Number(location.slice(colon + 1))
  // Java 9 and later name the class loader or module before a slash (`app//`, `java.base@17/`).
  const fn = content.slice(0, open).replace(/^[\w.@-]+\/\/?/, '')
  return { fn, file: colon < 0 || !Number.isInteger(line) ? location : location.slice(0, colon), line: Number.isInteger(line) ? line : 0 }
}

/** `... 3 more` (the JDK's and the formatters'), or `... 3 common frames omitted` (logback's). */
function sharedFrames (content: string): number | undefined {
  if (!content.startsWith('... ')) return undefined
  const words = content.split(' ')
  const count = Number(words[1])
  const isShared = (words.length === 3 && words[2] === 'more') || (words.length === 5 && words.slice(2).join(' ') === 'common frames omitted')
  return isShared && Number.isInteger(count) && count > 0 ? count : undefined
}

/** The `count` frames shared with the enclosing exception are its last ones; known only if it kept them all. */
function completeFrames (draft: ExceptionDraft, enclosing: ExceptionDraft | undefined, count: number, at: number): void {
  if (enclosing === undefined || !enclosing.hasWholeFrames || count > enclosing.frames.length) { draft.lastLine = at; return }
  for (const frame of enclosing.frames.slice(enclosing.frames.length - count)) draft.addFrame(frame, at)
}
