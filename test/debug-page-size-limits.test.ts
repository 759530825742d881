import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeRecord } from '../core/record.ts'
import { LIMITS } from '../proxy/limits.ts'
import { maximalRecord, typicalRecord } from './fixtures/records.ts'
import { ACCEPT, render } from './helpers/pages.ts'

/** The largest page a record past every limit may make, per format (the HTML holds the record, the traceback and the Markdown report besides itself). */
const CEILING = { html: 1_500_000, json: 600_000, markdown: 300_000, text: 300_000 } as const

test('a record past every limit renders a bounded page in every format, with each cut marked', (t) => {
  const record = maximalRecord()
  for (const [format, accept] of Object.entries(ACCEPT) as Array<[keyof typeof ACCEPT, string]>) {
    const started = performance.now()
    const page = render(record, accept)
    const ms = performance.now() - started
    t.diagnostic(`${format}: ${page.body.length} bytes in ${ms.toFixed(1)} ms`)
    assert.ok(page.body.length < CEILING[format], `${format}: ${page.body.length} bytes`)
    assert.match(page.text, /more characters cut/, `${format}: a cut string says so`)
  }
  const html = render(record, ACCEPT.html).text
  assert.match(html, /<section id="truncated"><h2>Cut to keep this page bounded<\/h2>/)
  assert.match(html, /exceptions\[\]\.message: \d+ characters/)
  assert.match(html, /in the exceptions: the page's size budget for them was spent/)
  const served = JSON.parse(render(record, ACCEPT.json).text) as { record: unknown }
  const bounded = decodeRecord(JSON.stringify(served.record))
  assert.ok(bounded.exceptions.length <= LIMITS.exceptions)
  assert.ok(bounded.truncated.length <= 2 * LIMITS.truncatedNotes + 2)
})

test('each limit holds on its own: messages, frames, source lines, locals, spans, attributes and bodies', () => {
  const r = typicalRecord()
  const [first] = r.exceptions
  assert.ok(first !== undefined)
  const frame = first.frames[0]
  assert.ok(frame !== undefined)
  const big = {
    ...r,
    request: { ...r.request, body: { text: 'b'.repeat(LIMITS.bodyChars + 5) } },
    exceptions: [{
      ...first,
      message: 'm'.repeat(LIMITS.message + 5),
      frames: Array.from({ length: LIMITS.framesPerException + 5 }, (_, i) => i > 0 ? { ...frame, locals: [] } : { ...frame, context: [{ line: 6, text: 's'.repeat(LIMITS.sourceLineChars + 5) }], locals: Array.from({ length: LIMITS.localsPerFrame + 5 }, (_, k) => ({ name: `v${k}`, value: 'l'.repeat(LIMITS.localValueChars + 5) })) }),
    }],
    spans: Array.from({ length: LIMITS.spans + 5 }, (_, i) => ({ ...r.spans[0], spanId: `c${String(i).padStart(15, '0')}`, attributes: Object.fromEntries(Array.from({ length: LIMITS.attributesPerSpan + 5 }, (_, k) => [`a${k}`, 'a'.repeat(10)])) })) as typeof r.spans,
  }
  const bounded = decodeRecord(JSON.stringify((JSON.parse(render(big, ACCEPT.json).text) as { record: unknown }).record))
  const e = bounded.exceptions[0]
  assert.ok(e !== undefined)
  assert.equal(e.message, 'm'.repeat(LIMITS.message) + ' … [5 more characters cut]')
  assert.equal(e.frames.length, LIMITS.framesPerException)
  assert.equal(e.frames[0]?.context?.[0]?.text, 's'.repeat(LIMITS.sourceLineChars) + ' … [5 more characters cut]')
  assert.equal(e.frames[0]?.locals?.length, LIMITS.localsPerFrame)
  assert.equal(bounded.request.body?.text, 'b'.repeat(LIMITS.bodyChars) + ' … [5 more characters cut]')
  assert.ok(bounded.spans.length <= LIMITS.spans)
  assert.ok(Object.keys(bounded.spans[0]?.attributes ?? {}).length <= LIMITS.attributesPerSpan)
  for (const note of ['exceptions[].message: 5 characters', 'exceptions[].frames: 5 more', `exceptions[].frames[].locals: 5 more, ${5 * LIMITS.localsPerFrame} characters`, 'exceptions[].frames[].context: 5 characters', 'request.body: 5 characters']) {
    assert.ok(bounded.truncated.includes(note), `truncated names ${note}: ${bounded.truncated.slice(0, 8).join(' | ')}`)
  }
})

test('a typical record renders whole: nothing cut', (t) => {
  const started = performance.now()
  const page = render(typicalRecord(), ACCEPT.html)
  t.diagnostic(`typical html: ${page.body.length} bytes in ${(performance.now() - started).toFixed(1)} ms`)
  assert.doesNotMatch(page.text, /more characters cut|id="truncated"/)
})
