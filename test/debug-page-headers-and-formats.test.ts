import assert from 'node:assert/strict'
import { test } from 'node:test'
import { negotiateFormat } from '../proxy/debug-page/negotiate.ts'
import { typicalRecord } from './fixtures/records.ts'
import { ACCEPT, render } from './helpers/pages.ts'

test('each format is chosen by Accept: browsers get HTML, API clients JSON, curl plain text, and text/markdown the Markdown report', () => {
  const cases: Array<[string | undefined, string]> = [
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', 'html'], // Chromium
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'], // Firefox
    ['application/json', 'json'],
    ['application/json, text/plain, */*', 'json'], // axios
    ['text/markdown', 'markdown'],
    ['text/markdown;q=0.9, text/plain;q=0.5', 'markdown'],
    ['*/*', 'text'], // curl, wget
    [undefined, 'text'],
    ['', 'text'],
    ['image/png', 'text'],
    ['text/html;q=0.1, application/json;q=0.9', 'json'],
    ['text/html;q=0, text/plain', 'text'],
    ['TEXT/HTML', 'html'],
  ]
  for (const [accept, format] of cases) assert.equal(negotiateFormat(accept), format, `Accept: ${accept}`)
})

test('every format carries the safety headers exactly, with a fresh CSP nonce that the page\'s own style and script use', () => {
  const nonces = new Set<string>()
  for (const accept of Object.values(ACCEPT)) {
    const { headers, text, body, format } = render(typicalRecord(), accept)
    const csp = String(headers['content-security-policy'])
    const nonce = /^default-src 'none'; style-src 'nonce-([A-Za-z0-9+/=]+)'; script-src 'nonce-\1'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/.exec(csp)?.[1]
    assert.ok(nonce !== undefined, `${format}: ${csp}`)
    nonces.add(nonce)
    assert.equal(headers['cache-control'], 'no-store, private')
    assert.equal(headers.vary, 'Cookie, Accept')
    assert.equal(headers['x-robots-tag'], 'noindex')
    assert.equal(headers['referrer-policy'], 'no-referrer')
    assert.equal(headers['x-content-type-options'], 'nosniff')
    assert.equal(headers['x-frame-options'], 'DENY')
    assert.equal(headers['content-length'], body.length)
    if (format === 'html') {
      assert.ok(text.includes(`<style nonce="${nonce}">`) && text.includes(`<script nonce="${nonce}">`))
    }
  }
  assert.equal(nonces.size, Object.keys(ACCEPT).length, 'a new nonce for every response')
})
