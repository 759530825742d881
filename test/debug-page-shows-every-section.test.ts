import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeRecord, REDACTED } from '../core/record.ts'
import { REQUEST_ID, typicalRecord } from './fixtures/records.ts'
import { ACCEPT, embeddedData, render } from './helpers/pages.ts'

const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8'

test('a superuser\'s browser gets the summary: exception, where it was raised, request, route, status, time, IDs, service, Node, host and pid', () => {
  const { text, format } = render(typicalRecord(), ACCEPT.html)
  assert.equal(format, 'html')
  assert.match(text, /<title>TypeError at \/orders\/42<\/title>/)
  assert.match(text, /<pre class="message">Cannot read properties of undefined \(reading &#39;total&#39;\)<\/pre>/)
  assert.match(text, /<dt>Raised at<\/dt><dd><code>findOrder<\/code> in <a class="loc mono" href="https:\/\/github.com\/acme\/shop\/blob\/9fceb02d0ae598e95dc970b74767f19372d61af8\/src\/orders.js#L6"/)
  for (const fact of ['POST /orders/42?expand=items&amp;token=********************', '/orders/:id', '2026-11-25T10:00:00.048Z', REQUEST_ID, 'shop 1.4.2', 'v26.10.0', 'web-7f9c, pid 4242', COMMIT]) {
    assert.ok(text.includes(fact), `the summary shows ${fact}`)
  }
})

test('the stack shows every frame: app frames open with source, the failing line marked and locals; library and node: frames folded', () => {
  const { text } = render(typicalRecord(), ACCEPT.html)
  assert.match(text, /<details class="frame app raised" open><summary><span class="fn">findOrder<\/span>/, 'the raising app frame is open')
  assert.match(text, /<div class="l hit"><span class="n">6<\/span><span>  return order.total.toFixed\(2\)<\/span><\/div>/, 'the failing line is marked')
  assert.match(text, /<div class="l"><span class="n">5<\/span>/, 'lines around it are shown')
  assert.match(text, /<th>order<\/th><td>undefined<\/td>/, 'local variables are shown')
  assert.match(text, /<span class="fn">async showOrder<\/span>/, 'async frames say so')
  assert.match(text, /<details class="group"><summary>3 frames in node_modules and Node internals<\/summary>/, 'library and node: frames are folded together, closed')
  assert.match(text, /<div class="frame library"><div class="head"><span class="fn">Layer.handle<\/span>/, 'and are all there')
  assert.doesNotMatch(text, /node_modules\/router\/lib\/layer.js#L/, 'library frames get no source link')
})

test('a cause chain reads as Django\'s does, and each AggregateError member is shown with its own stack', () => {
  const { text } = render(typicalRecord(), ACCEPT.html)
  const cause = text.indexOf('connection reset by peer</h3>')
  const caused = text.indexOf('The above exception (Error: connection reset by peer) was the direct cause of the following exception:')
  const outer = text.indexOf('Cannot read properties of undefined (reading &#39;total&#39;)</h3>')
  assert.ok(cause > 0 && cause < caused && caused < outer, 'root cause, then the sentence, then the exception it caused')
  assert.match(text, /AggregateError member 1 of 2:[\s\S]*price for SKU-1 out of range[\s\S]*<span class="fn">price<\/span>/)
  assert.match(text, /AggregateError member 2 of 2:[\s\S]*timeout after 200 ms/)
})

test('the request, the trace waterfall, what the user saw and the environment are all on the page', () => {
  const { text } = render(typicalRecord(), ACCEPT.html)
  assert.match(text, /<th>expand<\/th><td>items<\/td>/, 'query')
  assert.match(text, /<th>user-agent<\/th><td>Mozilla\/5.0<\/td>/, 'headers')
  assert.match(text, /<th>theme<\/th><td>dark<\/td>/, 'cookies')
  assert.match(text, /<pre class="body">\{&quot;quantity&quot;:2/, 'body')
  assert.match(text, /<li class="span error d0">/, 'the server span at the top')
  assert.match(text, /<li class="span error failing d1">[\s\S]*?<span class="badge">failing<\/span> request handler - \/orders\/:id/, 'the failing span is marked, under its parent')
  assert.match(text, /<span class="op">postgresql: SELECT \* FROM orders WHERE id = \$1<\/span>/, 'database statements are readable')
  assert.match(text, /<span class="op">redis: GET session:\*{20}<\/span>/, 'Redis commands too')
  assert.match(text, /<span class="op">GET https:\/\/prices.internal\/v1\/sku\/42 → 503<\/span>/, 'and outgoing HTTP calls')
  assert.match(text, /<rect x="187.5" y="1" width="437.5"/, 'the pg span\'s bar starts at 9/48 and lasts 21/48 of the trace')
  assert.match(text, /<th>exception.type<\/th><td>TypeError<\/td>/, 'span events and their attributes open on expand')
  assert.match(text, /<section id="original">[\s\S]*<strong>500 Internal Server Error<\/strong>[\s\S]*&lt;h1&gt;Sorry, something went wrong.&lt;\/h1&gt;/, 'the app\'s own 500 with its body, as text')
  assert.match(text, /<th>set-cookie<\/th><td>\*{20}<\/td>/, 'its Set-Cookie is always hidden')
  assert.doesNotMatch(text, /visitor-session-abc/)
  assert.match(text, /<th>telemetry.sdk.language<\/th><td>nodejs<\/td>/, 'resource attributes')
  assert.match(text, /<th>NODE_ENV<\/th><td>production<\/td>/, 'environment variables')
})

test('the page carries the Markdown report, the traceback and the record for its copy buttons, and nothing to send them anywhere', () => {
  const { text } = render(typicalRecord(), ACCEPT.html)
  const data = embeddedData(text)
  assert.match(data.markdown, /^## `TypeError` at `\/orders\/42`/)
  assert.match(data.text, /^TypeError at \/orders\/42\n/)
  assert.equal(decodeRecord(JSON.stringify(data.record)).requestId, REQUEST_ID)
  assert.match(text, /<button type="button" data-copy="markdown"[^>]*>Copy as Markdown<\/button>/)
  assert.match(text, /<button type="button" data-save="record-4bf92f3577b34da6a3ce929d0e0e4736.json">Download JSON<\/button>/)
  assert.doesNotMatch(text, /<form|fetch\(|XMLHttpRequest|sendBeacon|<iframe|\ssrc=/i, 'no form, request, frame or external resource')
  assert.deepEqual(text.match(/<link[^>]*>/g), ['<link rel="icon" href="data:,">'], 'the only link is an empty icon, so the browser asks for no favicon')
  assert.doesNotMatch(text, /\son[a-z]+=/i, 'no inline event handlers')
  assert.doesNotMatch(text, /supertrace/i, 'no footer or anything else naming the tool')
})

test('curl gets a plain-text traceback: summary, frames with source under app frames, request, spans; no markup', () => {
  const { text, format, headers } = render(typicalRecord(), ACCEPT.text)
  assert.equal(format, 'text')
  assert.equal(headers['content-type'], 'text/plain; charset=utf-8')
  assert.match(text, /^TypeError at \/orders\/42\nException: +TypeError: Cannot read properties of undefined \(reading 'total'\)\nRaised at: +findOrder \(src\/orders.js:6:22\)/)
  assert.match(text, /    at findOrder \(src\/orders.js:6:22\)   <- raised here\n {8}3 \| export async function findOrder/)
  assert.match(text, /      > 6 \|   return order.total.toFixed\(2\)/)
  assert.match(text, /        Local variables:\n          id = '42'/)
  assert.match(text, /    at Layer.handle \(node_modules\/router\/lib\/layer.js:152:17\)\n/)
  assert.match(text, /The above exception \(Error: connection reset by peer\) was the direct cause of the following exception:/)
  assert.match(text, /  AggregateError member 1 of 2:\n\n  RangeError: price for SKU-1 out of range/)
  assert.match(text, /request handler - \/orders\/:id {2}\[error: Cannot read[^\n]*<- failing/)
  assert.match(text, /postgresql: SELECT \* FROM orders WHERE id = \$1/)
  assert.match(text, /What the user saw\n  500 Internal Server Error/)
  assert.doesNotMatch(text, /<(div|span|details|table|pre|code)\b/)
})

test('the Markdown report is compact: summary, only the app\'s frames with their source, the request and the spans', () => {
  const { text, format } = render(typicalRecord(), ACCEPT.markdown)
  assert.equal(format, 'markdown')
  assert.match(text, /^## `TypeError` at `\/orders\/42`\n\n```text\nCannot read properties/)
  assert.match(text, /- \*\*Raised at:\*\* `findOrder` in `src\/orders.js:6:22`/)
  assert.match(text, /### Stack \(app frames\)/)
  assert.match(text, /      > 6 \|   return order.total.toFixed\(2\)/)
  assert.match(text, /\(3 frames from node_modules and Node internals not shown\)/)
  assert.doesNotMatch(text, /Layer\.handle/, 'library frames are left out')
  assert.match(text, /### Request\n\n```http\nPOST \/orders\/42\?expand=items&token=\*{20}\nhost: shop.example/)
  assert.match(text, /### Spans\n\n```text\n/)
})

test('an API client gets the record as JSON, bounded, with the app\'s original response (Set-Cookie hidden)', () => {
  const { text, format } = render(typicalRecord(), ACCEPT.json)
  assert.equal(format, 'json')
  const body = JSON.parse(text) as { requestId: string, status: number, record: unknown, original: { headers: Array<[string, string]> } }
  assert.equal(body.requestId, REQUEST_ID)
  assert.equal(body.status, 500)
  assert.deepEqual(decodeRecord(JSON.stringify(body.record)), typicalRecord(), 'a record within the limits is served as stored')
  assert.deepEqual(body.original.headers.find(([n]) => n === 'set-cookie'), ['set-cookie', REDACTED])
})

test('with no record, the page says why, and the URL the proxy saw is shown with its secrets redacted', () => {
  for (const accept of Object.values(ACCEPT)) {
    const { text } = render(null, accept, { missingRecord: 'The app\'s 500 carried no record marker.' })
    assert.match(text, /carried no record marker/)
    assert.doesNotMatch(text, /proxy-side-secret-token/, `${accept}: the query secret is hidden`)
  }
})

test('frames link to the source only when SUPERTRACE_SOURCE_URL is set, and only when the commit it needs is known', () => {
  assert.doesNotMatch(render(typicalRecord(), ACCEPT.html, {}, { sourceUrl: undefined }).text, /href="https:/)
  const noCommit = typicalRecord()
  const { commit: _commit, ...processWithoutCommit } = noCommit.process
  assert.doesNotMatch(render({ ...noCommit, process: processWithoutCommit }, ACCEPT.html).text, /href="https:/)
  assert.match(render({ ...noCommit, process: processWithoutCommit }, ACCEPT.html, {}, { sourceUrl: 'https://git.example/shop/src/main/{file}?line={line}' }).text, /href="https:\/\/git.example\/shop\/src\/main\/src\/orders.js\?line=6"/)
})

test('a 500 the app sent without throwing says so, and still shows the request and the trace', () => {
  const record = { ...typicalRecord(), exceptions: [] }
  const { text } = render(record, ACCEPT.html)
  assert.match(text, /No exception was captured. Either the app answered 500 without throwing, or it threw inside a framework supertrace could not patch/)
  assert.match(text, /<title>500 at \/orders\/42<\/title>/)
  assert.match(text, /<section id="trace">/)
})

test('a record written before the request ended says so and links to where the complete one will be', () => {
  const { text } = render({ ...typicalRecord(), complete: false }, ACCEPT.html)
  assert.match(text, /still finishing this request[\s\S]*<a href="\/_supertrace\/requests\/4bf92f3577b34da6a3ce929d0e0e4736">/)
  assert.doesNotMatch(render(typicalRecord(), ACCEPT.html).text, /still finishing/)
})

test('a record that still holds secrets under sensitive names (say, from an older instrumentation) is redacted again by the proxy, in every format', () => {
  const r = typicalRecord()
  const leaky = {
    ...r,
    request: { ...r.request, url: '/orders/42?api_key=LEAK-1', query: [['api_key', 'LEAK-1']] as const, headers: [['authorization', 'Bearer LEAK-2']] as const, cookies: [['sessionid', 'LEAK-3']] as const },
    environment: [['STRIPE_SECRET_KEY', 'LEAK-4']] as const,
    resource: { 'deployment.token': 'LEAK-5' },
    spans: r.spans.map((s) => ({ ...s, attributes: { ...s.attributes, 'http.request.header.authorization': 'Bearer LEAK-6' } })),
  }
  for (const accept of Object.values(ACCEPT)) assert.doesNotMatch(render(leaky, accept).text, /LEAK-\d/, accept)
})
