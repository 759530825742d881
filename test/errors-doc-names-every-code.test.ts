import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import * as catalogue from '../core/errors.ts'

const DOC = 'docs/errors.md'
const errorDoc = readFileSync(new URL(`../${DOC}`, import.meta.url), 'utf8')

type ErrorClass = new (...args: never[]) => catalogue.SupertraceError

/**
 * The catalogue's coded errors as `code class` lines, read from the module as it runs
 * rather than from its source text, so that however the classes are declared (one by
 * one, or made by a helper) the same classes give the same lines. A class's code is
 * its static `code` when it has one, else that of an instance: every constructor in
 * the catalogue accepts a list (ConfigError's problems, the others' message) and a string.
 */
function catalogueEntries (): string[] {
  const entries: string[] = []
  for (const [name, value] of Object.entries(catalogue)) {
    if (typeof value !== 'function' || !(value.prototype instanceof catalogue.SupertraceError)) continue
    const errorClass = value as ErrorClass
    const staticCode: unknown = (errorClass as unknown as { readonly code?: unknown }).code
    const code = typeof staticCode === 'string' ? staticCode : Reflect.construct(errorClass, [['a problem'], 'SUPERTRACE_SETTING']).code
    entries.push(`${code} ${name}`)
  }
  return entries.sort()
}

/** The doc's table rows as `code class` lines: the first cell one `code`, the second its classes, comma-separated. */
function documentedEntries (): { readonly entries: string[], readonly unreadable: string[] } {
  const entries: string[] = []
  const unreadable: string[] = []
  for (const row of errorDoc.split('\n').filter((line) => /^\|\s*`/.test(line))) {
    const [, codeCell = '', classCell = ''] = row.split('|').map((cell) => cell.trim())
    const code = /^`([A-Z_]+)`$/.exec(codeCell)?.[1]
    const classes = classCell.split(',').map((cell) => /^`(\w+)`$/.exec(cell.trim())?.[1])
    if (code === undefined || classes.some((name) => name === undefined)) unreadable.push(row)
    else for (const name of classes) entries.push(`${code} ${name ?? ''}`)
  }
  return { entries: entries.sort(), unreadable }
}

const inCatalogue = catalogueEntries()
const documented = documentedEntries()

test('an operator who looks up a logged code in docs/errors.md finds it, with each class that carries it', () => {
  assert.ok(inCatalogue.length > 0, 'core/errors.ts exports coded error classes')
  const missing = inCatalogue.filter((entry) => !documented.entries.includes(entry))
  assert.deepEqual(missing, [], `${DOC} has no row for ${missing.join(', ')} (code and class, as in core/errors.ts)`)
  const codes = Object.values(catalogue.ErrorCodes).filter((code) => !documented.entries.some((entry) => entry.startsWith(`${code} `)))
  assert.deepEqual(codes, [], `${DOC} has no row for the code ${codes.join(', ')} of core/errors.ts`)
})

test('docs/errors.md lists no code or class that core/errors.ts does not have', () => {
  const extra = documented.entries.filter((entry) => !inCatalogue.includes(entry))
  assert.deepEqual(extra, [], `${DOC} lists ${extra.join(', ')} (code and class), which core/errors.ts does not have`)
  assert.deepEqual(documented.unreadable, [], `${DOC} has rows whose first cells are not one \`code\` and its \`classes\`:\n${documented.unreadable.join('\n')}`)
})
