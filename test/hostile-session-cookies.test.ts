/**
 * Cookie values are data: patterns, braces, NULs, CR/LF, spaces, quotes,
 * non-ASCII and huge values reach Redis, if at all, only as the argument of a
 * single-key read. Nobody becomes a superuser, nothing in Redis changes, and
 * the pipeline never throws for any Cookie header at all.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { Logger } from '../core/log.ts'
import { loadProxyConfig } from '../proxy/config.ts'
import { SuperuserLookup } from '../proxy/lookup/lookup.ts'
import { djangoSession, pickleSession } from './helpers/django-sessions.ts'
import { startRedis, startStack, type RunningRedis } from './helpers/processes.ts'
import { assertAppsOwn500, assertDebugPage } from './helpers/superusers.ts'

const ADMIN_ID = 'adminsession0adminsession0admin1'

/** Each mode's settings, and how its admin's session is stored. */
const MODES = {
  'session-field': {
    env: { SUPERTRACE_LOOKUP: 'session-field', SUPERTRACE_SESSION_KEY: 'sess:{id}', SUPERTRACE_SUPERUSER_FIELD: 'isAdmin' },
    cookie: 'sessionid',
    store: (redis: Redis) => redis.set(`sess:${ADMIN_ID}`, '{"isAdmin":true}'),
  },
  django: {
    env: { SUPERTRACE_LOOKUP: 'django' },
    cookie: 'sessionid',
    store: async (redis: Redis) => {
      await redis.sadd('supertrace:superuser-ids', '1')
      await redis.set(`:1:django.contrib.sessions.cache${ADMIN_ID}`, pickleSession(djangoSession('1'), 5))
    },
  },
  'express-session': {
    env: { SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SESSION_SECRET: 'keyboard cat', SUPERTRACE_SUPERUSER_FIELD: 'isAdmin' },
    cookie: 'connect.sid',
    store: (redis: Redis) => redis.set(`sess:${ADMIN_ID}`, '{"isAdmin":true}'),
  },
} as const

/** Values that would match the admin's session if they were patterns, or break a protocol if they were commands. */
const HOSTILE_VALUES = [
  '*', 'adminsession*', `${ADMIN_ID.slice(0, -1)}?`, `${ADMIN_ID.slice(0, -1)}[1]`, '{id}', `{${ADMIN_ID}}`, `${ADMIN_ID}{`,
  '%00', `${ADMIN_ID}%00`, `${ADMIN_ID}%0d%0aFLUSHALL%0d%0a`, '%0d%0aFLUSHALL', `"${ADMIN_ID}`, `'${ADMIN_ID}'`, `"${ADMIN_ID}"x`,
  `${ADMIN_ID} x`, '\\', 'ädmin-séssion', `s:${ADMIN_ID}`, `s%3A${ADMIN_ID}.`, `s%3A${ADMIN_ID}.*`, 'x'.repeat(10 * 1024),
]

async function seedAndCount (t: TestContext, mode: keyof typeof MODES): Promise<{ stack: Awaited<ReturnType<typeof startStack>>, keys: number }> {
  const stack = await startStack(t, { proxyEnv: MODES[mode].env })
  await MODES[mode].store(stack.redis.client)
  return { stack, keys: await stack.redis.client.dbsize() }
}

for (const mode of Object.keys(MODES) as Array<keyof typeof MODES>) {
  test(`${mode}: hostile cookie values make nobody a superuser, change nothing in Redis, and the real session still works`, async (t) => {
    const { stack: { redis, app, proxy }, keys } = await seedAndCount(t, mode)
    const name = MODES[mode].cookie

    for (const value of HOSTILE_VALUES) {
      await assertAppsOwn500(proxy.url, app.url, '/orders/42', `${name}=${value}`, `${name}=${value.slice(0, 40)}`)
    }
    const stats = await redis.client.info('commandstats')
    assert.doesNotMatch(stats, /cmdstat_(keys|scan|flushall|flushdb|del|eval):/, 'no pattern, bulk or writing command ran')
    assert.ok(!proxy.output.includes(ADMIN_ID), 'no cookie value reached the log')
    // The records of the failed requests come and go with their TTL; the sessions are untouched.
    assert.ok(await redis.client.dbsize() >= keys)
    if (mode === 'express-session') {
      const { createHmac } = await import('node:crypto')
      const signed = `s:${ADMIN_ID}.${createHmac('sha256', 'keyboard cat').update(ADMIN_ID).digest('base64').replace(/=+$/, '')}`
      await assertDebugPage(proxy.url, '/orders/42', `${name}=${encodeURIComponent(signed)}`, 'the admin\'s real cookie')
    } else {
      await assertDebugPage(proxy.url, '/orders/42', `${name}=${ADMIN_ID}`, 'the admin\'s real cookie')
    }
  })
}

/** The pipeline itself, in this process, against a real Redis holding an admin's session in every mode's format. */
async function lookups (t: TestContext): Promise<{ redis: RunningRedis, byMode: Array<[string, SuperuserLookup]> }> {
  const redis = await startRedis(t)
  for (const mode of Object.values(MODES)) await mode.store(redis.client)
  const connection = new Redis(redis.port, '127.0.0.1', { commandTimeout: 1000 })
  t.after(() => connection.disconnect())
  await connection.ping() // connected: its handshake is not counted as the lookups' commands
  const byMode = Object.entries(MODES).map(([mode, { env }]) => {
    const config = loadProxyConfig({ SUPERTRACE_UPSTREAM: 'http://127.0.0.1:1', ...env })
    return [mode, new SuperuserLookup(config.lookup, connection, new Logger('proxy'))] as [string, SuperuserLookup]
  })
  return { redis, byMode }
}

test('a 20 KB cookie value is refused before Redis is asked', async (t) => {
  const { redis, byMode } = await lookups(t)
  const before = await redis.client.info('commandstats')
  for (const [mode, lookup] of byMode) {
    const name = mode === 'express-session' ? 'connect.sid' : 'sessionid'
    const decision = await lookup.decide(`${name}=${'a'.repeat(20 * 1024)}`)
    assert.equal(decision.isSuperuser, false)
    assert.match(decision.reason, /too long to be a session ID; Redis was not asked/)
  }
  const after = await redis.client.info('commandstats')
  const lookupCommands = (stats: string): string[] => stats.split('\n').filter((l) => /^cmdstat_(get|sismember|evalsha|script)/.test(l))
  assert.deepEqual(lookupCommands(after), lookupCommands(before), 'no lookup command reached Redis')
})

test('for any Cookie header whatever, the pipeline never throws and never says yes', async (t) => {
  const { byMode } = await lookups(t)
  const cookieValue = fc.string({ unit: 'binary', maxLength: 100 })
  const header = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    cookieValue.map((v) => `sessionid=${v}`),
    cookieValue.map((v) => `connect.sid=${v}`),
    cookieValue.map((v) => `connect.sid=s%3A${ADMIN_ID}.${v}`),
    cookieValue.map((v) => `sessionid=${ADMIN_ID}${v}; connect.sid=s:${v}`),
    fc.constantFrom(...HOSTILE_VALUES).map((v) => `sessionid=${v}; connect.sid=${v}`),
  )
  await fc.assert(fc.asyncProperty(header, async (cookieHeader) => {
    fc.pre(!new RegExp(`(^|;)\\s*sessionid=${ADMIN_ID}\\s*(;|$)`).test(cookieHeader))
    for (const [mode, lookup] of byMode) {
      const decision = await lookup.decide(cookieHeader)
      assert.equal(decision.isSuperuser, false, `${mode}: ${JSON.stringify(cookieHeader.slice(0, 80))}`)
    }
  }), { numRuns: 300 })
})

test('for any bytes stored as a session, the pipeline never throws and never says yes', async (t) => {
  const { redis, byMode } = await lookups(t)
  const probe = 'probe0probe0probe0probe0probe0pr'
  await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), b]))), async (bytes) => {
    await redis.client.set(`:1:django.contrib.sessions.cache${probe}`, Buffer.from(bytes))
    await redis.client.set(`sess:${probe}`, Buffer.from(bytes))
    for (const [mode, lookup] of byMode.filter(([m]) => m !== 'express-session')) {
      const decision = await lookup.decide(`sessionid=${probe}`)
      assert.equal(decision.isSuperuser, false, `${mode}: ${Buffer.from(bytes).toString('hex')}`)
    }
  }), { numRuns: 300 })
})
