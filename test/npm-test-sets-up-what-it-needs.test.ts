import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { findOnPath, missingPackages, onPath, setupPlan, SYSTEM_PACKAGES } from '../deploy/system-packages.ts'
import { repoRoot } from './helpers/processes.ts'

const SETUP = `${repoRoot}deploy/system-packages.ts`
const asRootOnDebian = process.getuid?.() === 0 && onPath('apt-get')

/** Runs `npm test`'s setup as its pretest does, printing the apt-get commands instead of running them. */
function dryRun (path: string): { status: number | null, stdout: string, stderr: string } {
  const { CHROMIUM_PATH: _, ...env } = process.env
  return spawnSync(process.execPath, [SETUP, 'test'], { env: { ...env, PATH: path, SUPERTRACE_SETUP_DRY_RUN: '1' }, encoding: 'utf8' })
}

/** A PATH holding only apt-get and the commands `npm test` needs but `absent`, each a link to the real one. */
function pathWithout (t: { after: (fn: () => void) => void }, absent: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'supertrace-path-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const present = ['apt-get', ...SYSTEM_PACKAGES.test.map((p) => p.command).filter((c) => !absent.includes(c))]
  for (const command of present) {
    const found = findOnPath(command)
    assert.ok(found !== undefined, `${command} is on this machine's PATH`)
    symlinkSync(found, join(dir, command))
  }
  return dir
}

test('on a machine that has everything, npm test installs nothing', () => {
  const run = dryRun(process.env.PATH ?? '')
  assert.deepEqual([run.status, run.stdout, run.stderr], [0, '', ''])
})

test('as root on Debian without redis-server and chromium, npm test installs just those: one apt-get update, one apt-get install', { skip: asRootOnDebian ? false : 'needs root and apt-get' }, (t) => {
  const run = dryRun(pathWithout(t, ['redis-server', 'chromium']))
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(run.stdout.split('\n').slice(1), ['apt-get update', 'apt-get install -y redis-server chromium', ''])
})

test('a user who is not root is told at once the one command to run, and npm test stops', () => {
  const missing = missingPackages(SYSTEM_PACKAGES.test, { PATH: '' }).filter((p) => p.command === 'redis-server' || p.command === 'chromium')
  assert.deepEqual(setupPlan(missing, { isRoot: false, hasAptGet: true }, 'npm test'), {
    kind: 'stop',
    message: 'npm test needs redis-server and chromium, which are not installed. Install them, then run npm test again:\n  sudo apt-get update && sudo apt-get install -y redis-server chromium\n',
  })
})

test('off Debian, npm test names the packages to install and stops', () => {
  const plan = setupPlan(missingPackages(SYSTEM_PACKAGES.test, { PATH: '' }), { isRoot: true, hasAptGet: false }, 'npm test')
  assert.equal(plan.kind, 'stop')
  assert.match(plan.kind === 'stop' ? plan.message : '', /there is no apt-get here\. .*\(Debian: apt-get install -y redis-server redis-tools chromium python3 default-jdk-headless golang-go ruby php-cli openssl\)/)
})

test('npm start without Redis offers SUPERTRACE_REDIS_URL as the other way out', () => {
  const plan = setupPlan(missingPackages(SYSTEM_PACKAGES.start, { PATH: '' }), { isRoot: false, hasAptGet: true }, 'npm start', 'or set SUPERTRACE_REDIS_URL to a Redis you already have')
  assert.deepEqual(plan, {
    kind: 'stop',
    message: 'npm start needs redis-server, which is not installed. Install it, then run npm start again:\n  sudo apt-get update && sudo apt-get install -y redis-server\n(or set SUPERTRACE_REDIS_URL to a Redis you already have)\n',
  })
})
