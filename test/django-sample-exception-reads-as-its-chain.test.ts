/**
 * A real Django app behind the OpenTelemetry Python SDK failed `GET /orders/7/`
 * (test/helpers/otlp-samples.ts says where they are found): its export's `exception.stacktrace`, read as
 * the receiver reads it, is the RuntimeError raised from a KeyError in views.py.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parseForeignException } from '../ingest/stacks/parse.ts'
import { markedLine } from './helpers/foreign-programs.ts'
import { DJANGO_SAMPLES, skipWithoutDjangoSamples } from './helpers/otlp-samples.ts'

const SAMPLE = `${DJANGO_SAMPLES ?? ''}/`

/**
 * The string value of the attribute `key` in a protobuf export: the key's bytes are followed by
 * the KeyValue's field 2 (an AnyValue) holding field 1 (a string), each length-delimited.
 */
function stringAttribute (bytes: Buffer, key: string): string | undefined {
  let at = bytes.indexOf(Buffer.from(key)) + Buffer.byteLength(key)
  const varint = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++] ?? 0
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
  }
  if (bytes[at++] !== 0x12) return undefined
  varint()
  if (bytes[at++] !== 0x0a) return undefined
  const length = varint()
  return bytes.subarray(at, at + length).toString('utf8')
}

test('the Django sample: a RuntimeError raised from a KeyError in discount_for, Django and OpenTelemetry as libraries', (t) => {
  if (skipWithoutDjangoSamples !== false) { t.skip(skipWithoutDjangoSamples); return }
  const stacktrace = stringAttribute(readFileSync(`${SAMPLE}order-fails.pb`), 'exception.stacktrace') ?? ''
  assert.ok(stacktrace.startsWith('Traceback (most recent call last):'))
  const failed = parseForeignException({ language: 'python', type: 'RuntimeError', message: 'cannot price order 7', stacktrace })

  assert.deepEqual([failed.type, failed.message, failed.causeKind], ['RuntimeError', 'cannot price order 7', 'cause'])
  assert.deepEqual([failed.cause?.type, failed.cause?.message, failed.cause?.cause], ['KeyError', "'SPRING'", undefined])
  const views = `${SAMPLE}views.py`
  const raisedAt = failed.cause?.frames[0]
  assert.deepEqual(raisedAt, {
    function: 'discount_for',
    file: '/app/shop/views.py',
    line: markedLine(views, 'return DISCOUNTS[order.coupon]'),
    origin: 'app',
    context: [{ line: 12, text: 'return DISCOUNTS[order.coupon]          # KeyError for a coupon nobody defined' }],
  })
  assert.equal(raisedAt.line, 12)
  assert.deepEqual(failed.frames.map((f) => [f.function, f.line, f.origin]), [
    ['order_view', markedLine(views, 'raise RuntimeError'), 'app'],
    ['_get_response', 181, 'library'],
    ['inner', 47, 'library'],
    ['use_span', 608, 'library'],
  ])
})
