import assert from 'node:assert/strict'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { assertRecordsFailure, failingLine, superuserRecord } from './helpers/failures.ts'
import { get } from './helpers/http.ts'
import { repoRoot, startApp, startProxy, startRedis } from './helpers/processes.ts'

/**
 * An app inside a checkout of Express, as Express's own examples are: it loads Express by
 * a path (`require('../../')`), so nothing named `express` is ever required and
 * OpenTelemetry's Express instrumentation never patches it. Express's dependencies
 * (`router`, `finalhandler`) still come from node_modules by name.
 */
const EXAMPLE = `const express = require('../../')

const app = express()
app.get('/boom', (req, res) => {
  throw new RangeError('thrown in an example of an Express checkout') // fails: default-handler
})

const api = express.Router()
api.get('/handled', (req, res) => {
  throw new Error('caught by the example\\'s own error handler')
})
api.use((err, req, res, next) => res.status(500).type('text').send('Our own 500 page\\n'))
app.use('/api', api)

app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('example listening'))
`

const SUPERUSER = 'sessionid=express-checkout-superuser'

function expressCheckout (): { dir: string, app: string } {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-express-checkout-'))
  const installed = join(repoRoot, 'node_modules', 'express')
  for (const file of ['index.js', 'lib', 'package.json']) cpSync(join(installed, file), join(dir, file), { recursive: true })
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'))
  mkdirSync(join(dir, 'examples', 'failing'), { recursive: true })
  const app = join(dir, 'examples', 'failing', 'index.js')
  writeFileSync(app, EXAMPLE)
  return { dir, app }
}

test('Express loaded by a path: a throw that reaches Express\'s default error handler is on the superuser\'s page; one its own handler catches is explained', { timeout: 30_000 }, async (t) => {
  const { dir, app: file } = expressCheckout()
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', SUPERUSER.split('=')[1] ?? '')
  const register = pathToFileURL(join(repoRoot, 'dist', 'instrumentation', 'register.js')).href
  const app = await startApp(t, redis, file, { NODE_ENV: 'production' }, ['--import', register])
  const proxy = await startProxy(t, app, redis)

  const expected = failingLine(file, 'default-handler')
  const { status, record } = await superuserRecord(`${proxy.url}/boom`, SUPERUSER)
  assert.equal(status, 500)
  assertRecordsFailure(record, file, expected)
  const page = await get(`${proxy.url}/boom`, { cookie: SUPERUSER })
  assert.ok(page.text.includes(expected.message), 'the debug page shows the exception')
  assert.equal((await get(`${proxy.url}/boom`)).text, (await get(`${app.url}/boom`)).text, 'anyone else gets the app\'s own 500')

  const handled = await get(`${proxy.url}/api/handled`, { cookie: SUPERUSER })
  assert.equal(handled.status, 500)
  assert.match(handled.text, /No exception was captured\. Either the app answered 500 without throwing, or it threw inside a framework supertrace could not patch: one loaded by a path instead of its package name/)
  assert.match(handled.text, /OTEL_LOG_LEVEL=debug/, 'the page says how to check what was patched')
})
