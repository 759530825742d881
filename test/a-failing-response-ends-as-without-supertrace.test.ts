import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

const appFile = `${repoRoot}test/apps/plain-app.js`

test('an app that ends its 500 twice still sends the first end\'s body, though supertrace holds that end for its record', async (t) => {
  const { app } = await startStack(t, { appFile })
  const response = await get(`${app.url}/end-twice`)
  assert.equal(response.status, 500)
  assert.equal(response.text, 'the first end\n')
})

test('an end() with bad arguments on a held 500 never crashes the app: that response is cut, the next one is served', async (t) => {
  const { app } = await startStack(t, { appFile })
  await get(`${app.url}/end-with-bad-arguments`).catch(() => undefined)
  assert.equal(app.child.exitCode, null, 'the app is still running')
  assert.equal((await get(`${app.url}/headers`)).status, 200)
})
