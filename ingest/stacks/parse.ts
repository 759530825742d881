/**
 * An `exception` span event of any language as the record's `RecordedException`: the
 * language's parser is picked by `telemetry.sdk.language`, or by the text's shape when the
 * resource does not say. Text that no parser reads is kept as it came, with no frames;
 * nothing here throws.
 */
import { cutText, type RecordedException } from '../../core/record.ts'
import { LIMITS } from '../limits.ts'
import type { ExceptionHeader } from './chain.ts'
import { parseDotnet } from './dotnet.ts'
import { parseGo } from './go.ts'
import { parseJava, parsePhp } from './java.ts'
import { parseJavaScript } from './javascript.ts'
import { parsePython } from './python.ts'
import { parseRuby } from './ruby.ts'

export interface ForeignException {
  /** `telemetry.sdk.language`: python, java, go, ruby, dotnet, php, nodejs, webjs, … or '' when the resource does not say. */
  readonly language: string
  readonly type: string
  readonly message: string
  /** `exception.stacktrace`; '' when the SDK recorded none. */
  readonly stacktrace: string
}

type StackParser = (text: string, given: ExceptionHeader) => RecordedException | undefined

const PARSERS: Readonly<Record<string, StackParser>> = {
  python: parsePython,
  java: parseJava,
  go: parseGo,
  ruby: parseRuby,
  dotnet: parseDotnet,
  php: parsePhp,
  nodejs: parseJavaScript,
  webjs: parseJavaScript,
}

/** For a language not named: each shape's sure sign, tried in this order (PHP's text reads as Java's). */
const SHAPES: ReadonlyArray<readonly [RegExp, StackParser]> = [
  [/^Traceback \(most recent call last\):$/m, parsePython],
  [/^goroutine \d+ \[/m, parseGo],
  [/^\tat |^\t\.\.\. \d+ more$/m, parseJava],
  [/^ {3}at |^ ---> /m, parseDotnet],
  [/^ {4}at /m, parseJavaScript],
  [/^\tfrom |:in [`']/m, parseRuby],
]

export function parseForeignException (exception: ForeignException): RecordedException {
  const given = { type: exception.type, message: exception.message }
  const text = exception.stacktrace
  const parser = Object.hasOwn(PARSERS, exception.language) ? PARSERS[exception.language] : SHAPES.find(([sign]) => sign.test(text))?.[1]
  let parsed: RecordedException | undefined
  try {
    parsed = parser?.(text, given)
  } catch {
    // A text no parser foresaw must not cost the request its exception: it is kept as it came.
    parsed = undefined
  }
  return parsed ?? {
    type: exception.type,
    message: cutText(exception.message, LIMITS.messageChars),
    stack: cutText(text, LIMITS.stackChars),
    frames: [],
  }
}
