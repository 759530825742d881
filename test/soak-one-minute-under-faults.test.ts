import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FAULT_KINDS } from './soak/faults.ts'
import { formatReport } from './soak/report.ts'
import { DEFAULT_OPTIONS, runSoak } from './soak/soak.ts'

// `npm run soak` compressed to a minute: a fault every 9 s after 8 s of warm-up (each kind once), 10 s of calm at the end.
const oneMinute = { ...DEFAULT_OPTIONS, minutes: 1, faultEverySeconds: 9, warmupSeconds: 8, calmSeconds: 10, clients: 10, ratePerSecond: 60 }

test('a minute of mixed traffic while Redis and the app are killed and paused: every response reaches its own client whole, no one but the superuser sees a debug page, he sees his own, and the proxy\'s memory stays flat', { timeout: 150_000 }, async (t) => {
  const report = await runSoak(t, oneMinute)
  t.diagnostic(formatReport(report))

  assert.deepEqual(report.violations, [])
  for (const kind of FAULT_KINDS) assert.ok(report.faults.some((f) => f.kind === kind && f.restoredAt !== null), `${kind} was injected and restored`)
  const superuser = report.tallies.get('superuser 500')
  assert.ok((superuser?.get('debug page 500') ?? 0) > 0, 'the superuser got debug pages')
  assert.ok((superuser?.get('app\'s own 500 (Redis fault)') ?? 0) > 0, 'the superuser got the app\'s own 500 while Redis was out')
  assert.ok((report.tallies.get('websocket')?.get('echoed') ?? 0) > 0, 'WebSockets echoed')
})
