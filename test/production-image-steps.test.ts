import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { freePort, repoRoot, run, startApp, startRedis } from './helpers/processes.ts'

// The Dockerfile's runtime stage, step by step, outside Docker: production dependencies only, the built dist/, the health check.
test('the proxy runs from a production-only install (the image\'s steps), and its health check passes', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-image-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(repoRoot, 'package.json'), join(dir, 'package.json'))
  cpSync(join(repoRoot, 'package-lock.json'), join(dir, 'package-lock.json'))
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe' })
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true })

  const redis = await startRedis(t)
  const app = await startApp(t, redis)
  const port = await freePort()
  const adminPort = await freePort()
  const env = { SUPERTRACE_UPSTREAM: app.url, SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(adminPort), SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_REDIS_URL: redis.url, NODE_ENV: 'production' }
  const proxy = run(t, process.execPath, ['dist/proxy/cli.js', 'proxy'], env, dir)
  await proxy.waitFor('listening on')

  // The HEALTHCHECK's command as the Dockerfile runs it, and the admin port the Dockerfile exposes.
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  assert.match(dockerfile, /^HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "dist\/proxy\/cli\.js", "health"\]$/m)
  assert.match(dockerfile, /^EXPOSE 8080 9901$/m)
  const health = spawnSync(process.execPath, ['dist/proxy/cli.js', 'health'], { cwd: dir, env: { ...process.env, ...env }, timeout: 10_000 })
  assert.equal(health.status, 0, 'the health check asks the admin port\'s /healthz')
  assert.equal((await get(`http://127.0.0.1:${adminPort}/healthz`)).status, 200)
  await proxy.stop()
  const unhealthy = spawnSync(process.execPath, ['dist/proxy/cli.js', 'health'], { cwd: dir, env: { ...process.env, ...env }, timeout: 10_000 })
  assert.equal(unhealthy.status, 1, 'with the proxy stopped, the health check fails')
  const restarted = run(t, process.execPath, ['dist/proxy/cli.js', 'proxy'], env, dir)
  await restarted.waitFor('listening on')
  assert.equal((await get(`http://127.0.0.1:${port}/hello`)).text, 'hello\n')
  await redis.client.sadd('supertrace:superusers', 'boss')
  assert.match((await get(`http://127.0.0.1:${port}/orders/42`, { cookie: 'sessionid=boss' })).text, /TypeError at \/orders\/42/)
})
