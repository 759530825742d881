/**
 * `exception.stacktrace` comes from another process and can be anything: a shape no parser
 * knows, markup, ANSI escapes, NUL bytes, a megabyte on one line, a hundred thousand lines.
 * Whatever it is, reading it never throws and what it gives stays within LIMITS.
 * How long each input took is reported (a slow pattern would show here), never asserted.
 */
import { strict as assert } from 'node:assert'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import { cutMarker, type RecordedException } from '../core/record.ts'
import { LIMITS } from '../ingest/limits.ts'
import { parseForeignException, type ForeignException } from '../ingest/stacks/parse.ts'

const LANGUAGES = ['python', 'java', 'go', 'ruby', 'dotnet', 'php', 'nodejs', 'webjs', '', 'erlang']

/** Every exception of the result, with its depth below the one that failed the request. */
function everyException (exception: RecordedException, depth = 0): Array<[RecordedException, number]> {
  return [[exception, depth], ...[exception.cause, ...(exception.suppressed ?? [])].flatMap((e) => e === undefined ? [] : everyException(e, depth + 1))]
}

function assertBounded (result: RecordedException): void {
  const longest = (max: number): number => max + cutMarker(Number.MAX_SAFE_INTEGER).length
  const all = everyException(result)
  assert.ok(all.length <= LIMITS.exceptionsPerStack)
  for (const [e, depth] of all) {
    assert.ok(depth <= LIMITS.causeDepth)
    assert.ok(e.frames.length <= LIMITS.framesPerException)
    assert.ok((e.suppressed?.length ?? 0) <= LIMITS.suppressedPerException)
    assert.ok(e.stack.length <= longest(LIMITS.stackChars) && e.message.length <= longest(LIMITS.messageChars))
    for (const frame of e.frames) {
      assert.ok(frame.file.length <= LIMITS.stackLineChars && (frame.function?.length ?? 0) <= LIMITS.stackLineChars)
      assert.ok(Number.isSafeInteger(frame.line) && frame.line >= 0)
    }
  }
}

/** Reads every language's way, reporting the slowest. */
function readAll (t: TestContext, label: string, stacktrace: string): RecordedException[] {
  let slowest = 0
  const results = LANGUAGES.map((language) => {
    const started = performance.now()
    const result = parseForeignException({ language, type: 'Hostile', message: 'hostile', stacktrace })
    slowest = Math.max(slowest, performance.now() - started)
    assertBounded(result)
    return result
  })
  t.diagnostic(`${label}: slowest language ${slowest.toFixed(1)} ms`)
  return results
}

/** Pieces of every shape, and of none, that a generated text is made of. */
const FRAGMENTS = [
  'Traceback (most recent call last):', '  File "/app/x.py", line 3, in f', '    x = y[0]', '    ^^^^', 'KeyError: 1',
  'The above exception was the direct cause of the following exception:', 'During handling of the above exception, another exception occurred:',
  'java.lang.IllegalStateException: x', '\tat a.B.c(B.java:1)', '\t... 3 more', 'Caused by: x.Y: z', '\tSuppressed: x.Z', '\t\tSuppressed: q',
  '[CIRCULAR REFERENCE: x]', 'goroutine 1 [running]:', 'main.f(0x1)', '\t/src/main.go:3 +0x1', 'panic: boom [recovered]', '\tpanic: again',
  "/app/a.rb:1:in 'f': m (E)", "\tfrom /app/a.rb:2:in 'g'", ' ---> System.X: y', '   at A.B() in /a.cs:line 3', '   --- End of inner exception stack trace ---',
  '    at f (/app/a.js:1:2)', '    at async /app/b.js:3:4', '\u001b[31m', '<script>alert(1)</script>', '\u0000', '', ' (', ':', '(', ')', '\t', ' ',
]
const hostileText = fc.tuple(
  fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 40 }), fc.nat({ max: 1e6 }).map(String)), { maxLength: 300 }),
  fc.constantFrom('\n', '', ' ', '\r\n'),
).map(([parts, separator]) => parts.join(separator))

test('any text, in any language, reads without throwing and within the limits', (t) => {
  let slowest = 0
  fc.assert(fc.property(hostileText, fc.constantFrom(...LANGUAGES), (stacktrace, language) => {
    const started = performance.now()
    assertBounded(parseForeignException({ language, type: 'T', message: 'm', stacktrace }))
    slowest = Math.max(slowest, performance.now() - started)
  }), { numRuns: 2000 })
  t.diagnostic(`slowest generated input: ${slowest.toFixed(2)} ms`)
})

test('a text in a shape no parser knows is kept as it came, with its type and message and no frames', () => {
  const stacktrace = 'Segmentation fault (core dumped)\n#0  0x00007f in ?? ()'
  for (const language of ['erlang', '', 'java', 'python', 'go']) {
    assert.deepEqual(parseForeignException({ language, type: 'SIGSEGV', message: 'crashed', stacktrace }), { type: 'SIGSEGV', message: 'crashed', stack: stacktrace, frames: [] })
  }
  assert.deepEqual(parseForeignException({ language: 'python', type: 'KeyError', message: '1', stacktrace: '' }), { type: 'KeyError', message: '1', stack: '', frames: [] })
})

test('a megabyte on one line is no frame, and is cut', (t) => {
  const frame = `\tat shop.Orders.priceOf(${'A'.repeat(1_000_000)}.java:1)`
  for (const result of readAll(t, 'one line of a megabyte', `java.lang.X: y\n${frame}\n\tat shop.Orders.main(Orders.java:3)`)) {
    assert.ok(result.frames.every((f) => f.file.length < 100), 'the long line is never a frame')
  }
  const java = parseForeignException({ language: 'java', type: 'java.lang.X', message: 'y', stacktrace: `java.lang.X: y\n${frame}\n\tat shop.Orders.main(Orders.java:3)` })
  assert.deepEqual(java.frames.map((f) => f.function), ['shop.Orders.main'])
  assert.ok(java.stack.length < LIMITS.stackChars + 100 && java.stack.endsWith(' more characters cut]'))
})

test('a hundred thousand frames and a thousand causes: the innermost frames and the first causes are kept', (t) => {
  const javaFrames = Array.from({ length: 100_000 }, (_, i) => `\tat shop.F.f${i}(F.java:${i + 1})`).join('\n')
  const causes = Array.from({ length: 1000 }, (_, i) => `Caused by: shop.E${i}: m\n\tat shop.G.g(G.java:${i + 1})\n\t... 99999 more`).join('\n')
  readAll(t, 'Java, 100,000 frames and 1000 causes', `shop.Top: m\n${javaFrames}\n${causes}`)
  const java = parseForeignException({ language: 'java', type: 'shop.Top', message: 'm', stacktrace: `shop.Top: m\n${javaFrames}\n${causes}` })
  assert.deepEqual([java.frames[0]?.function, java.frames.length], ['shop.F.f0', LIMITS.framesPerException])
  assert.equal(java.cause?.frames.length, 1, "a cause sharing frames the kept list lacks shows its own only")

  const pythonFrames = Array.from({ length: 100_000 }, (_, i) => `  File "/app/r.py", line ${i + 1}, in f\n    f()`).join('\n')
  readAll(t, 'Python, 100,000 frames', `Traceback (most recent call last):\n${pythonFrames}\nRecursionError: deep`)
  const python = parseForeignException({ language: 'python', type: 'RecursionError', message: 'deep', stacktrace: `Traceback (most recent call last):\n${pythonFrames}\nRecursionError: deep` })
  assert.deepEqual(python.frames.map((f) => f.line).slice(0, 2), [100_000, 99_999], 'the innermost frames, innermost first')
})

test('markup, ANSI escapes and NUL bytes are kept as text, never read as structure', (t) => {
  const stacktrace = 'Traceback (most recent call last):\n  File "/app/<b>x</b>.py", line 3, in \u001b[31mf\u0000\n    <script>alert(1)</script>\n\u001b[0mValueError: <img src=x onerror=alert(1)>\u0000'
  readAll(t, 'markup, ANSI and NUL', stacktrace)
  const read = parseForeignException({ language: 'python', type: '', message: '', stacktrace })
  assert.deepEqual(read.frames[0], { function: '\u001b[31mf\u0000', file: '/app/<b>x</b>.py', line: 3, origin: 'app', context: [{ line: 3, text: '<script>alert(1)</script>' }] })
  assert.deepEqual([read.type, read.message], ['\u001b[0mValueError', '<img src=x onerror=alert(1)>\u0000'])
})

test('lines built to make a backtracking pattern slow read in linear time', (t) => {
  const line = (unit: string): string => unit.repeat(Math.floor(LIMITS.stackLineChars / unit.length) - 1)
  for (const unit of [' (', ' (a:1', ' (x:1:1) (', ':in `', '", line ', ' in ', ':line ', '^~', '\tat (', '... ']) {
    const text = Array.from({ length: 500 }, () => `    at ${line(unit)}\n   at ${line(unit)}\n\t${line(unit)}\n  File "${line(unit)}`).join('\n')
    readAll(t, `500 lines of ${JSON.stringify(unit)}`, text)
  }
})
