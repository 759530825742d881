import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED } from '../core/record.ts'
import { Redactor } from '../core/redact.ts'
import { LIMITS } from '../instrumentation/record/limits.ts'
import { RedactionCache } from '../instrumentation/record/redaction-cache.ts'

// The cache behind every record's environment and source lines (records-follow-a-changing-app.test.ts
// shows it in a real app); here, what an app with thousands of files or variables makes of it.

test('an app failing across thousands of source lines keeps a bounded number of them, and each is still redacted', () => {
  const cache = new RedactionCache(new Redactor())
  const line = (i: number): string => `  fetch('https://user:pw${i}@api.example/v1/orders/${i}')`
  for (let i = 0; i < LIMITS.cachedRedactions * 2; i++) assert.equal(cache.text(line(i)), `  fetch('https://${REDACTED}@api.example/v1/orders/${i}')`)
  assert.equal(cache.footprint.entries, LIMITS.cachedRedactions)
  // The first lines were let go and come back redacted; the last ones are still there.
  assert.equal(cache.text(line(0)), `  fetch('https://${REDACTED}@api.example/v1/orders/0')`)
  assert.equal(cache.text(line(LIMITS.cachedRedactions * 2 - 1)), `  fetch('https://${REDACTED}@api.example/v1/orders/${LIMITS.cachedRedactions * 2 - 1}')`)
  assert.equal(cache.footprint.entries, LIMITS.cachedRedactions)
})

test('long environment values fill the cache up to its characters, not beyond', () => {
  const cache = new RedactionCache(new Redactor())
  const long = (i: number): string => `${i}:${'x'.repeat(10_000)}`
  for (let i = 0; i < 1000; i++) cache.named(`LONG_${i}`, long(i))
  assert.ok(cache.footprint.chars <= LIMITS.cachedRedactionChars, `${cache.footprint.chars} characters`)
  assert.ok(cache.footprint.entries < 1000)
  // One value larger than the whole cache is redacted and not kept.
  const huge = `postgres://shop:SECRET@db/${'x'.repeat(LIMITS.cachedRedactionChars)}`
  assert.ok(cache.text(huge).startsWith(`postgres://${REDACTED}@db/`))
  assert.ok(cache.footprint.chars <= LIMITS.cachedRedactionChars)
})

test('a value under a sensitive name is hidden whole and never kept', () => {
  const cache = new RedactionCache(new Redactor())
  assert.equal(cache.named('STRIPE_SECRET_KEY', 'sk_live_1234'), REDACTED)
  assert.equal(cache.footprint.entries, 0)
  assert.equal(cache.named('SHOP_NOTE', 'sk_live_1234'), 'sk_live_1234')
  assert.equal(cache.named('STRIPE_SECRET_KEY', 'sk_live_1234'), REDACTED)
})
