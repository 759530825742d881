/**
 * Each step of the superuser lookup on its own, with fast-check properties for
 * the ones that read attacker-controlled bytes: cookie parsing, signature
 * verification and the pickle decoder never throw on any input, and never accept one.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { ErrorCodes, ConfigError } from '../core/errors.ts'
import { loadProxyConfig } from '../proxy/config.ts'
import { findCookie, mask } from '../proxy/lookup/cookie.ts'
import { LIMITS } from '../proxy/limits.ts'
import { verifyExpressSession } from '../proxy/lookup/express-signature.ts'
import { FieldPath } from '../proxy/lookup/field-path.ts'
import { KeyTemplate } from '../proxy/lookup/key-template.ts'
import { decodePickle, PickleRefusal } from '../proxy/lookup/pickle.ts'
import { pickleSession, djangoSession } from './helpers/django-sessions.ts'

/** As cookie-signature signs for express-session. */
function expressCookie (id: string, secret: string): string {
  return encodeURIComponent(`s:${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`)
}

// ---- cookie ----------------------------------------------------------------

test('cookie: the named cookie is found among others, with its quotes removed; a look-alike name is not it', () => {
  assert.deepEqual(findCookie('a=1; sessionid=abc; b=2', 'sessionid'), { kind: 'found', value: 'abc' })
  assert.deepEqual(findCookie('sessionid="abc"', 'sessionid'), { kind: 'found', value: 'abc' })
  assert.deepEqual(findCookie('xsessionid=abc; sessionidx=abc', 'sessionid'), { kind: 'absent' })
  assert.deepEqual(findCookie('sessionid=a; sessionid=b', 'sessionid'), { kind: 'repeated' })
  assert.deepEqual(findCookie('sessionid=; other=1', 'sessionid'), { kind: 'empty' })
  assert.deepEqual(findCookie(`sessionid=${'a'.repeat(20 * 1024)}`, 'sessionid'), { kind: 'too-long', length: 20 * 1024 })
  assert.deepEqual(findCookie(undefined, 'sessionid'), { kind: 'absent' })
})

test('cookie: for any Cookie header, parsing never throws, and a value found is a bounded slice of the header without ";"', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('sessionid', 'connect.sid', 'a'), (header, name) => {
    const found = findCookie(header, name)
    if (found.kind !== 'found') return
    assert.ok(header.includes(found.value))
    assert.ok(!found.value.includes(';'))
    assert.ok(found.value.length > 0 && found.value.length <= LIMITS.cookieValueChars)
  }), { numRuns: 2000 })
})

test('cookie: any value among other cookies is found exactly', () => {
  const value = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.*?{}%!~:/+='), minLength: 1, maxLength: 60 })
  fc.assert(fc.property(value, value, (mine, other) => {
    assert.deepEqual(findCookie(`other=${other}; sessionid=${mine}; last=${other}`, 'sessionid'), { kind: 'found', value: mine })
  }))
})

test('cookie: a masked value shows at most a quarter of it, and its length', () => {
  assert.equal(mask('abcdefghijklmnopqrstuvwxyz012345'), 'abcd… (32 characters)')
  assert.equal(mask('abc'), '… (3 characters)')
  fc.assert(fc.property(fc.string({ minLength: 1 }), (value) => {
    assert.ok(mask(value).endsWith(`(${value.length} characters)`))
  }))
})

// ---- verify (express-session) -----------------------------------------------

test('verify: a cookie signed as express-session signs it is valid under its secret, also as the second secret of a rotation', () => {
  assert.deepEqual(verifyExpressSession(expressCookie('abc', 'keyboard cat'), ['keyboard cat']), { kind: 'valid', sessionId: 'abc', secretIndex: 0 })
  assert.deepEqual(verifyExpressSession(expressCookie('abc', 'old'), ['new', 'old']), { kind: 'valid', sessionId: 'abc', secretIndex: 1 })
  assert.equal(verifyExpressSession('abc', ['keyboard cat']).kind, 'unsigned')
  assert.equal(verifyExpressSession('s%3Aabc', ['keyboard cat']).kind, 'forged')
  assert.equal(verifyExpressSession('s%3Aabc.%E0%A4%A', ['keyboard cat']).kind, 'not-url-encoded')
})

test('verify: any signed ID verifies under its own secret and under no other', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), (id, secret, other) => {
    fc.pre(secret !== other)
    assert.deepEqual(verifyExpressSession(expressCookie(id, secret), [secret]), { kind: 'valid', sessionId: id, secretIndex: 0 })
    assert.notEqual(verifyExpressSession(expressCookie(id, secret), [other]).kind, 'valid')
  }), { numRuns: 500 })
})

test('verify: arbitrary cookie values never verify and never throw', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 120 }).map((s) => `s%3A${s}`), fc.string({ maxLength: 120 }).map((s) => `s:${s}.${s}`)), (value) => {
    assert.notEqual(verifyExpressSession(value, ['keyboard cat', 'old secret']).kind, 'valid')
  }), { numRuns: 3000 })
})

test('verify: changing any one character of a signed cookie makes it invalid, unless it decodes to the same cookie', () => {
  const good = decodeURIComponent(expressCookie('Xk3f9aQ2mZ7bT1cV8nR4yL6wE0pJ5hGd', 'keyboard cat'))
  fc.assert(fc.property(fc.nat(good.length - 1), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }), (at, ch) => {
    const tampered = good.slice(0, at) + ch + good.slice(at + 1)
    fc.pre(tampered !== good)
    assert.notEqual(verifyExpressSession(encodeURIComponent(tampered), ['keyboard cat']).kind, 'valid')
  }), { numRuns: 2000 })
})

// ---- key, field ------------------------------------------------------------

test('key: the session ID fills {id} once, taken as it is, even when it holds {id} or a pattern', () => {
  const template = new KeyTemplate('sess:{id}:data')
  assert.equal(template.keyFor('a{id}*?[x]'), 'sess:a{id}*?[x]:data')
  assert.throws(() => new KeyTemplate('sess:'), /contain \{id\} exactly once/)
  assert.throws(() => new KeyTemplate('{id}{id}'), /exactly once/)
  assert.throws(() => new KeyTemplate('sess {id}'), /no spaces/)
})

test('field: a dotted path follows the session\'s own fields only, never inherited ones', () => {
  const session = JSON.parse('{"user":{"isAdmin":true,"roles":["admin"]},"__proto__":{"isAdmin":true}}') as unknown
  assert.deepEqual(new FieldPath('user.isAdmin').valueIn(session), { found: true, value: true })
  assert.deepEqual(new FieldPath('user.roles.0').valueIn(session), { found: true, value: 'admin' })
  assert.deepEqual(new FieldPath('isAdmin').valueIn(session), { found: false, resolved: '' })
  assert.deepEqual(new FieldPath('user.constructor').valueIn(session), { found: false, resolved: 'user' })
  assert.deepEqual(new FieldPath('user.isAdmin.toString').valueIn(session), { found: false, resolved: 'user.isAdmin' })
  assert.throws(() => new FieldPath('user..isAdmin'), /dotted path/)
})

// ---- decode (pickle) ---------------------------------------------------------

test('pickle: every opcode that imports, calls or builds an object is refused', () => {
  const opcodes = { GLOBAL: 'c', STACK_GLOBAL: '\x93', REDUCE: 'R', BUILD: 'b', INST: 'i', OBJ: 'o', NEWOBJ: '\x81', NEWOBJ_EX: '\x92', EXT1: '\x82', EXT2: '\x83', EXT4: '\x84', PERSID: 'P', BINPERSID: 'Q', SHORT_BINBYTES: 'C', BYTEARRAY8: '\x96', NEXT_BUFFER: '\x97', EMPTY_SET: '\x8f', FROZENSET: '\x91', INT: 'I', STRING: 'S', UNICODE: 'V' }
  for (const [name, op] of Object.entries(opcodes)) {
    assert.throws(() => decodePickle(Buffer.from(`\x80\x04${op}os\nsystem\n.`, 'latin1')), PickleRefusal, name)
  }
  assert.throws(() => decodePickle(Buffer.from('(dp0\n.', 'latin1')), /protocol 2 or later/, 'protocol 0')
  assert.throws(() => decodePickle(Buffer.from('\x80\x06}.', 'latin1')), /protocol 6/)
})

test('pickle: lengths, memo indexes and integers larger than the input are refused without allocating them', () => {
  assert.throws(() => decodePickle(Buffer.from('\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f.', 'latin1')), /longer than the pickle/)
  assert.throws(() => decodePickle(Buffer.from('\x80\x04}r\xff\xff\xff\x7f.', 'latin1')), /memo entry out of order/)
  assert.throws(() => decodePickle(Buffer.from('\x80\x04h\x05.', 'latin1')), /did not store/)
  assert.throws(() => decodePickle(Buffer.from('\x80\x04\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x01.', 'latin1')), /too long/)
  assert.throws(() => decodePickle(Buffer.from('\x80\x04}}.', 'latin1')), /leaves values behind/)
  assert.throws(() => decodePickle(Buffer.from('\x80\x04}.x', 'latin1')), /bytes follow/)
})

test('pickle: a list nested 100000 deep decodes without exhausting the stack', () => {
  const depth = 100_000
  const bytes = Buffer.concat([Buffer.from('\x80\x04', 'latin1'), Buffer.alloc(depth, 0x5d), Buffer.alloc(depth - 1, 0x61), Buffer.from('.')])
  let value = decodePickle(bytes)
  for (let i = 1; i < depth; i++) value = (value as unknown[])[0] as typeof value
  assert.deepEqual(value, [])
})

test('pickle: arbitrary bytes are refused or decoded, never anything else', () => {
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from([0x80, 0x04]), b])),
  )
  fc.assert(fc.property(anyBytes, (bytes) => {
    try {
      decodePickle(bytes)
    } catch (err) {
      assert.ok(err instanceof PickleRefusal, `only a PickleRefusal, not ${String(err)}`)
    }
  }), { numRuns: 5000 })
})

test('pickle: a real Django session with bytes changed here and there is refused or decoded, never anything else', () => {
  const real = pickleSession(djangoSession('1'), 4, '\'cart\': [1, 2.5, None, (True,)]')
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (changes) => {
    const bytes = Buffer.from(real)
    for (const [at, byte] of changes) bytes[at] = byte
    try {
      decodePickle(bytes)
    } catch (err) {
      assert.ok(err instanceof PickleRefusal, `only a PickleRefusal, not ${String(err)}`)
    }
  }), { numRuns: 5000 })
})

// ---- settings --------------------------------------------------------------

/** The problems loadProxyConfig reports for `env` (with a valid upstream). */
function problemsOf (env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadProxyConfig({ SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', ...env })
    return []
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.code, ErrorCodes.CONFIG)
    return err.problems
  }
}

test('settings: each wrong lookup setting is named, with a valid example, and a secret is never repeated', () => {
  const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ SUPERTRACE_LOOKUP: 'redis' }, /^SUPERTRACE_LOOKUP="redis" is not valid: it must be one of set, express-session, django, session-field, lua; for example SUPERTRACE_LOOKUP=express-session$/],
    [{ SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SUPERUSER_FIELD: 'user.isAdmin' }, /^SUPERTRACE_SESSION_SECRET is required when SUPERTRACE_LOOKUP=express-session; for example SUPERTRACE_SESSION_SECRET=/],
    [{ SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SESSION_SECRET: 's3cr3t' }, /^SUPERTRACE_SUPERUSER_FIELD is required when SUPERTRACE_LOOKUP=express-session; for example SUPERTRACE_SUPERUSER_FIELD=user\.isAdmin$/],
    [{ SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SUPERUSER_FIELD: 'a', SUPERTRACE_SESSION_SECRET: '["s3cr3t",' }, /^SUPERTRACE_SESSION_SECRET=\(hidden\) is not valid: it must be a secret, or a JSON array of secrets; for example/],
    [{ SUPERTRACE_LOOKUP: 'django', SUPERTRACE_SUPERUSER_VALUE: '{"admin":true}' }, /^SUPERTRACE_SUPERUSER_VALUE="\{\\"admin\\":true\}" is not valid: it must be a JSON string, number, true, false or null \(not an object or array\); for example SUPERTRACE_SUPERUSER_VALUE=true$/],
    [{ SUPERTRACE_LOOKUP: 'django', SUPERTRACE_SUPERUSER_VALUE: 'admin' }, /^SUPERTRACE_SUPERUSER_VALUE="admin" is not valid: it must be a JSON value/],
    [{ SUPERTRACE_LOOKUP: 'django', SUPERTRACE_SUPERUSER_FIELD: 'user..id' }, /^SUPERTRACE_SUPERUSER_FIELD="user\.\.id" is not valid: it must be a dotted path/],
    [{ SUPERTRACE_LOOKUP: 'session-field', SUPERTRACE_SESSION_KEY: 'session:' }, /^SUPERTRACE_SESSION_KEY="session:" is not valid: it must contain \{id\} exactly once, where the session ID goes; for example SUPERTRACE_SESSION_KEY=sess:\{id\}$/],
    [{ SUPERTRACE_LOOKUP: 'session-field' }, /^SUPERTRACE_SESSION_KEY is required when SUPERTRACE_LOOKUP=session-field/],
    [{ SUPERTRACE_LOOKUP: 'lua' }, /^SUPERTRACE_LOOKUP_SCRIPT is required when SUPERTRACE_LOOKUP=lua; for example SUPERTRACE_LOOKUP_SCRIPT=@/],
    [{ SUPERTRACE_LOOKUP: 'lua', SUPERTRACE_LOOKUP_SCRIPT: '@/no/such/file.lua' }, /^SUPERTRACE_LOOKUP_SCRIPT="@\/no\/such\/file\.lua" is not valid: it must name a readable file after @ \(ENOENT\)/],
    [{ SUPERTRACE_SESSION_SECRET: 's3cr3t' }, /^SUPERTRACE_SESSION_SECRET is set, but SUPERTRACE_LOOKUP=set does not use it; for example SUPERTRACE_LOOKUP=express-session/],
    [{ SUPERTRACE_LOOKUP: 'django', SUPERTRACE_SUPERUSERS_KEY: 'x' }, /^SUPERTRACE_SUPERUSERS_KEY is set, but SUPERTRACE_LOOKUP=django does not use it; for example SUPERTRACE_LOOKUP=set/],
    [{ SUPERTRACE_LOOKUP: 'django', SUPERTRACE_SUPERUSER_VALUE: '1', SUPERTRACE_SUPERUSER_IDS_KEY: 'ids' }, /^SUPERTRACE_SUPERUSER_VALUE and SUPERTRACE_SUPERUSER_IDS_KEY are both set/],
  ]
  for (const [env, expected] of cases) {
    const problems = problemsOf(env)
    assert.equal(problems.length, 1, `${JSON.stringify(env)}: ${problems.join(' | ')}`)
    assert.match(problems[0] ?? '', expected)
    assert.ok(!problems.join('').includes('s3cr3t'), 'the secret is not repeated')
  }
})

test('settings: each mode\'s defaults make a working plan', () => {
  assert.deepEqual(loadProxyConfig({ SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000' }).lookup, { mode: 'set', cookieName: 'sessionid', superusersKey: 'supertrace:superusers' })
  const django = loadProxyConfig({ SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', SUPERTRACE_LOOKUP: 'django' }).lookup
  assert.ok(django.mode === 'django')
  assert.equal(django.cookieName, 'sessionid')
  assert.equal(django.key.template, ':1:django.contrib.sessions.cache{id}')
  assert.equal(django.field?.path, '_auth_user_id')
  assert.deepEqual(django.verdict, { kind: 'member', setKey: 'supertrace:superuser-ids' })
  const express = loadProxyConfig({ SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SESSION_SECRET: '["a","b"]', SUPERTRACE_SUPERUSER_FIELD: 'user.isAdmin' }).lookup
  assert.ok(express.mode === 'express-session')
  assert.equal(express.cookieName, 'connect.sid')
  assert.deepEqual(express.secrets, ['a', 'b'])
  assert.equal(express.key.template, 'sess:{id}')
  assert.deepEqual(express.verdict, { kind: 'equals', value: true })
})
