/**
 * .NET's `Exception.ToString()`, as `Activity.AddException` (dotnet/runtime,
 * System.Diagnostics.DiagnosticSource) records it: the exception's `Type: message`, then
 * its inner exception's `ToString()` after " ---> " and, after that inner text,
 * "   --- End of inner exception stack trace ---" and the outer exception's own frames:
 *
 *   System.InvalidOperationException: cannot price order 7
 *    ---> System.Collections.Generic.KeyNotFoundException: The given key 'SPRING' was not present in the dictionary.
 *      at System.Collections.Generic.Dictionary`2.get_Item(TKey key)
 *      at Shop.Orders.DiscountFor(Order order) in /src/Shop/Orders.cs:line 12
 *      --- End of inner exception stack trace ---
 *      at Shop.Orders.PriceOf(Int32 id) in /src/Shop/Orders.cs:line 24
 *
 * So the headers come outermost first, each inner exception's frames before its outer's.
 */
import type { FrameOrigin, RecordedException } from '../../core/record.ts'
import { frameOf, isReadable, originByPrefix, splitHeader, StackText, type ExceptionDraft, type ExceptionHeader } from './chain.ts'

const INNER = ' ---> '
const FRAME = '   at '
const END_OF_INNER = '--- End of inner exception stack trace ---'

/**
 * Frames name a namespace, not an assembly: `System.` is the base class library, the
 * runtime's own; `Microsoft.` (ASP.NET Core, Entity Framework Core, Extensions) and the
 * namespaces of widely used packages are a library's.
 */
const DOTNET_ORIGINS: ReadonlyArray<readonly [string, FrameOrigin]> = [
  ['System.', 'runtime'],
  ...['Microsoft.', 'Newtonsoft.', 'Npgsql.', 'Dapper.', 'Serilog.', 'NLog.', 'Polly.', 'StackExchange.', 'Grpc.',
    'OpenTelemetry.', 'Google.', 'MediatR.', 'AutoMapper.', 'FluentValidation.', 'Swashbuckle.', 'Hangfire.',
    'MassTransit.', 'Castle.', 'MySqlConnector.'].map((p) => [p, 'library'] as const),
]

export function parseDotnet (text: string, given: ExceptionHeader): RecordedException | undefined {
  const stack = new StackText(text)
  const { lines } = stack
  const first = lines.findIndex((line) => line !== '')
  if (first < 0 || !isReadable(lines[first] ?? '')) return undefined
  const outermost = stack.open(headerOf(lines[first] ?? ''), first)
  if (outermost === undefined) return undefined
  // From the outermost exception to the one whose frames are being read.
  const open: ExceptionDraft[] = [outermost]
  for (let at = first + 1; at < lines.length; at++) {
    const line = lines[at] ?? ''
    const current = open.at(-1) ?? outermost
    if (!isReadable(line)) continue
    if (line.startsWith(INNER)) {
      const inner = stack.open(headerOf(line.slice(INNER.length)), at)
      if (inner === undefined) break
      current.cause = inner
      current.causeKind = 'cause'
      open.push(inner)
    } else if (line.trim() === END_OF_INNER) {
      if (open.length > 1) open.pop()
      ;(open.at(-1) ?? outermost).lastLine = at
    } else if (line.startsWith(FRAME)) {
      const frame = frameLine(line.slice(FRAME.length))
      current.addFrame(frameOf(frame.fn, frame.file, frame.line, originByPrefix(frame.fn, DOTNET_ORIGINS)), at)
    } else if (current.framesSeen === 0 && current.cause === undefined) {
      current.addMessageLine(line, at)
    }
  }
  return stack.recorded(outermost, given)
}

/** `Type: message`; a `SocketException (111)` names its error code after the type, which is left out of the type. */
function headerOf (line: string): ExceptionHeader {
  const header = splitHeader(line)
  if (header.type !== '') return header
  const code = /^([\w.`+]+) \(-?\d+\)(?:: |$)/.exec(line)
  return code === null ? header : { type: code[1] ?? '', message: line.slice(code[0].length) }
}

/** `Shop.Orders.PriceOf(Int32 id) in /src/Shop/Orders.cs:line 24`, or without ` in …` when there are no symbols. */
function frameLine (content: string): { fn: string, file: string, line: number } {
  const inAt = content.lastIndexOf(' in ')
  const lineAt = content.lastIndexOf(':line ')
  const hasPlace = inAt > 0 && lineAt > inAt
  const call = hasPlace ? content.slice(0, inAt) : content
  const open = call.indexOf('(')
  return {
    fn: open > 0 ? call.slice(0, open) : call,
    file: hasPlace ? content.slice(inAt + ' in '.length, lineAt) : '',
    line: hasPlace ? Number(content.slice(lineAt + ':line '.length)) : 0,
  }
}
