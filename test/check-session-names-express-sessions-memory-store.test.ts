import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { get } from './helpers/http.ts'
import { proxyBin, repoRoot, startApp, startRedis } from './helpers/processes.ts'

const run = promisify(execFile)

test('an admin of an app on express-session\'s default MemoryStore runs check-session: it says the session is in the app\'s memory, and the one-line store change', { timeout: 30_000 }, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, `${repoRoot}test/apps/express-memory-store-app.js`)
  const cookie = (await get(`${app.url}/login?user=admin`)).headers['set-cookie']?.[0]?.split(';')[0] ?? ''
  assert.match(cookie, /^connect\.sid=s%3A/, 'the app signed a session cookie')

  const env = { PATH: process.env.PATH, SUPERTRACE_REDIS_URL: redis.url, SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SESSION_SECRET: 'keyboard cat', SUPERTRACE_SUPERUSER_FIELD: 'user.isAdmin' }
  const checked = await run(process.execPath, [proxyBin, 'check-session', '--cookie', cookie], { env }).then(() => null, (failed: { code: number, stdout: string }) => failed)

  assert.equal(checked?.code, 1, 'not a superuser')
  assert.match(checked.stdout, /^verify {3}signature valid/m, 'the cookie itself is fine')
  assert.match(checked.stdout, /^no {7}not a superuser: no session is stored under that key: .*its sessions live in express-session's MemoryStore, inside the app, where the proxy cannot read them: give it a Redis store, `store: new RedisStore\(\{ client \}\)` \(connect-redis\)\./m)
})
