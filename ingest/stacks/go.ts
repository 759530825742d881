/**
 * Go's goroutine dump. opentelemetry-go's `RecordError` with `trace.WithStackTrace(true)`
 * (sdk/trace/span.go, `recordStackTrace`) records `runtime.Stack(buf, false)` into 2048
 * bytes: the current goroutine only, taken where the error was recorded, possibly cut
 * mid-frame. A crash's output (`panic: …`, `[recovered]`, then the goroutines) has the
 * same frames under the panics:
 *
 *   panic: first [recovered]
 *   	panic: second
 *
 *   goroutine 1 [running]:
 *   main.handler({0x620d88, 0xc000010000}, 0xc00001c0f0)
 *   	/src/main.go:23 +0x251
 *   net/http.HandlerFunc.ServeHTTP(…)
 *   	/usr/local/go/src/net/http/server.go:2109 +0x2f
 *
 * The last panic is the one that ended the program; each earlier one was being handled
 * (recovered in a deferred call) when the next began: its context. Go's text names no
 * type for a panic value, and no cause: an error wrapped with `%w` is in the message.
 */
import type { FrameOrigin, RecordedException } from '../../core/record.ts'
import { frameOf, isReadable, originByPrefix, StackText, type ExceptionDraft, type ExceptionHeader } from './chain.ts'

const GOROUTINE = /^goroutine \d+ \[[^\]]*\]:$/

/** GOROOT as Debian's golang-go, Fedora's golang and the official tarball install it. */
const GO_FILE_ORIGINS: ReadonlyArray<readonly [string, FrameOrigin]> = [
  ['/usr/lib/go', 'runtime'],
  ['/usr/lib/golang/', 'runtime'],
  ['/usr/local/go/', 'runtime'],
]

/**
 * With `-trimpath`, files are named by import path: the standard library's top-level
 * packages (its import paths, unlike any module's, have no dot in their first element).
 */
const STANDARD_LIBRARY = new Set(['archive', 'bufio', 'bytes', 'cmp', 'compress', 'container', 'context', 'crypto', 'database',
  'debug', 'embed', 'encoding', 'errors', 'expvar', 'flag', 'fmt', 'go', 'hash', 'html', 'image', 'index', 'internal', 'io',
  'iter', 'log', 'maps', 'math', 'mime', 'net', 'os', 'path', 'plugin', 'reflect', 'regexp', 'runtime', 'slices', 'sort',
  'strconv', 'strings', 'sync', 'syscall', 'testing', 'text', 'time', 'unicode', 'unique', 'unsafe', 'weak'])

export function parseGo (text: string, given: ExceptionHeader): RecordedException | undefined {
  const stack = new StackText(text)
  const { lines } = stack
  let outermost: ExceptionDraft | undefined
  let at = 0
  // The panics, oldest first, each `panic: value` (a later one indented by a tab).
  for (; at < lines.length; at++) {
    const line = lines[at] ?? ''
    const value = line.replace(/^\t/, '')
    if (!value.startsWith('panic: ')) { if (line === '') continue; break }
    const opened = stack.open({ type: 'panic', message: value.slice('panic: '.length).replace(/ \[recovered[^\]]*\]$/, '') }, at)
    if (opened === undefined) break
    if (outermost !== undefined) { opened.cause = outermost; opened.causeKind = 'context' }
    outermost = opened
  }
  const goroutine = lines.findIndex((line, index) => index >= at && GOROUTINE.test(line))
  if (goroutine < 0) return outermost === undefined ? undefined : stack.recorded(outermost, given)
  outermost ??= stack.open({ type: '', message: '' }, goroutine)
  if (outermost === undefined) return undefined
  // Only the first goroutine: the one that failed. A blank line ends it. Each call is followed by
  // its tab-indented location; a call without one (the text cut at 2048 bytes, "...additional frames elided...") is skipped.
  let fn: string | undefined
  for (at = goroutine + 1; at < lines.length; at++) {
    const line = lines[at] ?? ''
    if (line === '') break
    if (!isReadable(line)) { fn = undefined; continue }
    if (!line.startsWith('\t')) { fn = functionOf(line); continue }
    const place = locationOf(line.slice(1))
    if (fn !== undefined && place !== undefined) outermost.addFrame(frameOf(fn, place.file, place.line, goOrigin(place.file)), at)
    fn = undefined
  }
  return stack.recorded(outermost, given)
}

/** `main.handler({0x620d88, …}, 0xc00001c0f0)` or `created by net/http.(*Server).Serve in goroutine 1`: the function's name. */
function functionOf (call: string): string {
  if (call.startsWith('created by ')) {
    const name = call.slice('created by '.length)
    const inGoroutine = name.indexOf(' in goroutine ')
    return inGoroutine < 0 ? name : name.slice(0, inGoroutine)
  }
  // The arguments are the last parentheses; a method's receiver, `(*Server)`, comes before them.
  const open = call.lastIndexOf('(')
  return open > 0 && call.endsWith(')') ? call.slice(0, open) : call
}

/** `/src/main.go:23 +0x251`: the file and the line. */
function locationOf (location: string): { file: string, line: number } | undefined {
  const offset = location.lastIndexOf(' +0x')
  const place = offset < 0 ? location : location.slice(0, offset)
  const colon = place.lastIndexOf(':')
  const line = Number(place.slice(colon + 1))
  return colon <= 0 || !Number.isInteger(line) ? undefined : { file: place.slice(0, colon), line }
}

function goOrigin (file: string): FrameOrigin {
  if (file.includes('/pkg/mod/') || file.includes('/vendor/') || /@v\d/.test(file)) return 'library'
  if (!file.startsWith('/')) return STANDARD_LIBRARY.has(file.split('/', 1)[0] ?? '') ? 'runtime' : 'app'
  return originByPrefix(file, GO_FILE_ORIGINS)
}
