import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { RECORD_VERSION } from '../core/record.ts'
import { fieldPaths, RECORD_SHAPE } from './fixtures/record-shape.ts'

const DOC = 'docs/record.md'
const recordDoc = readFileSync(new URL(`../${DOC}`, import.meta.url), 'utf8')

/** The paths the types define (see test/fixtures/record-shape.ts for how they are read without a compiler). */
const typePaths = new Set(fieldPaths(RECORD_SHAPE))

interface FieldRows {
  /** The first cell of each row, backticks removed, in the order written. */
  readonly paths: readonly string[]
  /** Rows whose first cell is not one path in backticks. */
  readonly unreadable: readonly string[]
}

/** The rows of every table in `markdown` whose first column is headed `field`. */
function fieldRows (markdown: string): FieldRows {
  const paths: string[] = []
  const unreadable: string[] = []
  const firstCell = (row: string): string => row.split('|')[1]?.trim() ?? ''
  let inFieldTable = false
  let previous = ''
  for (const line of markdown.split('\n')) {
    const isRow = line.startsWith('|')
    if (isRow && !previous.startsWith('|')) inFieldTable = firstCell(line) === 'field'
    else if (isRow && inFieldTable && !/^\|\s*-/.test(line)) {
      const path = /^`([^`]+)`$/.exec(firstCell(line))?.[1]
      if (path === undefined) unreadable.push(line)
      else paths.push(path)
    }
    previous = line
  }
  return { paths, unreadable }
}

const documented = fieldRows(recordDoc)

test('a reader of docs/record.md finds every field of a stored record, by its full path', () => {
  const missing = [...typePaths].filter((path) => !documented.paths.includes(path))
  assert.deepEqual(missing, [], `${DOC} has no row for ${missing.map((p) => `\`${p}\``).join(', ')}, a field of TraceRecord in core/record.ts`)
})

test('docs/record.md describes no field a stored record cannot have, and each field once', () => {
  const extra = documented.paths.filter((path) => !typePaths.has(path))
  assert.deepEqual(extra, [], `${DOC} has a row for ${extra.map((p) => `\`${p}\``).join(', ')}, which is no field of TraceRecord in core/record.ts`)
  const repeated = documented.paths.filter((path, i) => documented.paths.indexOf(path) !== i)
  assert.deepEqual(repeated, [], `${DOC} has more than one row for ${repeated.join(', ')}`)
  assert.deepEqual(documented.unreadable, [], `${DOC} has field rows whose first cell is not one \`path\`:\n${documented.unreadable.join('\n')}`)
})

test('docs/record.md names the record version this build writes', () => {
  assert.match(recordDoc, new RegExp(`^# The record format \\(version ${RECORD_VERSION}\\)$`, 'm'))
})
