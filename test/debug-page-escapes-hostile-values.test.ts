import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redactor } from '../core/redact.ts'
import { ATTACK, hostileRecord } from './fixtures/records.ts'
import { recentFailure, renderRecent } from '../proxy/debug-page/recent.ts'
import { ACCEPT, embeddedData, markdownOutsideCode, render } from './helpers/pages.ts'

test('<script> in a message, a header, a URL, a span name and an attribute is text in the HTML page, never markup', () => {
  const { text } = render(hostileRecord(), ACCEPT.html, { original: { status: 500, statusMessage: undefined, headers: [['x-evil', ATTACK]], body: Buffer.from(ATTACK), bodyBytes: ATTACK.length, isBodyComplete: true } })
  assert.equal(text.match(/<script/g)?.length, 2, 'only the page\'s own two script elements: its data and its code')
  assert.doesNotMatch(text, /<img/)
  for (const tag of text.match(/<[a-z][^>]*>/gi) ?? []) {
    for (const [, name] of tag.matchAll(/\s([a-z-]+)=(?:"[^"]*"|'[^']*'|[^\s>]+)/gi)) assert.doesNotMatch(name ?? '', /^on/i, `no event handler attribute: ${tag.slice(0, 80)}`)
  }
  assert.ok(text.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;`'), 'the payload is shown, escaped')
  assert.match(text, /title="&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=alert\(2\)&gt;&quot;&#39;/, 'a span name inside an attribute value cannot close it')
  const data = embeddedData(text)
  assert.doesNotMatch(data.raw, /[<>&\u2028\u2029]/, 'the embedded JSON holds no <, >, & or line separator that could end the script element')
  assert.equal(data.record?.exceptions[0]?.message, ATTACK, 'and reads back unchanged')
  assert.ok(data.markdown.includes(ATTACK.slice(0, 20)) && data.text.includes(ATTACK.slice(0, 20)))
})

test('in Markdown, every hostile value is inside a code span or a fenced block', () => {
  const { text } = render(hostileRecord(), ACCEPT.markdown)
  assert.ok(text.includes('<script>alert(1)</script>'), 'the payload is there, as code')
  const outside = markdownOutsideCode(text)
  assert.doesNotMatch(outside, /<script|<img|onerror/)
})

test('in plain text and JSON the payload is inert data, sent as such and never sniffed as HTML', () => {
  const plain = render(hostileRecord(), ACCEPT.text)
  assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8')
  assert.equal(plain.headers['x-content-type-options'], 'nosniff')
  assert.ok(plain.text.includes('<script>alert(1)</script>'))
  const json = render(hostileRecord(), ACCEPT.json)
  assert.equal(json.headers['content-type'], 'application/json; charset=utf-8')
  assert.equal((JSON.parse(json.text) as { record: { request: { headers: Array<[string, string]> } } }).record.request.headers[0]?.[1], ATTACK)
})

test('control characters in a message cannot drive a terminal: plain text and Markdown show them as \\u{…}', () => {
  const record = hostileRecord()
  const first = record.exceptions[0]
  assert.ok(first !== undefined)
  const evil = { ...record, exceptions: [{ ...first, message: 'clear\u001b[2J\rhidden\u202eevil' }] }
  for (const accept of [ACCEPT.text, ACCEPT.markdown]) {
    const { text } = render(evil, accept)
    assert.doesNotMatch(text, /[\u001b\r\u202e]/)
    assert.ok(text.includes('clear\\u{1b}[2J\\u{d}hidden\\u{202e}evil'))
  }
})

test('the list of recent failures shows a hostile exception and URL as text in every format', () => {
  const failure = recentFailure(hostileRecord(), { pagesPrefix: '/_supertrace', redaction: new Redactor() })
  const html = renderRecent([failure], 'html', 'n').body.toString()
  assert.doesNotMatch(html, /<script|<img/)
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
  assert.doesNotMatch(markdownOutsideCode(renderRecent([failure], 'markdown', 'n').body.toString()), /<script|<img/)
  assert.equal((JSON.parse(renderRecent([failure], 'json', 'n').body.toString()) as { failures: Array<{ url: string }> }).failures[0]?.url.startsWith('/orders/<script>'), true)
})
