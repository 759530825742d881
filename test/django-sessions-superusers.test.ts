import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { decodePickle, PickleRefusal } from '../proxy/lookup/pickle.ts'
import { djangoSession, hostilePickle, pickleSession, unpickleInPython } from './helpers/django-sessions.ts'
import { startStack } from './helpers/processes.ts'
import { assertAppsOwn500, assertDebugPage } from './helpers/superusers.ts'
import { assertLogged } from './helpers/logs.ts'

const DJANGO = { SUPERTRACE_LOOKUP: 'django' }
const ADMIN_KEY = 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6' // Django's session keys: 32 of [a-z0-9]
const USER_KEY = 'zyxwvutsrqponmlkjihgfedcba987654'

test('django: a session pickled by Python with protocols 2 to 5 decodes to the same dict', () => {
  for (const protocol of [2, 3, 4, 5]) {
    const bytes = pickleSession(djangoSession('1'), protocol, `'cart': [1, -2, 2.5, None, True, False, 'é€😀', 2**40, -2**40], 'flags': ('a', ('b',), ()), 'nested': {'x': {}}, '': 0`)
    assert.deepEqual({ ...decodePickle(bytes) as object }, {
      ...djangoSession('1'),
      cart: [1, -2, 2.5, null, true, false, 'é€😀', 2 ** 40, -(2 ** 40)],
      flags: ['a', ['b'], []],
      nested: Object.assign(Object.create(null) as object, { x: Object.create(null) as object }),
      '': 0,
    }, `protocol ${protocol}`)
  }
})

test('django: a hostile pickle whose __reduce__ runs a command is refused, and nothing runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-pickle-'))
  try {
    for (const protocol of [2, 3, 4, 5]) {
      const marker = join(dir, `pwned-${protocol}`)
      const bytes = hostilePickle(marker, protocol)
      assert.throws(() => decodePickle(bytes), PickleRefusal, `protocol ${protocol} is refused`)
      assert.equal(existsSync(marker), false, 'the command did not run')
      unpickleInPython(bytes)
      assert.equal(existsSync(marker), true, 'while Python\'s own pickle.loads does run it: the pickle is really hostile')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('django: a user whose ID is in supertrace:superuser-ids sees the debug page; another user, a hostile session and an unknown key the app\'s own 500', async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: DJANGO })
  await redis.client.sadd('supertrace:superuser-ids', '1')
  await redis.client.set(`:1:django.contrib.sessions.cache${ADMIN_KEY}`, pickleSession(djangoSession('1'), 5))
  await redis.client.set(`:1:django.contrib.sessions.cache${USER_KEY}`, pickleSession(djangoSession('2'), 4))
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-pickle-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const marker = join(dir, 'pwned')
  const hostileKey = 'hostile0hostile0hostile0hostile0'
  await redis.client.set(`:1:django.contrib.sessions.cache${hostileKey}`, hostilePickle(marker, 4))
  const anonymousKey = 'anonymous0anonymous0anonymous000'
  await redis.client.set(`:1:django.contrib.sessions.cache${anonymousKey}`, pickleSession({}, 4))

  await assertDebugPage(proxy.url, '/orders/42', `sessionid=${ADMIN_KEY}`, 'user 1, a superuser')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', `sessionid=${USER_KEY}`, 'user 2')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', `sessionid=${anonymousKey}`, 'an anonymous session')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', `sessionid=${hostileKey}`, 'a session holding a hostile pickle')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', 'sessionid=nosuchsession0000000000000000000', 'a session key Redis does not have')
  assert.equal(existsSync(marker), false, 'the hostile pickle ran nothing')
  await assertLogged(proxy, { code: 'ST_SESSION', requestId: true, msg: 'the superuser lookup failed, so not a superuser', error: /the session's value could not be read: refused pickle: opcode 0x/ })

  await redis.client.del(`:1:django.contrib.sessions.cache${ADMIN_KEY}`)
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', `sessionid=${ADMIN_KEY}`, 'user 1 after logging out (Django deleted the key), at once')
})

test('django: the cached_db backend\'s prefix, a KEY_PREFIX and a VERSION are set through SUPERTRACE_SESSION_KEY', async (t) => {
  const { redis, app, proxy } = await startStack(t, { proxyEnv: { ...DJANGO, SUPERTRACE_SESSION_KEY: 'shop:2:django.contrib.sessions.cached_db{id}' } })
  await redis.client.sadd('supertrace:superuser-ids', '1')
  await redis.client.set(`shop:2:django.contrib.sessions.cached_db${ADMIN_KEY}`, pickleSession(djangoSession('1'), 4))
  await redis.client.set(`:1:django.contrib.sessions.cache${USER_KEY}`, pickleSession(djangoSession('1'), 4))

  await assertDebugPage(proxy.url, '/orders/42', `sessionid=${ADMIN_KEY}`, 'user 1 in the cached_db store')
  await assertAppsOwn500(proxy.url, app.url, '/orders/42', `sessionid=${USER_KEY}`, 'a session under another prefix is not read')
})
