/**
 * Properties of reading the session cookie from a Cookie header that
 * test/lookup-steps.test.ts does not cover: the cheap check that decides whether a
 * 500 is held agrees with the full parse, a name sent twice is never guessed at,
 * and a look-alike name is never taken for the session cookie.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { findCookie, hasCookie } from '../proxy/lookup/cookie.ts'

const NAMES = ['sessionid', 'connect.sid', '_shop_session'] as const
const name = fc.constantFrom(...NAMES)
const value = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.*%!~:/+="\\ '), maxLength: 30 })
/** A cookie pair that is not `name`'s: another name, a look-alike, or junk without "=". */
function otherPair (of: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.string({ unit: fc.constantFrom(...'abcdeinos_.'), minLength: 1, maxLength: 10 }).filter((n) => n !== of), value).map(([n, v]) => `${n}=${v}`),
    fc.tuple(fc.constantFrom(`x${of}`, `${of}x`, `${of}.`, of.slice(0, -1), `_${of}`, `${of.toUpperCase()}`), value).map(([n, v]) => `${n}=${v}`),
    fc.string({ unit: fc.constantFrom(...'ab ;'), maxLength: 6 }).map((junk) => junk.replaceAll(';', '')),
  )
}
const separator = fc.constantFrom(';', '; ', ' ; ', ';;')

test('for any Cookie header, the cheap check that decides whether a 500 is held agrees with the full parse', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), name.chain((n) => fc.array(fc.oneof(otherPair(n), value.map((v) => `${n}=${v}`)), { maxLength: 6 }).map((pairs) => pairs.join('; ')))), name, (header, cookieName) => {
    assert.equal(hasCookie(header, cookieName), findCookie(header, cookieName).kind !== 'absent')
  }), { numRuns: 500 })
})

test('for any Cookie header that carries the session cookie twice, among any others, neither value is taken', () => {
  fc.assert(fc.property(name.chain((n) => fc.tuple(fc.constant(n), fc.array(otherPair(n), { maxLength: 4 }), value, value, fc.array(otherPair(n), { maxLength: 4 }), separator)), ([n, before, first, second, after, sep]) => {
    const header = [...before, `${n}=${first}`, ...after, `${n}=${second}`].join(sep)
    assert.equal(findCookie(header, n).kind, 'repeated', header)
  }), { numRuns: 500 })
})

test('for any Cookie header of look-alike and other names only, the session cookie is absent', () => {
  fc.assert(fc.property(name.chain((n) => fc.tuple(fc.constant(n), fc.array(otherPair(n), { maxLength: 8 }), separator)), ([n, pairs, sep]) => {
    const header = pairs.join(sep)
    assert.equal(findCookie(header, n).kind, 'absent', header)
    assert.equal(hasCookie(header, n), false)
  }), { numRuns: 500 })
})
