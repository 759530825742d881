import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { freePort, repoRoot, run, startApp, startRedis } from './helpers/processes.ts'

// The image holds dist/ and only the node_modules files the proxy loads (deploy/image/runtime-files.ts, the
// Dockerfile's build step). Here that step runs outside any image, so that `npm test` catches a file the trace
// misses; `npm run test:image` runs the image itself.
test('the proxy runs from the image\'s traced files alone: it serves, shows the debug page, and answers its health check', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-image-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync(process.execPath, ['deploy/image/runtime-files.ts', dir], { cwd: repoRoot, stdio: 'pipe' })
  assert.ok(!existsSync(join(dir, 'node_modules/@opentelemetry/sdk-node')), 'the instrumentation\'s dependencies are left out')

  const redis = await startRedis(t)
  const app = await startApp(t, redis)
  const port = await freePort()
  const adminPort = await freePort()
  const env = { SUPERTRACE_UPSTREAM: app.url, SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(adminPort), SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_REDIS_URL: redis.url, NODE_ENV: 'production' }
  const proxy = run(t, process.execPath, ['dist/cli.js', 'proxy'], env, dir)
  await proxy.waitFor('listening on')

  assert.equal((await get(`http://127.0.0.1:${port}/hello`)).text, 'hello\n')
  await redis.client.sadd('supertrace:superusers', 'boss')
  assert.match((await get(`http://127.0.0.1:${port}/orders/42`, { cookie: 'sessionid=boss' })).text, /TypeError at \/orders\/42/)
  assert.match((await get(`http://127.0.0.1:${adminPort}/metrics`)).text, /^supertrace_debug_pages_total\{page="live"\} 1$/m)
  const health = spawnSync(process.execPath, ['dist/cli.js', 'health'], { cwd: dir, env: { ...process.env, ...env }, timeout: 10_000 })
  assert.equal(health.status, 0, 'the health check asks the admin port\'s /healthz')
})
