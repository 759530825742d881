import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRecordsFailure, failingLine, superuserRecord } from './helpers/failures.ts'
import { repoRoot, startApp, startProxy, startRedis } from './helpers/processes.ts'

const apps = `${repoRoot}test/apps/startup/`
const SUPERUSER = 'sessionid=start-up-forms'

/** Each way an app is started (README: "Start-up forms"); the app throws in an Express handler at `// fails: boom`. */
const FORMS = [
  { name: 'an ES module app started with node --import supertrace/register', file: 'esm.mjs', flags: ['--import', 'supertrace/register'] },
  { name: 'a CommonJS app started with node --require supertrace/register', file: 'cjs.cjs', flags: ['--require', 'supertrace/register'] },
  { name: 'a CommonJS app started with node --import supertrace/register', file: 'cjs.cjs', flags: ['--import', 'supertrace/register'] },
  { name: 'a CommonJS app whose first line is require(\'supertrace/register\')', file: 'first-line.cjs', flags: [] },
  { name: 'a TypeScript app run by Node\'s type stripping with --import supertrace/register', file: 'typescript.ts', flags: ['--import', 'supertrace/register'] },
  { name: 'a TypeScript app run by tsx (node --import tsx --import supertrace/register)', file: 'typescript.ts', flags: ['--import', 'tsx', '--import', 'supertrace/register'] },
] as const

for (const form of FORMS) {
  test(`${form.name}: the superuser sees the exception at the app's file and line, with the Express spans`, async (t) => {
    const redis = await startRedis(t)
    await redis.client.sadd('supertrace:superusers', SUPERUSER.split('=')[1] ?? '')
    const file = `${apps}${form.file}`
    const app = await startApp(t, redis, file, {}, form.flags)
    const proxy = await startProxy(t, app, redis)

    const { status, record } = await superuserRecord(`${proxy.url}/boom`, SUPERUSER)

    assert.equal(status, 500)
    assertRecordsFailure(record, file, failingLine(file, 'boom'))
    assert.ok(record.spans.some((s) => s.attributes['express.type'] !== undefined), 'Express itself was instrumented')
  })
}

test('an ES module app whose first line imports supertrace/register: its failing requests get a record, but the modules it imports statically load before supertrace and are not instrumented (use --import)', async (t) => {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', SUPERUSER.split('=')[1] ?? '')
  const app = await startApp(t, redis, `${apps}first-line.mjs`, {}, [])
  const proxy = await startProxy(t, app, redis)

  const { status, record } = await superuserRecord(`${proxy.url}/boom`, SUPERUSER)

  assert.equal(status, 500)
  assert.equal(record.response.status, 500)
  assert.ok(record.spans.some((s) => s.kind === 'server'), 'node:http is instrumented: built-in modules are shared')
  assert.ok(!record.spans.some((s) => s.attributes['express.type'] !== undefined), 'Express was linked before supertrace ran, so it has no spans and its exception is not seen')
})
