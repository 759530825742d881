import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { SettingsTable } from '../core/settings.ts'
import { ingestSettings } from '../ingest/config.ts'
import { instrumentationSettings } from '../instrumentation/config.ts'
import { proxySettings } from '../proxy/config.ts'
import { lookupSettings } from '../proxy/lookup/settings.ts'
import { repoRoot } from './helpers/processes.ts'

const readme = readFileSync(`${repoRoot}README.md`, 'utf8')

/** The README's table rows, by the variable in their first cell. */
function rowsNaming (env: string): string[] {
  return readme.split('\n').filter((line) => line.startsWith(`| \`${env}\``))
}

test('a newcomer finds every setting in the README, in a table row with its default', () => {
  const tables: SettingsTable[] = [proxySettings, lookupSettings, instrumentationSettings, ingestSettings]
  for (const table of tables) {
    for (const setting of Object.values(table)) {
      const rows = rowsNaming(setting.env)
      assert.ok(rows.length > 0, `README.md has a table row for ${setting.env}`)
      if (typeof setting.default === 'number' || typeof setting.default === 'boolean') {
        assert.ok(rows.some((row) => row.includes(`\`${String(setting.default)}\``)), `README.md shows ${setting.env}'s default ${String(setting.default)}`)
      }
    }
  }
})
