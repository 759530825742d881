/**
 * Whatever bytes reach the receiver, the decoders return a decoded export or throw a
 * DecodeError (ST_OTLP_DECODE), never anything else, and always finish: random bytes,
 * real exports cut short or with bytes flipped, random JSON, and exports made to hurt
 * (lengths past the end, endless varints, deep nesting, floods of attributes and events).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { DecodeError } from '../core/errors.ts'
import { decodeLogsJson, decodeTracesJson } from '../ingest/otlp/json.ts'
import { decodeLogsProtobuf, decodeTracesProtobuf } from '../ingest/otlp/protobuf.ts'
import { MAX_ATTRIBUTES, MAX_EVENTS } from '../ingest/otlp/values.ts'

/** A real export: a server span with an exception and three children, as a Node app sends it. */
async function realExports (): Promise<{ readonly protobuf: Uint8Array, readonly json: string }> {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  const tracer = provider.getTracer('shop')
  const server = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders/:id', 'http.response.status_code': 500, tags: ['a', 'b'], order: { id: 7 } } })
  for (const name of ['SELECT orders', 'GET session', 'render']) tracer.startSpan(name, { attributes: { 'db.system': 'sqlite', n: 1.5 } }, trace.setSpan(ROOT_CONTEXT, server)).end()
  server.recordException(new TypeError('boom'))
  server.end()
  await provider.forceFlush()
  const spans = exporter.getFinishedSpans()
  return { protobuf: ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array(), json: new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)) }
}

/** Runs `decode` and says whether it returned; fails the test on any throw but a DecodeError. */
function returnsOrRefuses (decode: () => unknown): boolean {
  try {
    decode()
    return true
  } catch (error) {
    assert.ok(error instanceof DecodeError && error.code === 'ST_OTLP_DECODE', `threw ${String(error)}`)
    return false
  }
}

const decodeProtobuf = (bytes: Uint8Array) => () => { decodeTracesProtobuf(bytes); decodeLogsProtobuf(bytes) }
const decodeJson = (text: string) => () => { decodeTracesJson(text); decodeLogsJson(text) }

test('random bytes as a protobuf export decode or are refused with a DecodeError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => { returnsOrRefuses(decodeProtobuf(bytes)) }), { numRuns: 5000 })
})

test('a real protobuf export cut short or with bytes flipped decodes or is refused with a DecodeError', async () => {
  const { protobuf } = await realExports()
  const flips = fc.array(fc.tuple(fc.nat(protobuf.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
  fc.assert(fc.property(fc.nat(protobuf.length), flips, (cutAt, changes) => {
    returnsOrRefuses(decodeProtobuf(protobuf.subarray(0, cutAt)))
    const flipped = protobuf.slice()
    for (const [index, byte] of changes) flipped[index] = byte
    returnsOrRefuses(decodeProtobuf(flipped))
  }), { numRuns: 3000 })
  assert.equal(returnsOrRefuses(decodeProtobuf(protobuf.subarray(0, protobuf.length >> 1))), false, 'an export cut in half is refused')
})

test('random JSON, and a real JSON export with any of its values replaced, decode or are refused with a DecodeError', async () => {
  const { json } = await realExports()
  const real: unknown = JSON.parse(json)
  const paths: Array<readonly (string | number)[]> = []
  const walk = (value: unknown, path: readonly (string | number)[]): void => {
    paths.push(path)
    if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, [...path, Array.isArray(value) ? Number(key) : key])
  }
  walk(real, [])
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.jsonValue(), (text, value) => {
    returnsOrRefuses(decodeJson(text))
    returnsOrRefuses(decodeJson(JSON.stringify(value)))
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.nat(paths.length - 1), fc.jsonValue({ maxDepth: 3 }), (pathIndex, value) => {
    const path = paths[pathIndex]!
    const copy = structuredClone(real) as Record<string | number, unknown>
    let parent: Record<string | number, unknown> = copy
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
    const replaced = path.length === 0 ? value : (parent[path.at(-1)!] = value, copy)
    returnsOrRefuses(decodeJson(JSON.stringify(replaced)))
  }), { numRuns: 3000 })
})

// A few protobuf pieces, written by hand, for what no SDK sends.
const bytesOf = (...parts: ReadonlyArray<Uint8Array | readonly number[]>): Uint8Array => concat(parts)
const concat = (parts: ReadonlyArray<Uint8Array | readonly number[]>): Uint8Array => Buffer.concat(parts.map((part) => part instanceof Uint8Array ? part : Uint8Array.from(part)))
function varint (value: number): number[] {
  const out: number[] = []
  for (; value >= 0x80; value = Math.floor(value / 128)) out.push((value % 128) | 0x80)
  return [...out, value]
}
const lengthDelimited = (field: number, ...content: ReadonlyArray<Uint8Array | readonly number[]>): Uint8Array => lengthDelimitedOf(field, content)
const lengthDelimitedOf = (field: number, content: ReadonlyArray<Uint8Array | readonly number[]>): Uint8Array => {
  const body = concat(content)
  return bytesOf(varint((field << 3) | 2), varint(body.length), body)
}
const text = (field: number, value: string): Uint8Array => lengthDelimited(field, new TextEncoder().encode(value))
const keyValue = (field: number, key: string, anyValue: Uint8Array): Uint8Array => lengthDelimited(field, text(1, key), lengthDelimited(2, anyValue))
/** An AnyValue holding an array holding an AnyValue… `depth` times around `inner`, built outside in (nesting by concatenation would take quadratic time). */
function nestedArrays (depth: number, inner: Uint8Array): Uint8Array {
  const anyValueSizes = [inner.length]
  for (let i = 0; i < depth; i++) {
    const innerSize = anyValueSizes[i]!
    const arraySize = 1 + varint(innerSize).length + innerSize
    anyValueSizes.push(1 + varint(arraySize).length + arraySize)
  }
  const out = new Uint8Array(anyValueSizes[depth]!)
  let pos = 0
  for (let i = depth; i > 0; i--) {
    const innerSize = anyValueSizes[i - 1]!
    for (const byte of [0x2a, ...varint(1 + varint(innerSize).length + innerSize), 0x0a, ...varint(innerSize)]) out[pos++] = byte
  }
  out.set(inner, pos)
  return out
}
/** An export of one span with the given IDs and extra fields. */
const exportOf = (...spanFields: Uint8Array[]): Uint8Array => exportOfFields(spanFields)
const exportOfFields = (spanFields: readonly Uint8Array[]): Uint8Array =>
  lengthDelimited(1, lengthDelimited(2, lengthDelimitedOf(2, [lengthDelimited(1, new Uint8Array(16).fill(7)), lengthDelimited(2, new Uint8Array(8).fill(9)), text(5, 'GET /'), ...spanFields])))

test('lengths past the end, endless varints and groups are refused with a DecodeError naming where', () => {
  const cases: ReadonlyArray<readonly [string, Uint8Array, RegExp]> = [
    ['a length past the end', bytesOf([0x0a], varint(1000), [1, 2, 3]), /runs past the end/],
    ['a length past its enclosing message', lengthDelimited(1, bytesOf([0x12], varint(50))), /runs past the end/],
    ['a varint of 11 bytes', bytesOf([0x08], new Array(10).fill(0xff), [0x01]), /runs past 10 bytes/],
    ['a group (wire type 3)', bytesOf([0x0b]), /wire type 3/],
    ['a field number 0', bytesOf([0x02, 0x00]), /malformed field tag/],
    ['a fixed64 cut short', exportOf(bytesOf([0x39], [1, 2, 3])), /cut short|runs past/],
  ]
  for (const [situation, bytes, message] of cases) {
    assert.throws(() => decodeTracesProtobuf(bytes), (error: unknown) => error instanceof DecodeError && message.test(error.message), situation)
  }
})

test('a span with 100,000 attributes, 10,000 events and a value nested 100,000 deep keeps the caps, counts what was cut, and decodes', () => {
  const attribute = keyValue(9, 'k', text(1, 'v'))
  const manyAttributes = Array.from({ length: 100_000 }, (_, i) => keyValue(9, `key.${i}`, bytesOf([0x18], varint(i))))
  const event = lengthDelimited(11, text(2, 'exception'), keyValue(3, 'exception.type', text(1, 'KeyError')))
  const deep = nestedArrays(100_000, bytesOf([0x10, 0x01])) // bool_value true, 100,000 arrays deep
  const bytes = exportOfFields([attribute, ...manyAttributes, ...Array.from({ length: 10_000 }, () => event), keyValue(9, 'deep', deep)])

  const { spans: [span] } = decodeTracesProtobuf(bytes)

  assert.equal(Object.keys(span?.attributes ?? {}).length, MAX_ATTRIBUTES)
  assert.equal(span?.droppedAttributes, 100_000 + 2 - MAX_ATTRIBUTES)
  assert.equal(span?.events.length, MAX_EVENTS)
  assert.equal(span?.droppedEvents, 10_000 - MAX_EVENTS)
  assert.equal(span?.attributes['k'], 'v')
  const deepOnly = decodeTracesProtobuf(exportOf(keyValue(9, 'deep', deep))).spans[0]?.attributes['deep']
  assert.match(String(deepOnly), /^(\[\[)+\[?null\]*$/, 'nesting past the cap becomes null')
})

test('invalid UTF-8 in names and values decodes with U+FFFD, never an error', () => {
  const invalid = (field: number): Uint8Array => lengthDelimited(field, [0x47, 0x45, 0x54, 0xff, 0xfe, 0xc3])
  const { spans: [span] } = decodeTracesProtobuf(exportOf(invalid(5), keyValue(9, 'http.route', invalid(1))))
  assert.equal(span?.name, 'GET\uFFFD\uFFFD\uFFFD')
  assert.equal(span?.attributes['http.route'], 'GET\uFFFD\uFFFD\uFFFD')
})

test('an attribute named __proto__ is an attribute, not the prototype', () => {
  const { spans: [span] } = decodeTracesProtobuf(exportOf(keyValue(9, '__proto__', lengthDelimited(5, lengthDelimited(1, text(1, 'x'))))))
  assert.deepEqual(Object.entries(span?.attributes ?? {}), [['__proto__', ['x']]])
  assert.equal(Object.getPrototypeOf(span?.attributes), Object.prototype)
})

test('a JSON export with 100,000 attributes keeps the cap, and with fields of the wrong type is refused naming the field', () => {
  const attributes = Array.from({ length: 100_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: String(i) } }))
  const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e0007', spanId: '00f067aa0ba902b7', name: 'GET /', attributes }
  const exportWith = (fields: object): string => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...span, ...fields }] }] }] })

  const decoded = decodeTracesJson(exportWith({})).spans[0]
  assert.equal(Object.keys(decoded?.attributes ?? {}).length, MAX_ATTRIBUTES)
  assert.equal(decoded?.droppedAttributes, 100_000 - MAX_ATTRIBUTES)
  for (const [fields, message] of [[{ name: 5 }, /span\.name is not a string/], [{ events: {} }, /span\.events is not an array/], [{ startTimeUnixNano: '-1' }, /span\.startTimeUnixNano is not nanoseconds/], [{ kind: 'SERVER!' }, /span\.kind is not an integer/]] as const) {
    assert.throws(() => decodeTracesJson(exportWith(fields)), (error: unknown) => error instanceof DecodeError && message.test(error.message))
  }
  assert.throws(() => decodeTracesJson('{"resourceSpans": ['), DecodeError)
  assert.throws(() => decodeTracesJson('[]'), DecodeError)
})
