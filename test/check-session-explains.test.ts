import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { djangoSession, pickleSession } from './helpers/django-sessions.ts'
import { proxyBin, startRedis } from './helpers/processes.ts'

interface Run { readonly status: number | null, readonly stdout: string, readonly stderr: string }

/** Runs `supertrace <args>` as an admin would, with the proxy's settings in the environment. */
function supertrace (args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [proxyBin, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

const SECRET = 'keyboard cat'
const ID = 'Xk3f9aQ2mZ7bT1cV8nR4yL6wE0pJ5hGd'
const EXPRESS = { SUPERTRACE_LOOKUP: 'express-session', SUPERTRACE_SESSION_SECRET: `["${SECRET}"]`, SUPERTRACE_SUPERUSER_FIELD: 'user.isAdmin' }

test('check-session explains a yes step by step, masking the cookie and never showing the secret (exit 0)', async (t) => {
  const redis = await startRedis(t)
  await redis.client.set(`sess:${ID}`, JSON.stringify({ cookie: {}, user: { name: 'admin', isAdmin: true } }))
  const { createHmac } = await import('node:crypto')
  const cookie = `connect.sid=${encodeURIComponent(`s:${ID}.${createHmac('sha256', SECRET).update(ID).digest('base64').replace(/=+$/, '')}`)}`

  const run = await supertrace(['check-session', '--cookie', `theme=dark; ${cookie}`], { ...EXPRESS, SUPERTRACE_REDIS_URL: redis.url })

  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, [
    `mode     express-session (SUPERTRACE_LOOKUP), Redis ${redis.url}`,
    'cookie   connect.sid = s%3A… (80 characters)',
    'verify   signature valid with secret 1 of 1 (SUPERTRACE_SESSION_SECRET); session ID Xk3f… (32 characters)',
    'key      sess:Xk3f… (32 characters) (SUPERTRACE_SESSION_KEY sess:{id})',
    `read     found, ${JSON.stringify({ cookie: {}, user: { name: 'admin', isAdmin: true } }).length} bytes`,
    'decode   JSON: an object with 2 field(s)',
    'field    user.isAdmin = true',
    'decide   true === true (SUPERTRACE_SUPERUSER_VALUE)',
    'yes      a superuser: the field equals true. A 500 shows them the debug page.',
    '',
  ].join('\n'))
  assert.ok(!run.stdout.includes(SECRET) && !run.stdout.includes(ID), 'neither the secret nor the session ID is shown')
})

test('check-session explains a no: which step said no and why (exit 1)', async (t) => {
  const redis = await startRedis(t)
  await redis.client.set(`:1:django.contrib.sessions.cache${ID}`, pickleSession(djangoSession('2'), 5))
  await redis.client.sadd('supertrace:superuser-ids', '1')

  const run = await supertrace(['check-session', '--cookie', `sessionid=${ID}`], { SUPERTRACE_LOOKUP: 'django', SUPERTRACE_REDIS_URL: redis.url })

  assert.equal(run.status, 1, run.stderr)
  assert.match(run.stdout, /^key {6}:1:django\.contrib\.sessions\.cacheXk3f… \(32 characters\)/m)
  assert.match(run.stdout, /^decode {3}pickle: an object with 3 field\(s\)$/m)
  assert.match(run.stdout, /^field {4}_auth_user_id = "2"$/m)
  assert.match(run.stdout, /^decide {3}SISMEMBER supertrace:superuser-ids "2": not a member \(SUPERTRACE_SUPERUSER_IDS_KEY\)$/m)
  assert.match(run.stdout, /^no {7}not a superuser: "2" is not in the set supertrace:superuser-ids; add it with: supertrace grant "2"\. A 500 shows them the app's own page\.$/m)

  const forged = await supertrace(['check-session', '--cookie', `connect.sid=s%3A${ID}.AAAA`], { ...EXPRESS, SUPERTRACE_REDIS_URL: redis.url })
  assert.equal(forged.status, 1)
  assert.match(forged.stdout, /^verify {3}the signature matches none of the 1 secret\(s\) of SUPERTRACE_SESSION_SECRET$/m)

  const missing = await supertrace(['check-session', '--cookie', 'theme=dark'], { SUPERTRACE_REDIS_URL: redis.url })
  assert.equal(missing.status, 1)
  assert.match(missing.stdout, /^no {7}not a superuser: the request has no cookie named sessionid \(SUPERTRACE_SESSION_COOKIE\)/m)
})

test('check-session with wrong settings names them and exits 2; with Redis unreachable it says no (exit 1)', async (t) => {
  const bad = await supertrace(['check-session', '--cookie', 'sessionid=x'], { SUPERTRACE_LOOKUP: 'express-session' })
  assert.equal(bad.status, 2)
  assert.match(bad.stderr, /SUPERTRACE_SESSION_SECRET is required when SUPERTRACE_LOOKUP=express-session; for example/)

  const noCookie = await supertrace(['check-session'], {})
  assert.equal(noCookie.status, 2)
  assert.match(noCookie.stderr, /Usage: supertrace check-session --cookie/)

  const redis = await startRedis(t)
  await redis.stop('SIGKILL')
  const down = await supertrace(['check-session', '--cookie', 'sessionid=x'], { SUPERTRACE_REDIS_URL: redis.url, SUPERTRACE_REDIS_TIMEOUT_MS: '200' })
  assert.equal(down.status, 1)
  assert.match(down.stdout, /^no {7}not a superuser: Redis failed: /m)
})

test('grant and revoke add and remove a session in set mode, and refuse in a mode that compares the field to a value', async (t) => {
  const redis = await startRedis(t)
  const env = { SUPERTRACE_REDIS_URL: redis.url }

  const granted = await supertrace(['grant', ID], env)
  assert.equal(granted.status, 0, granted.stderr)
  assert.equal(granted.stdout, 'session Xk3f… (32 characters) is now a superuser\'s (supertrace:superusers)\n')
  assert.equal(await redis.client.sismember('supertrace:superusers', ID), 1)
  assert.equal((await supertrace(['check-session', '--cookie', `sessionid=${ID}`], env)).status, 0, 'check-session agrees')

  const revoked = await supertrace(['revoke', ID], env)
  assert.equal(revoked.status, 0)
  assert.equal(await redis.client.sismember('supertrace:superusers', ID), 0)
  assert.equal((await supertrace(['check-session', '--cookie', `sessionid=${ID}`], env)).status, 1, 'and at once no longer')

  const elsewhere = await supertrace(['grant', ID], { ...env, ...EXPRESS })
  assert.equal(elsewhere.status, 2)
  assert.match(elsewhere.stderr, /SUPERTRACE_LOOKUP=express-session decides by comparing the session's field to SUPERTRACE_SUPERUSER_VALUE, with no set for grant to change/)
})
