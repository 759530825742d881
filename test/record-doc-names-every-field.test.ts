import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { RECORD_VERSION } from '../core/record.ts'
import { fieldPaths, RECORD_SHAPE, REPEAT_SHAPE } from './fixtures/record-shape.ts'

const DOC = 'docs/record.md'
const recordDoc = readFileSync(new URL(`../${DOC}`, import.meta.url), 'utf8')

/** The section of the doc that describes a repeat; every other field table describes a full record. */
const REPEATS_HEADING = '### Repeats'

interface FieldRows {
  /** The first cell of each row, backticks removed, in the order written. */
  readonly paths: readonly string[]
  /** Rows whose first cell is not one path in backticks. */
  readonly unreadable: readonly string[]
}

/** The rows of every table in `markdown` whose first column is headed `field`, inside the heading `section` or outside it. */
function fieldRows (markdown: string, section: string, isInside: boolean): FieldRows {
  const paths: string[] = []
  const unreadable: string[] = []
  const firstCell = (row: string): string => row.split('|')[1]?.trim() ?? ''
  let inFieldTable = false
  let inSection = false
  let previous = ''
  for (const line of markdown.split('\n')) {
    if (line.startsWith('#')) inSection = line === section
    const isRow = line.startsWith('|') && inSection === isInside
    if (isRow && !previous.startsWith('|')) inFieldTable = firstCell(line) === 'field'
    else if (isRow && inFieldTable && !/^\|\s*-/.test(line)) {
      const path = /^`([^`]+)`$/.exec(firstCell(line))?.[1]
      if (path === undefined) unreadable.push(line)
      else paths.push(path)
    }
    previous = isRow ? line : ''
  }
  return { paths, unreadable }
}

/** The paths the types define (see test/fixtures/record-shape.ts for how they are read without a compiler). */
const kinds = [
  { name: 'TraceRecord', what: 'a stored record', typePaths: new Set(fieldPaths(RECORD_SHAPE)), documented: fieldRows(recordDoc, REPEATS_HEADING, false) },
  { name: 'RepeatRecord', what: `a repeat (under "${REPEATS_HEADING}")`, typePaths: new Set(fieldPaths(REPEAT_SHAPE)), documented: fieldRows(recordDoc, REPEATS_HEADING, true) },
]

for (const { name, what, typePaths, documented } of kinds) {
  test(`a reader of docs/record.md finds every field of ${what}, by its full path`, () => {
    const missing = [...typePaths].filter((path) => !documented.paths.includes(path))
    assert.deepEqual(missing, [], `${DOC} has no row for ${missing.map((p) => `\`${p}\``).join(', ')}, a field of ${name} in core/record.ts`)
  })

  test(`docs/record.md describes no field ${what} cannot have, and each field once`, () => {
    const extra = documented.paths.filter((path) => !typePaths.has(path))
    assert.deepEqual(extra, [], `${DOC} has a row for ${extra.map((p) => `\`${p}\``).join(', ')}, which is no field of ${name} in core/record.ts`)
    const repeated = documented.paths.filter((path, i) => documented.paths.indexOf(path) !== i)
    assert.deepEqual(repeated, [], `${DOC} has more than one row for ${repeated.join(', ')}`)
    assert.deepEqual(documented.unreadable, [], `${DOC} has field rows whose first cell is not one \`path\`:\n${documented.unreadable.join('\n')}`)
  })
}

test('docs/record.md names the record version this build writes', () => {
  assert.match(recordDoc, new RegExp(`^# The record format \\(version ${RECORD_VERSION}\\)$`, 'm'))
})
