/**
 * An app in another language fails a request; its OpenTelemetry SDK records the exception's
 * text; the receiver reads it back into the exception, its causes and its frames. Each text
 * here is printed by that language's real runtime, by a program of test/stacks/ that formats
 * it as the SDK does (each program says where in the SDK), except .NET's, which no runtime
 * here can print (test/stacks/dotnet/ says how it was made).
 */
import { strict as assert } from 'node:assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { RecordedException, StackFrame } from '../core/record.ts'
import { parseForeignException } from '../ingest/stacks/parse.ts'
import { hasRuntime, markedLine, programOutput, stacksDir } from './helpers/foreign-programs.ts'

/** The chain from the exception that failed the request down: type, message, and how each led to the one before. */
function chainOf (exception: RecordedException): Array<[string, string, string]> {
  const chain: Array<[string, string, string]> = []
  for (let e: RecordedException | undefined = exception, kind = ''; e !== undefined; kind = e.causeKind ?? '', e = e.cause) chain.push([e.type, e.message, kind])
  return chain
}

function frameOf (exception: RecordedException | undefined, fn: string): StackFrame {
  const frame = exception?.frames.find((f) => f.function === fn)
  assert.ok(frame !== undefined, `a frame of ${fn} in ${JSON.stringify(exception?.frames.map((f) => f.function))}`)
  return frame
}

test('Python: a KeyError, the RuntimeError raised from it, and an AttributeError raised while handling that', (t) => {
  const program = `${stacksDir}python/chains.py`
  if (!hasRuntime(t, 'python3')) return
  const text = programOutput('python3', [program])
  const failed = parseForeignException({ language: 'python', type: 'AttributeError', message: "'NoneType' object has no attribute 'write'", stacktrace: text })

  assert.deepEqual(chainOf(failed), [
    ['AttributeError', "'NoneType' object has no attribute 'write'", ''],
    ['RuntimeError', 'cannot quote {"item": "SPRING"}', 'context'],
    ['KeyError', "'SPRING'", 'cause'],
  ])
  const raisedAt = (exception: RecordedException | undefined, fn: string, marker: string): void => {
    const innermost = exception?.frames[0]
    assert.deepEqual([innermost?.function, innermost?.file, innermost?.line, innermost?.origin], [fn, program, markedLine(program, marker), 'app'])
    const source = readFileSync(program, 'utf8').split('\n')[(innermost?.line ?? 0) - 1]?.trim()
    assert.deepEqual(innermost?.context, [{ line: innermost?.line, text: source }], 'the source line under the frame, not its ^^^ markers')
  }
  raisedAt(failed, 'handle', 'raises: AttributeError')
  raisedAt(failed.cause, 'quote', 'raises: RuntimeError')
  raisedAt(failed.cause?.cause, 'price_of', 'raises: KeyError')
  assert.equal(failed.frames.at(-1)?.function, '<module>', 'the outermost frame last')
  const json = failed.cause?.cause?.frames.filter((f) => f.file.includes('/json/')) ?? []
  assert.deepEqual(json.map((f) => [f.function, f.origin]), [['raw_decode', 'runtime'], ['decode', 'runtime'], ['loads', 'runtime']])
  assert.ok(failed.stack.startsWith('Traceback (most recent call last):') && failed.stack.endsWith("has no attribute 'write'\n"))
})

test('Java: a cause chain with "... n more" completed from the enclosing trace, and a suppressed exception', (t) => {
  const program = `${stacksDir}java/Orders.java`
  // Launching a source file needs the JDK's compiler, not only a JRE.
  if (!hasRuntime(t, 'javac')) return
  const text = programOutput('java', ['Orders.java'], { cwd: `${stacksDir}java` })
  const thrown = parseForeignException({ language: 'java', type: 'java.lang.RuntimeException', message: 'order 7 failed', stacktrace: text })

  assert.deepEqual(chainOf(thrown), [
    ['java.lang.RuntimeException', 'order 7 failed', ''],
    ['java.lang.IllegalArgumentException', 'cannot total the order', 'cause'],
    ['java.util.NoSuchElementException', 'no price for SPRING', 'cause'],
  ])
  const noPrice = thrown.cause?.cause
  assert.deepEqual(noPrice?.suppressed?.map((s) => [s.type, s.message]), [['java.lang.IllegalStateException', 'ledger left open']])
  const at = (frame: StackFrame | undefined, fn: string, marker: string): void =>
    assert.deepEqual([frame?.function, frame?.file, frame?.line, frame?.origin], [fn, 'Orders.java', markedLine(program, marker), 'app'])
  at(thrown.frames[0], 'Orders.handle', 'raises: RuntimeException')
  at(thrown.cause?.frames[0], 'Orders.total', 'raises: IllegalArgumentException')
  at(noPrice?.frames[0], 'Orders.priceOf', 'raises: NoSuchElementException')
  at(noPrice?.suppressed?.[0]?.frames[0], 'Orders$Ledger.close', 'raises: IllegalStateException')
  // "... n more": the last n frames of the enclosing exception, so every trace ends where the thread began.
  for (const shared of [thrown.cause, noPrice, noPrice?.suppressed?.[0]]) assert.deepEqual(shared?.frames.at(-1), thrown.frames.at(-1))
  assert.equal(thrown.cause?.frames.length, 2 + thrown.frames.length - 1)
  assert.deepEqual([frameOf(noPrice, 'java.lang.Iterable.forEach').origin, frameOf(thrown, 'jdk.internal.reflect.NativeMethodAccessorImpl.invoke0').origin], ['runtime', 'runtime'])
})

test('Go: an error recorded in a handler, a panic recovered where the span ends, and a panic while handling a panic', (t) => {
  const program = `${stacksDir}go/main.go`
  if (!hasRuntime(t, 'go')) return
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-go-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  programOutput('go', ['build', '-o', join(dir, 'orders'), 'main.go'], { cwd: `${stacksDir}go` })
  const events = programOutput(join(dir, 'orders'), []).split('--- end of exception ---\n').filter((e) => e !== '')
  const [recorded, recovered] = events.map((event) => {
    const [type = '', message = '', ...stack] = event.split('\n')
    return parseForeignException({ language: 'go', type, message, stacktrace: stack.join('\n') })
  })

  assert.deepEqual(chainOf(recorded!), [['*fmt.wrapError', 'cannot price order 7: no price for SPRING', '']])
  const priceOf = frameOf(recorded, 'main.priceOf')
  assert.deepEqual([priceOf.file, priceOf.line, priceOf.origin], [program, markedLine(program, 'records: the error'), 'app'])
  assert.equal(frameOf(recorded, 'net/http.HandlerFunc.ServeHTTP').origin, 'runtime')

  assert.deepEqual(chainOf(recovered!), [['runtime.plainError', 'assignment to entry in nil map', '']])
  const panicking = frameOf(recovered, 'main.panickingHandler')
  assert.deepEqual([panicking.file, panicking.line, panicking.origin], [program, markedLine(program, 'panics: assignment'), 'app'])
  assert.equal(frameOf(recovered, 'panic').origin, 'runtime')
  assert.equal(recovered?.frames.indexOf(panicking), (recovered?.frames.indexOf(frameOf(recovered, 'panic')) ?? 0) + 1, 'the panicking frame right under panic')

  const crash = programOutput(join(dir, 'orders'), ['crash'], { exitCode: 2, stderr: true })
  const died = parseForeignException({ language: 'go', type: 'string', message: 'audit failed while handling: no price for SPRING', stacktrace: crash })
  assert.deepEqual(chainOf(died), [['string', 'audit failed while handling: no price for SPRING', ''], ['panic', 'no price for SPRING', 'context']])
  assert.deepEqual([died.frames[0]?.function, died.frames[0]?.line], ['main.crashingHandler.func1', markedLine(program, 'panics: while handling')])
  assert.equal(frameOf(died, 'main.crashingHandler').line, markedLine(program, 'panics: first'))
})

test("Ruby: a RuntimeError raised while rescuing a KeyError, printed with its cause", (t) => {
  const program = `${stacksDir}ruby/orders.rb`
  if (!hasRuntime(t, 'ruby')) return
  const text = programOutput('ruby', [program])
  const failed = parseForeignException({ language: 'ruby', type: 'RuntimeError', message: '', stacktrace: text })

  assert.deepEqual(chainOf(failed), [
    ['RuntimeError', 'cannot quote SPRING\nsee the price list', ''],
    ['KeyError', 'key not found: "SPRING"', 'cause'],
  ])
  assert.deepEqual([failed.frames[0]?.file, failed.frames[0]?.line, failed.frames[0]?.origin], [program, markedLine(program, 'raises: RuntimeError'), 'app'])
  const keyError = failed.cause
  assert.deepEqual([keyError?.frames[0]?.file, keyError?.frames[0]?.line, keyError?.frames[0]?.origin], [program, markedLine(program, 'raises: KeyError'), 'app'])
  assert.equal(keyError?.frames.at(-1)?.function, '<main>', 'the outermost frame last')
  const erb = keyError?.frames.filter((f) => f.file.endsWith('/erb.rb')) ?? []
  assert.ok(erb.length > 0 && erb.every((f) => f.origin === 'runtime'), JSON.stringify(keyError?.frames))
})

test('PHP: a RuntimeException with its previous OutOfBoundsException, as opentelemetry-php formats them', (t) => {
  const program = `${stacksDir}php/orders.php`
  if (!hasRuntime(t, 'php')) return
  const text = programOutput('php', [program])
  const failed = parseForeignException({ language: 'php', type: 'RuntimeException', message: 'cannot total order 7', stacktrace: text })

  assert.deepEqual(chainOf(failed), [['RuntimeException', 'cannot total order 7', ''], ['OutOfBoundsException', 'no price for SPRING', 'cause']])
  const at = (frame: StackFrame | undefined, fn: string, marker: string): void =>
    assert.deepEqual([frame?.function, frame?.file, frame?.line, frame?.origin], [fn, 'orders.php', markedLine(program, marker), 'app'])
  at(failed.frames[0], 'Shop.Orders.total', 'raises: RuntimeException')
  at(failed.cause?.frames[0], 'Shop.Orders.priceOf', 'raises: OutOfBoundsException')
  assert.equal(frameOf(failed.cause, 'array_map').origin, 'runtime')
  assert.deepEqual(failed.cause?.frames.at(-1), failed.frames.at(-1), '"... 1 more" is {main}, from the enclosing trace')
})

test('.NET: an InvalidOperationException with its inner KeyNotFoundException, in the shape of Exception.ToString()', () => {
  const source = `${stacksDir}dotnet/OrdersController.cs`
  const text = readFileSync(`${stacksDir}dotnet/orders-exception.txt`, 'utf8').trimEnd()
  const failed = parseForeignException({ language: 'dotnet', type: 'System.InvalidOperationException', message: 'cannot price order 7', stacktrace: text })

  assert.deepEqual(chainOf(failed), [
    ['System.InvalidOperationException', 'cannot price order 7', ''],
    ['System.Collections.Generic.KeyNotFoundException', "The given key 'SPRING' was not present in the dictionary.", 'cause'],
  ])
  const at = (frame: StackFrame | undefined, fn: string, marker: string): void =>
    assert.deepEqual([frame?.function, frame?.file, frame?.line, frame?.origin], [fn, '/src/Shop/OrdersController.cs', markedLine(source, marker), 'app'])
  at(failed.frames[0], 'Shop.OrdersController.Get', 'raises: InvalidOperationException')
  at(failed.cause?.frames[1], 'Shop.OrdersController.PriceOf', 'raises: KeyNotFoundException')
  assert.deepEqual(failed.cause?.frames[0], { function: 'System.Collections.Generic.Dictionary`2.get_Item', file: '', line: 0, origin: 'runtime' })
  assert.equal(frameOf(failed, 'Microsoft.AspNetCore.Routing.EndpointMiddleware.<Invoke>g__AwaitRequestTask|7_0').origin, 'library')
  assert.equal(failed.frames.length, 6, 'the outer frames only, after the end of the inner trace')
})
