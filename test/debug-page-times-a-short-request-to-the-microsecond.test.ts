import assert from 'node:assert/strict'
import { test } from 'node:test'
import { shortRequestRecord } from './fixtures/records.ts'
import { ACCEPT, render } from './helpers/pages.ts'

test('a 3 ms request\'s five spans get bars at five distinct places, each where its microseconds put it', () => {
  const { text } = render(shortRequestRecord(), ACCEPT.html)
  const bars = [...text.matchAll(/<rect x="([\d.]+)" y="1" width="([\d.]+)"/g)].map((m) => [m[1], m[2]])
  // Offsets 0, 120, 480, 1350, 2210 µs and durations 3000, 300, 640, 1510, 380 µs, in thousandths of 3000 µs.
  assert.deepEqual(bars, [['0.0', '1000.0'], ['40.0', '100.0'], ['160.0', '213.3'], ['450.0', '503.3'], ['736.7', '126.7']])
  assert.match(text, /<p class="muted">5 spans over 3.00 ms\./)
})

test('durations under a millisecond read in microseconds, longer ones in milliseconds with their fraction, in every format', () => {
  const html = render(shortRequestRecord(), ACCEPT.html).text
  assert.match(html, /<span class="dur">380 µs<\/span>/)
  assert.match(html, /<span class="dur">1.51 ms<\/span>/)
  assert.match(html, /starts at \+2.21 ms · 380 µs/)
  const text = render(shortRequestRecord(), ACCEPT.text).text
  assert.match(text, /Trace \(5 spans, 3.00 ms\)/)
  assert.match(text, /\+120 µs +300 µs {4}middleware - query/)
  assert.match(text, /\+2.21 ms +380 µs {6}GET/)
  assert.match(render(shortRequestRecord(), ACCEPT.markdown).text, /\+480 µs +640 µs {4}middleware - jsonParser/)
  const json = JSON.parse(render(shortRequestRecord(), ACCEPT.json).text) as { record: { spans: Array<{ startUs: number, durationUs: number }> } }
  assert.deepEqual(json.record.spans.map((s) => s.durationUs), [3000, 300, 640, 1510, 380])
})
