import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { Pool } from 'undici'
import { missingNodeFlags } from '../proxy/operations/node-flags.ts'
import { UndiciPool } from '../proxy/forward/upstream-pool.ts'
import { startStack, TRANSPARENT_APP } from './helpers/processes.ts'

const bounded = { timeout: 30_000 }

function nodeArguments (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '')
}

test('supertrace proxy runs with V8\'s young generation capped at 1 MB', bounded, async (t) => {
  const { proxy } = await startStack(t, TRANSPARENT_APP)

  assert.ok(nodeArguments(proxy.child.pid as number).includes('--max-semi-space-size=1'), nodeArguments(proxy.child.pid as number).join(' '))
})

test('a --max-semi-space-size in NODE_OPTIONS is the one the proxy runs with', bounded, async (t) => {
  const { proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { NODE_OPTIONS: '--max-semi-space-size=8' } })

  assert.ok(!nodeArguments(proxy.child.pid as number).some((arg) => arg.startsWith('--max-semi-space-size')), nodeArguments(proxy.child.pid as number).join(' '))
})

test('only the default flags the user did not give are added, however the user spelled them', () => {
  assert.deepEqual(missingNodeFlags([], undefined), ['--max-semi-space-size=1'])
  assert.deepEqual(missingNodeFlags(['--max-semi-space-size=4'], undefined), [])
  assert.deepEqual(missingNodeFlags([], '--enable-source-maps --max_semi_space_size=32'), [])
  assert.deepEqual(missingNodeFlags(['--max-old-space-size=64'], '--enable-source-maps'), ['--max-semi-space-size=1'])
})

test('the upstream pool, loaded alone from undici\'s files, is undici\'s own Pool', () => {
  assert.equal(UndiciPool, Pool)
})
