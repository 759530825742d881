import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test, type TestContext } from 'node:test'
import { assertRecordsFailure, failingLine, recordOfUnansweredRequest, superuserRecord } from './helpers/failures.ts'
import { get, visible } from './helpers/http.ts'
import { repoRoot, startApp, startProxy, startRedis, type RunningRedis } from './helpers/processes.ts'

/** The ways a handler fails, as the framework apps name their routes (README: "Framework matrix"). */
const KINDS = ['sync', 'async', 'next', 'middleware', 'handled'] as const
type Kind = typeof KINDS[number]

interface Framework {
  readonly name: string
  readonly file: string
  /** Failure kinds that never send a response: their record is checked in Redis, not through the proxy. */
  readonly unanswered?: readonly Kind[]
  readonly env?: NodeJS.ProcessEnv
}

const apps = `${repoRoot}test/apps/frameworks/`
const FRAMEWORKS: readonly Framework[] = [
  { name: 'Express 5', file: `${apps}express5.mjs` },
  { name: 'Express 4', file: `${apps}express4/app.cjs`, unanswered: ['async'] },
  { name: 'Fastify 5', file: `${apps}fastify.mjs` },
  { name: 'Koa 3', file: `${apps}koa.mjs` },
  { name: 'hapi 21', file: `${apps}hapi.cjs` },
  { name: 'NestJS 12 on Express', file: `${apps}nest.mjs`, env: { NEST_ADAPTER: 'express' } },
  { name: 'NestJS 12 on Fastify', file: `${apps}nest.mjs`, env: { NEST_ADAPTER: 'fastify' } },
]

const SUPERUSER = 'sessionid=framework-matrix-superuser'

async function checkFramework (t: TestContext, redis: RunningRedis, framework: Framework): Promise<void> {
  const app = await startApp(t, redis, framework.file, { NODE_ENV: 'production', ...framework.env })
  const proxy = await startProxy(t, app, redis)
  for (const kind of KINDS) {
    const expected = failingLine(framework.file, kind)
    const url = `${proxy.url}/${kind}`
    if (framework.unanswered?.includes(kind) === true) {
      assertRecordsFailure(await recordOfUnansweredRequest(`${app.url}/${kind}`, redis.client), framework.file, expected)
      continue
    }
    const { status, record } = await superuserRecord(url, SUPERUSER)
    assert.equal(status, 500, `${kind}: the superuser's response is a 500`)
    assertRecordsFailure(record, framework.file, expected)

    const page = await get(url, { cookie: SUPERUSER })
    assert.ok(page.text.includes(expected.message), `${kind}: the debug page shows the message`)
    assert.ok(page.text.includes(`${framework.file.slice(repoRoot.length)}:${expected.line}:`), `${kind}: the debug page names the app's file and line`)

    const anonymous = await get(url)
    const direct = await get(`${app.url}/${kind}`)
    assert.equal(anonymous.status, 500)
    assert.deepEqual(visible(anonymous), visible(direct), `${kind}: anonymous visitors get the app's own 500, byte for byte`)
    if (kind === 'handled') assert.match(anonymous.text, /Our own 500 page/)
  }
}

test('every framework × failure kind: the record holds the original exception at the app\'s file and line, a superuser sees it, anyone else gets the app\'s own 500', async (t) => {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', SUPERUSER.split('=')[1] ?? '')
  for (const framework of FRAMEWORKS) {
    await t.test(framework.name, (st) => checkFramework(st, redis, framework))
  }
})

test('the Express 4 app really runs Express 4, under the name its instrumentation patches', () => {
  const shim = JSON.parse(readFileSync(`${apps}express4/node_modules/express/package.json`, 'utf8')) as { version: string }
  const installed = JSON.parse(readFileSync(`${repoRoot}node_modules/express4/package.json`, 'utf8')) as { version: string }
  assert.equal(shim.version, installed.version)
  assert.match(installed.version, /^4\./)
})
