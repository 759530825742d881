import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { REDACTED, type TraceRecord } from '../core/record.ts'
import { repoRoot, startApp, startRedis, type RunningHttp, type RunningRedis } from './helpers/processes.ts'
import { failRequest } from './helpers/records.ts'

// The app side redacts what every record carries again (environment values, source lines)
// once per process and keeps the result: these records must still show what is true now, redacted.

/** A module whose fail() throws on line 3, with a secret-shaped URL on line 2. */
function failingModule (secret: string, message: string): string {
  return [
    'export function fail () {',
    `  const hook = 'https://shop:${secret}@hooks.example/notify'`,
    `  throw new Error('${message} at ' + new URL(hook).host)`,
    '}',
    '',
  ].join('\n')
}

async function setEnv (app: RunningHttp, name: string, value?: string): Promise<void> {
  const query = new URLSearchParams(value === undefined ? { name } : { name, value })
  const response = await fetch(`${app.url}/env?${query}`, { method: 'POST' })
  assert.equal(response.status, 204)
}

async function environmentOf (redis: RunningRedis, app: RunningHttp): Promise<{ env: Map<string, string>, stored: string }> {
  const { record, stored } = await failRequest(redis, `${app.url}/fail`)
  return { env: new Map(record.environment), stored }
}

function failingLines (record: TraceRecord): string[] {
  const frame = record.exceptions[0]?.frames.find((f) => f.file.endsWith('failing.mjs'))
  assert.ok(frame?.context !== undefined, 'the failing frame has its source lines')
  return frame.context.map((line) => line.text)
}

function startChangingApp (t: Parameters<typeof startApp>[0], redis: RunningRedis, env: NodeJS.ProcessEnv = {}): { dir: string, module: string, app: Promise<RunningHttp> } {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-changing-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const module = join(dir, 'failing.mjs')
  writeFileSync(module, failingModule('HUNTER2FIRST', 'the order failed'))
  return { dir, module, app: startApp(t, redis, `${repoRoot}test/apps/changing-app.js`, { FAILING_MODULE: module, ...env }) }
}

test('an environment variable changed after a failure shows its new value, redacted, in the next record', async (t) => {
  const redis = await startRedis(t)
  const app = await startChangingApp(t, redis, { SHOP_NAME: 'Example shop', DATABASE_URL: 'postgres://shop:DBFIRST111@db.internal/shop' }).app

  const first = await environmentOf(redis, app)
  assert.equal(first.env.get('SHOP_NAME'), 'Example shop')
  assert.equal(first.env.get('DATABASE_URL'), `postgres://${REDACTED}@db.internal/shop`)

  await setEnv(app, 'SHOP_NAME', 'Example shop, spring sale')
  await setEnv(app, 'DATABASE_URL', 'postgres://shop:DBSECOND222@replica.internal/shop')
  const second = await environmentOf(redis, app)
  assert.equal(second.env.get('SHOP_NAME'), 'Example shop, spring sale')
  assert.equal(second.env.get('DATABASE_URL'), `postgres://${REDACTED}@replica.internal/shop`)
  assert.ok(!second.stored.includes('DBSECOND222') && !second.stored.includes('DBFIRST111'))

  // Back to a value seen before, and a variable removed.
  await setEnv(app, 'SHOP_NAME', 'Example shop')
  await setEnv(app, 'DATABASE_URL')
  const third = await environmentOf(redis, app)
  assert.equal(third.env.get('SHOP_NAME'), 'Example shop')
  assert.equal(third.env.has('DATABASE_URL'), false)
})

test('a secret put into the environment after start is redacted, by name and by shape, in every record', async (t) => {
  const redis = await startRedis(t)
  const app = await startChangingApp(t, redis).app
  await environmentOf(redis, app)

  // A value first seen under a harmless name, then the same value under a sensitive one.
  await setEnv(app, 'LATE_NOTE', 'LATESECRET333')
  await setEnv(app, 'LATE_TOKEN', 'LATESECRET333')
  await setEnv(app, 'LATE_CALLBACK', 'https://bot:LATESECRET444@hooks.example/late')
  for (let i = 0; i < 2; i++) {
    const { env, stored } = await environmentOf(redis, app)
    assert.equal(env.get('LATE_NOTE'), 'LATESECRET333')
    assert.equal(env.get('LATE_TOKEN'), REDACTED)
    assert.equal(env.get('LATE_CALLBACK'), `https://${REDACTED}@hooks.example/late`)
    assert.ok(!stored.includes('LATESECRET444'), `record ${i + 1} holds no secret`)
  }
})

test('source lines are redacted in every record, and a file changed on disk after a failure still shows the lines that ran', async (t) => {
  const redis = await startRedis(t)
  const started = startChangingApp(t, redis)
  const app = await started.app
  const expected = ['export function fail () {', `  const hook = 'https://${REDACTED}@hooks.example/notify'`, "  throw new Error('the order failed at ' + new URL(hook).host)", '}', '']

  for (let i = 0; i < 2; i++) {
    const { record, stored } = await failRequest(redis, `${app.url}/fail`)
    assert.deepEqual(failingLines(record), expected, `record ${i + 1}`)
    assert.ok(!stored.includes('HUNTER2FIRST'), `record ${i + 1} holds no secret`)
  }

  // A deploy rewrites the file while the old code keeps running: the frames' line numbers are the old code's.
  writeFileSync(started.module, `// moved down a line\n${failingModule('HUNTER2SECOND', 'the cart failed')}`)
  const { record, stored } = await failRequest(redis, `${app.url}/fail`)
  assert.equal(record.exceptions[0]?.message, 'the order failed at hooks.example')
  assert.deepEqual(failingLines(record), expected)
  assert.ok(!stored.includes('HUNTER2FIRST') && !stored.includes('HUNTER2SECOND'))
})
