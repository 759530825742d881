/**
 * Ruby's `full_message(highlight: false, order: :top)`, as opentelemetry-ruby's
 * `Span#record_exception` (sdk/lib/opentelemetry/sdk/trace/span.rb) records it: the
 * exception that failed the request first, its innermost frame on its first line with the
 * message's first line and the class, the other frames under it, then each cause the same way:
 *
 *   /app/orders.rb:5:in 'price_of': cannot price (RuntimeError)
 *   	from /app/orders.rb:9:in '<main>'
 *   /app/orders.rb:1:in 'Hash#fetch': key not found: 91 (KeyError)
 *   	from /app/orders.rb:1:in 'fetch_price'
 *
 * Ruby before 3.4 quotes the method as `` `fetch' ``.
 */
import type { FrameOrigin, RecordedException } from '../../core/record.ts'
import { frameOf, isReadable, StackText, type ExceptionDraft, type ExceptionHeader } from './chain.ts'

const FROM = '\tfrom '

export function parseRuby (text: string, given: ExceptionHeader): RecordedException | undefined {
  const stack = new StackText(text)
  const { lines } = stack
  let outermost: ExceptionDraft | undefined
  let current: ExceptionDraft | undefined
  for (let at = 0; at < lines.length; at++) {
    const line = lines[at] ?? ''
    if (!isReadable(line) || line === '') continue
    if (line.startsWith(FROM)) {
      const place = placeOf(line.slice(FROM.length))
      if (current !== undefined && place !== undefined) current.addFrame(frameOf(place.fn, place.file, place.line, rubyOrigin(place.file)), at)
      continue
    }
    const header = line.startsWith('\t') ? undefined : headerOf(line)
    if (header === undefined) {
      // The message's further lines come before the first `from`.
      if (current !== undefined && current.framesSeen <= 1) current.addMessageLine(line, at)
      continue
    }
    const opened = stack.open(header, at)
    if (opened === undefined) break
    opened.addFrame(frameOf(header.place.fn, header.place.file, header.place.line, rubyOrigin(header.place.file)), at)
    if (current !== undefined) { current.cause = opened; current.causeKind = 'cause' }
    outermost ??= opened
    current = opened
  }
  return outermost === undefined ? undefined : stack.recorded(outermost, given)
}

interface Place { readonly fn: string, readonly file: string, readonly line: number, readonly rest: string }

/** `/app/orders.rb:5:in 'price_of'` followed by anything (`rest`), or `/app/orders.rb:5`. */
function placeOf (text: string): Place | undefined {
  const inAt = text.indexOf(':in ')
  const location = inAt < 0 ? text : text.slice(0, inAt)
  const colon = location.lastIndexOf(':')
  const line = Number(location.slice(colon + 1))
  if (colon <= 0 || !Number.isInteger(line)) return undefined
  const file = location.slice(0, colon)
  if (inAt < 0) return { fn: '', file, line, rest: '' }
  const quoted = text.slice(inAt + ':in '.length)
  const close = quoted.indexOf("'", 1)
  if ((quoted[0] !== "'" && quoted[0] !== '`') || close < 0) return undefined
  return { fn: quoted.slice(1, close), file, line, rest: quoted.slice(close + 1) }
}

/** `<place>: message's first line (Type)`; the class is absent when the message was empty (`unhandled exception`). */
function headerOf (line: string): (ExceptionHeader & { readonly place: Place }) | undefined {
  const place = placeOf(line)
  if (place === undefined || !place.rest.startsWith(': ')) return undefined
  const text = place.rest.slice(2)
  const typeAt = text.lastIndexOf(' (')
  if (typeAt < 0 || !text.endsWith(')')) return { type: '', message: text, place }
  return { type: text.slice(typeAt + 2, -1), message: text.slice(0, typeAt), place }
}

/** Gems (installed by gem or bundler, or Debian's vendor_ruby) are a library's; the rest of Ruby's lib directory and `<internal:…>` are Ruby's own. */
function rubyOrigin (file: string): FrameOrigin {
  if (file.includes('/gems/') || file.includes('/vendor_ruby/')) return 'library'
  if (file.startsWith('<internal:') || /\/lib\/ruby\/\d/.test(file)) return 'runtime'
  return 'app'
}
