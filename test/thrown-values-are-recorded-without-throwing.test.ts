import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED } from '../core/record.ts'
import { Redactor } from '../core/redact.ts'
import { recordException } from '../instrumentation/record/exceptions.ts'
import { Truncation } from '../core/record-bounds.ts'
import { RedactionCache } from '../instrumentation/record/redaction-cache.ts'

const redactor = new Redactor()
const redactionCache = new RedactionCache(redactor)
const record = (value: unknown): ReturnType<typeof recordException> => recordException(value, undefined, { redactor, redactionCache, truncation: new Truncation() }, 'exceptions[0]')

test('thrown non-Errors (a string, null, undefined, a plain object, a class instance) are described, not thrown', () => {
  assert.deepEqual([record('out of stock')].map((e) => [e.type, e.message, e.stack, e.frames]), [['string', 'out of stock', '', []]])
  assert.deepEqual([record(null), record(undefined), record(42)].map((e) => [e.type, e.message]), [['null', 'null'], ['undefined', 'undefined'], ['number', '42']])
  assert.deepEqual([record({ code: 'E_STOCK', password: 'pw' })].map((e) => [e.type, e.message]), [['object', `{"code":"E_STOCK","password":"${REDACTED}"}`]])
  class Failure { reason = 'late' }
  assert.deepEqual([record(new Failure())].map((e) => [e.type, e.message]), [['Failure', '{"reason":"late"}']])
})

test('a hostile thrown value (throwing getters, a cyclic object, a cause that loops) does not break the record', () => {
  const hostile = new Error('hostile')
  Object.defineProperty(hostile, 'stack', { get () { throw new Error('no stack for you') } })
  Object.defineProperty(hostile, 'cause', { get () { throw new Error('no cause either') } })
  assert.equal(record(hostile).message, 'hostile')

  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  assert.equal(record(cyclic).message, '[Object]')

  const a = new Error('a')
  const b = new Error('b', { cause: a })
  a.cause = b
  const recorded = record(a)
  assert.equal(recorded.cause?.message, 'b')
  assert.equal(recorded.cause.cause, undefined, 'the loop ends where it started')

  const trapped = new Proxy({}, { getPrototypeOf () { throw new Error('no prototype for you') } })
  assert.equal(record(trapped).type, 'object', 'a Proxy whose getPrototypeOf trap throws is still recorded')
})

test('a cause chain deeper than five links is cut, and the cut is listed', () => {
  let error = new Error('root')
  for (let i = 0; i < 10; i++) error = new Error(`level ${i}`, { cause: error })
  const truncation = new Truncation()
  let recorded = recordException(error, undefined, { redactor, redactionCache, truncation }, 'exceptions[0]')
  let depth = 0
  while (recorded.cause !== undefined) { recorded = recorded.cause; depth++ }
  assert.equal(depth, 5)
  assert.ok(truncation.paths.some((p) => p.endsWith('.cause')))
})

test('secrets in a message and a stack are hidden by shape', () => {
  const recorded = record(new Error('cannot connect to postgres://shop:hunter2@db/shop'))
  assert.equal(recorded.message, `cannot connect to postgres://${REDACTED}@db/shop`)
  assert.ok(!recorded.stack.includes('hunter2'))
})
