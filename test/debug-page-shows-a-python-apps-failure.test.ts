import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeRecord, REDACTED, type TraceRecord } from '../core/record.ts'
import { FOREIGN_SECRETS, PROXY_VIEW, pythonRecord, typicalRecord } from './fixtures/records.ts'
import { ACCEPT, embeddedData, render } from './helpers/pages.ts'
import { assertNoSecret } from './helpers/secrets.ts'

const withProxyView = { proxyView: PROXY_VIEW }

test('a Python app\'s stack reads as Python\'s: frames without columns, site-packages and the standard library folded, the runtime named', () => {
  const { text } = render(pythonRecord(), ACCEPT.html, withProxyView)
  assert.match(text, /<dt>Runtime<\/dt><dd>CPython 3.12.4<\/dd>/)
  assert.match(text, /<dt>Host<\/dt><dd>django-5c7d<\/dd>/, 'no pid when the resource names none')
  assert.match(text, /<dt>Raised at<\/dt><dd><code>order_view<\/code> in <code class="loc">shop\/views.py:41<\/code>/, 'file:line, relative to the app\'s directory')
  assert.match(text, /<details class="group"><summary>2 frames in site-packages and the Python standard library<\/summary>/)
  assert.match(text, /<span class="fn">run<\/span> <code class="loc">\/usr\/lib\/python3.12\/threading.py:1010<\/code><span class="tag">stdlib<\/span>/)
  assert.doesNotMatch(text, /Node internals|node_modules/)
})

test('an exception raised while handling another reads as Python words it, and the one it suppressed is shown under it', () => {
  const { text } = render(pythonRecord(), ACCEPT.html, withProxyView)
  const handled = text.indexOf('<span class="etype">KeyError</span>')
  const sentence = text.indexOf('During handling of the above exception (KeyError: &#39;lines&#39;), another exception occurred:')
  const raised = text.indexOf('<span class="etype">ValueError</span>')
  const suppressed = text.indexOf('<p class="relation">Suppressed by ValueError (1 of 1):</p>')
  assert.ok(handled > 0 && handled < sentence && sentence < raised && raised < suppressed, 'the handled one, the sentence, the one raised, then what it suppressed')
  assert.match(text.slice(suppressed), /^[^]*?<span class="etype">BrokenPipeError<\/span>: \[Errno 32\] Broken pipe/)
  assert.match(text, /<article class="exception nested">\n<p class="relation">Suppressed by ValueError/, 'nested under its exception')
  assert.doesNotMatch(text, /direct cause/)
})

test('the page says the request comes from the app\'s spans and shows the request as the proxy saw it, its secrets hidden', () => {
  const { text } = render(pythonRecord(), ACCEPT.html, withProxyView)
  const request = text.slice(text.indexOf('<section id="request">'))
  assert.match(request, /The request details come from the app&#39;s spans: OpenTelemetry&#39;s export \(OTLP\) carries no headers, cookies or body\./)
  assert.match(request, /<h3>The request as the proxy saw it<\/h3>\n<p><code>GET \/orders\/42\?expand=lines&amp;token=\*{20}<\/code><\/p>/)
  assert.match(request, /<th>user-agent<\/th><td>Mozilla\/5.0 \(X11; Linux x86_64\)<\/td>/)
  assert.match(request, /<th>authorization<\/th><td>\*{20}<\/td>/)
  assert.match(request, /<th>cookie<\/th><td>\*{20}<\/td>/)
  assert.match(request, /<th>sessionid<\/th><td>\*{20}<\/td>/)
  assert.match(request, /<th>theme<\/th><td>dark<\/td>/)
  assert.doesNotMatch(request, /The app read no body/, 'nothing claims the app read no body: it could not say')
})

test('the proxy\'s own view is shown only for a request seen through spans: an app\'s own view is fuller', () => {
  const { text } = render(typicalRecord(), ACCEPT.html, withProxyView)
  assert.doesNotMatch(text, /The request as the proxy saw it|come from the app&#39;s spans/)
  assert.equal((JSON.parse(render(typicalRecord(), ACCEPT.json, withProxyView).text) as { proxyView: unknown }).proxyView, null)
})

test('a span of another service says which, and the app\'s log lines are shown in time order with their span, redacted', () => {
  const { text } = render(pythonRecord(), ACCEPT.html, withProxyView)
  assert.match(text, /GET \/v1\/prices\/42<span class="svc">prices<\/span>/)
  assert.match(text, /<nav>.*<a href="#logs">Log lines<\/a>/)
  assert.match(text, /<tr><td class="t">\+3.25 ms<\/td><td class="sev">WARNING<\/td><td><pre>cache miss for order 42<\/pre><span class="muted">in span order_view<\/span><\/td><\/tr>/)
  assert.match(text, /payment provider refused api_key=\*{20}/)
  assert.match(text, /<td class="t">\+38.0 ms<\/td><td class="sev">INFO<\/td><td><pre>\{&quot;event&quot;: &quot;retry&quot;, &quot;password&quot;: &quot;\*{20}&quot;\}<\/pre><\/td>/)
  assert.doesNotMatch(render(typicalRecord(), ACCEPT.html).text, /id="logs"/, 'no section when the app logged nothing')
})

test('curl\'s plain text and the Markdown report read the same Python failure', () => {
  const text = render(pythonRecord(), ACCEPT.text, withProxyView).text
  assert.match(text, /Runtime: +CPython 3.12.4/)
  assert.match(text, /Raised at: +order_view \(shop\/views.py:41\)/)
  assert.match(text, /During handling of the above exception \(KeyError: 'lines'\), another exception occurred:\n\nValueError: order 42 has no lines/)
  assert.match(text, / {2}Suppressed by ValueError \(1 of 1\):\n\n {2}BrokenPipeError: \[Errno 32\] Broken pipe/)
  assert.match(text, /Request\n {2}The request details come from the app's spans[^\n]*\n {2}GET \/orders\/42\?expand=lines\n/)
  assert.match(text, /The request as the proxy saw it\n {2}GET \/orders\/42\?expand=lines&token=\*{20}\n {2}Headers:\n {4}host: shop.example/)
  assert.match(text, /GET \/v1\/prices\/42 {2}\(prices\)/)
  assert.match(text, /Log lines \(3\)\n {5}\+3.25 ms {2}WARNING {2}cache miss for order 42 {2}\(in order_view\)/)

  const markdown = render(pythonRecord(), ACCEPT.markdown, withProxyView).text
  assert.match(markdown, /- \*\*Runtime:\*\* `CPython 3.12.4` on `django-5c7d`\n/)
  assert.match(markdown, /\*During handling of the above exception \(KeyError: 'lines'\), another exception occurred:\*/)
  assert.match(markdown, /\(2 frames from site-packages and the Python standard library not shown\)/)
  assert.match(markdown, /\*Suppressed by ValueError \(1 of 1\):\*/)
  assert.match(markdown, /#### The request as the proxy saw it\n\n```http\nGET \/orders\/42\?expand=lines&token=\*{20}\nhost: shop.example/)
  assert.match(markdown, /### Log lines\n\n```text\n {3}\+3.25 ms {2}WARNING/)
})

test('an API client gets the Python record as JSON, each version 4 field as stored, and the proxy\'s view beside it', () => {
  const body = JSON.parse(render(pythonRecord(), ACCEPT.json, withProxyView).text) as { record: TraceRecord, proxyView: { headers: Array<[string, string]>, cookies: Array<[string, string]> } }
  const record = decodeRecord(JSON.stringify(body.record))
  assert.equal(record.language, 'python')
  assert.equal(record.request.source, 'spans')
  assert.equal(record.exceptions[0]?.causeKind, 'context')
  assert.equal(record.exceptions[0]?.suppressed?.[0]?.type, 'BrokenPipeError')
  assert.equal(record.exceptions[0]?.frames[0]?.column, undefined)
  assert.equal(record.spans[2]?.service, 'prices')
  assert.deepEqual(record.logs.map((l) => l.severity), ['WARNING', 'ERROR', 'INFO'])
  assert.deepEqual(body.proxyView.cookies, [['sessionid', REDACTED], ['theme', 'dark']])
})

test('no format of a Python app\'s page shows the secrets of the proxy\'s view or of the log lines', () => {
  for (const [name, accept] of Object.entries(ACCEPT)) {
    const { text } = render(pythonRecord(), accept, withProxyView)
    assertNoSecret(FOREIGN_SECRETS, text, `the ${name} page`)
    if (name === 'html') assertNoSecret(FOREIGN_SECRETS, JSON.stringify(embeddedData(text)), 'the HTML page\'s embedded data')
  }
})
