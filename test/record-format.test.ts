import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ErrorCodes, RecordFormatError } from '../core/errors.ts'
import { decodeRecord, RECORD_VERSION } from '../core/record.ts'
import { get, login } from './helpers/http.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

const recordDoc = readFileSync(`${repoRoot}docs/record.md`, 'utf8')

/** Every field path in a JSON value, arrays flattened: `spans[].status.code`. */
function fieldPaths (value: unknown, prefix = ''): Set<string> {
  const paths = new Set<string>()
  if (Array.isArray(value)) {
    for (const item of value) for (const path of fieldPaths(item, `${prefix}[]`)) paths.add(path)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      paths.add(path)
      if (key !== 'attributes') for (const nested of fieldPaths(child, path)) paths.add(nested)
    }
  }
  return paths
}

test('docs/record.md describes every field of a real record', async (t) => {
  const { proxy, redis } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')
  const failed = await get(`${proxy.url}/orders/42`, { cookie })
  const stored = await redis.client.get(`supertrace:trace:${failed.headers['x-request-id']}`)
  assert.ok(stored !== null)

  const record = decodeRecord(stored)
  for (const path of fieldPaths(record)) {
    // Top-level fields and those of each exception and span have rows of their own; deeper ones are named in their parent's row.
    const hasRow = /^\w+$|^(exceptions|spans)\[\]\.\w+$/.test(path)
    const name = hasRow ? path : path.slice(path.lastIndexOf('.') + 1)
    assert.ok(recordDoc.includes(`\`${name}\``), `docs/record.md describes \`${name}\` (${path})`)
  }
  assert.match(recordDoc, new RegExp(`# The record format \\(version ${RECORD_VERSION}\\)`))
})

test('a record of another version, or not a record at all, is refused with ST_RECORD_FORMAT', () => {
  for (const stored of ['{"v":2}', 'not json', '[]', JSON.stringify({ v: RECORD_VERSION, requestId: 'x' })]) {
    assert.throws(() => decodeRecord(stored), (err: unknown) => err instanceof RecordFormatError && err.code === 'ST_RECORD_FORMAT', stored)
  }
})

test('docs/errors.md lists every error code', () => {
  const errorDoc = readFileSync(`${repoRoot}docs/errors.md`, 'utf8')
  for (const code of Object.values(ErrorCodes)) assert.ok(errorDoc.includes(`\`${code}\``), `${code} is documented`)
})
