import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeRecord, encodeRecord, RECORD_VERSION, type RecordedException, type RecordedSpan, type TraceRecord } from '../core/record.ts'
import { LIMITS } from '../instrumentation/record/limits.ts'
import { fitRecord } from '../instrumentation/record/record-builder.ts'

/** Every part at its limit at once: 20 exceptions with causes and members, 1000 spans full of attributes, a full environment. */
function recordAtEveryLimit (): TraceRecord {
  const long = (n: number): string => 'é'.repeat(n)
  const frame = { function: 'handler', file: '/app/server.js', line: 10, column: 5, origin: 'app' as const,
    context: Array.from({ length: 7 }, (_, i) => ({ line: 7 + i, text: long(LIMITS.sourceLineChars) })),
    locals: Array.from({ length: LIMITS.localsPerFrame }, (_, i) => ({ name: `v${i}`, value: long(LIMITS.localValueChars) })) }
  const exception = (depth: number): RecordedException => ({
    type: 'Error', message: long(LIMITS.messageChars), stack: long(LIMITS.stackChars),
    frames: Array.from({ length: LIMITS.framesPerException }, () => frame),
    ...(depth === 0 ? {} : { cause: exception(depth - 1), errors: [exception(0), exception(0)] }),
  })
  const attributes = Object.fromEntries(Array.from({ length: LIMITS.attributesPerSpan }, (_, i) => [`attr.${i}`, long(LIMITS.attributeChars)]))
  const span = (i: number): RecordedSpan => ({ spanId: i.toString(16).padStart(16, '0'), name: `span ${i}`, kind: 'internal', startUs: i * 1000, durationUs: 1000, status: { code: 'unset' }, attributes, events: [] })
  return {
    v: RECORD_VERSION, requestId: '4bf92f3577b34da6a3ce929d0e0e4736', complete: true, service: { name: 'shop' }, language: 'nodejs', time: 1,
    request: { source: 'app', method: 'GET', url: '/', query: [], headers: [], cookies: [], body: { text: long(LIMITS.bodyChars) } },
    response: { status: 500 }, process: { runtime: 'Node.js v26.0.0', hostname: 'h', pid: 1, cwd: '/app' },
    resource: attributes,
    environment: Array.from({ length: LIMITS.environmentVariables }, (_, i) => [`VAR_${i}`, long(LIMITS.environmentValueChars)] as const),
    exceptions: Array.from({ length: 20 }, () => exception(2)),
    spans: Array.from({ length: 1000 }, (_, i) => span(i)),
    droppedSpans: 0, logs: [], truncated: [],
  }
}

test('a record with every part at its limit is shrunk to at most 1 MB, the root span and first exception kept, the cuts listed', () => {
  const huge = recordAtEveryLimit()
  assert.ok(Buffer.byteLength(encodeRecord(huge)) > 10 * LIMITS.recordBytes, 'the parts add up to far more than the bound')

  const fitted = fitRecord(huge)
  const json = encodeRecord(fitted)
  assert.ok(Buffer.byteLength(json) <= LIMITS.recordBytes, `${Buffer.byteLength(json)} bytes`)
  assert.equal(fitted.spans[0]?.spanId, huge.spans[0]?.spanId)
  assert.equal(fitted.spans.length + fitted.droppedSpans, 1000)
  assert.equal(fitted.exceptions[0]?.message, huge.exceptions[0]?.message)
  assert.ok(fitted.truncated.includes('spans') && fitted.truncated.includes('exceptions'))
  decodeRecord(json)
})

test('a record within the bound is left as it is', () => {
  const small = { ...recordAtEveryLimit(), exceptions: [], spans: [], environment: [] }
  assert.equal(fitRecord(small), small)
})
