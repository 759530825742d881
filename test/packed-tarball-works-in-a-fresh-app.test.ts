import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { freePort, repoRoot, run, startRedis } from './helpers/processes.ts'
import { openSocket } from './helpers/sockets.ts'
import { waitUntil } from './helpers/wait-until.ts'

const ESM_APP = `import express from 'express'
const app = express()
app.get('/ok', (req, res) => res.send('ok'))
app.get('/boom', (req, res) => { throw new Error('boom from a fresh ESM app') })
app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'))
`
const CJS_APP = ESM_APP.replace("import express from 'express'", "const express = require('express')").replace('ESM', 'CommonJS')

// The user's shell, with this test's Node first: npm picks each package's release by the Node it runs
// on, and the supertrace bin runs on the `node` it finds first.
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`
const shell = { ...process.env, PATH }

/** Whether `pid` is a live process (a zombie waiting to be reaped is not). */
function isRunning (pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === false
  } catch {
    return false
  }
}

test('the packed tarball, installed into a fresh app outside the repo, gives supertrace/register, the supertrace bin and the root exports, and `npx supertrace proxy` stops on a SIGTERM to npx', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-fresh-app-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', env: shell }).trim().split('\n').pop() ?? ''
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }))
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn', `./${tarball}`, 'express@5'], { cwd: dir, encoding: 'utf8', env: shell })
  assert.equal(install.status, 0, install.stderr)
  // The user's first install is clean: no package in supertrace's tree refuses another's version.
  assert.doesNotMatch(install.stderr, /ERESOLVE|overriding peer dependency/, install.stderr)
  execFileSync('npm', ['ls', '--all'], { cwd: dir, stdio: 'pipe', env: shell }) // fails on an invalid or missing package
  writeFileSync(join(dir, 'app.mjs'), ESM_APP)
  writeFileSync(join(dir, 'app.cjs'), CJS_APP)

  // Built JavaScript with type declarations: nothing for the user to compile.
  const installed = join(dir, 'node_modules', 'supertrace')
  assert.ok(existsSync(join(installed, 'dist', 'index.d.ts')))
  assert.ok(existsSync(join(installed, 'dist', 'instrumentation', 'register.d.ts')))
  assert.ok(!existsSync(join(installed, 'proxy')), 'no TypeScript sources are shipped')
  const exported = execFileSync(process.execPath, ['--input-type=module', '-e', "import * as s from 'supertrace'; console.log(typeof s.SupertraceSpanProcessor, typeof s.decodeRecord)"], { cwd: dir, encoding: 'utf8' })
  assert.equal(exported.trim(), 'function function')
  assert.match(execFileSync(join(dir, 'node_modules', '.bin', 'supertrace'), ['--help'], { encoding: 'utf8', env: shell }), /Commands:/)

  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', 'boss')
  for (const [file, flag] of [['app.mjs', '--import'], ['app.cjs', '--require']] as const) {
    const appPort = await freePort()
    const app = run(t, process.execPath, [flag, 'supertrace/register', file], { PORT: String(appPort), SUPERTRACE_REDIS_URL: redis.url }, dir)
    await app.waitFor('listening')
    const proxyPort = await freePort()
    const proxy = run(t, join(dir, 'node_modules', '.bin', 'supertrace'), ['proxy'], {
      PATH,
      SUPERTRACE_UPSTREAM: `http://127.0.0.1:${appPort}`, SUPERTRACE_PORT: String(proxyPort), SUPERTRACE_ADMIN_PORT: String(await freePort()), SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_REDIS_URL: redis.url,
    }, dir)
    await proxy.waitFor('listening on')

    const page = await get(`http://127.0.0.1:${proxyPort}/boom`, { cookie: 'sessionid=boss', accept: 'application/json' })

    const report = JSON.parse(page.text) as { record: { exceptions: Array<{ message: string, frames: Array<{ file: string, line: number }> }> } }
    const [exception] = report.record.exceptions
    assert.match(exception?.message ?? '', /^boom from a fresh (ESM|CommonJS) app$/)
    assert.ok(exception?.frames[0]?.file.endsWith(file), `${flag}: the first frame is in ${file}`)
    assert.equal(exception?.frames[0]?.line, 4)
    assert.equal((await get(`http://127.0.0.1:${proxyPort}/ok`)).text, 'ok')
    await app.stop()
    await proxy.stop()
  }
  assert.ok(readFileSync(join(installed, 'package.json'), 'utf8').includes('"engines"'))

  // The README's form, `npx supertrace proxy` (npm, then a shell, then the proxy), stopped the way a user
  // or a process manager does: a SIGTERM to the process they started, which npm does not pass on.
  const port = await freePort()
  const adminPort = await freePort()
  const npx = run(t, 'npx', ['supertrace', 'proxy'], {
    PATH,
    SUPERTRACE_UPSTREAM: 'http://127.0.0.1:9', SUPERTRACE_PORT: String(port), SUPERTRACE_ADMIN_PORT: String(adminPort), SUPERTRACE_HOST: '127.0.0.1', SUPERTRACE_REDIS_URL: redis.url,
  }, dir)
  await npx.waitFor('listening on')
  const proxyPid = (JSON.parse((await get(`http://127.0.0.1:${adminPort}/healthz`)).text) as { pid: number }).pid
  t.after(() => { if (isRunning(proxyPid)) process.kill(proxyPid, 'SIGKILL') })
  assert.notEqual(proxyPid, npx.child.pid, 'the proxy runs under npm')

  const npxExited = once(npx.child, 'exit') // not 'close': an orphaned proxy would hold npx's output pipes open
  npx.child.kill('SIGTERM')

  await npxExited
  await waitUntil('the proxy process to end', () => !isRunning(proxyPid))
  await assert.rejects(openSocket(port), { code: 'ECONNREFUSED' }, 'the port is free again')
})
