import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { ACCEPT, markdownOutsideCode } from './helpers/pages.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

type Format = keyof typeof ACCEPT

/** What each kind of real failure must show, in every format (HTML escapes quotes, hence the `html` variants). */
const FAILURES: ReadonlyArray<{ path: string, shows: readonly RegExp[], html?: readonly RegExp[] }> = [
  { path: '/sync/7', shows: [/TypeError/, /findOrder/, /return orders\[id\]\.lines \/\/ the throwing line/, /failures-app\.js:\d+/] },
  { path: '/async?amount=12', shows: [/RangeError/, /cannot charge 12/, /async /, /chargeCard/] },
  { path: '/next', shows: [/report generation failed/] },
  { path: '/cause', shows: [/SyntaxError/, /config is unreadable/, /could not start checkout/, /was the direct cause of the following exception/] },
  { path: '/aggregate', shows: [/AggregateError/, /every backend failed/, /AggregateError member 1 of 2/, /inventory is down/, /AggregateError member 2 of 2/, /pricing returned nothing/] },
  { path: '/thrown-string', shows: [/out of stock/] },
  { path: '/after-calls?token=abc123', shows: [/the upstream answer was not enough/, /redis: set failures-app:visits/, /GET http:\/\/127\.0\.0\.1:\d+\/ok\?token=\*{20} → 200/] },
]

test('real failures of a real app (sync, async, next(err), a cause chain, an AggregateError, a thrown string, after Redis and HTTP calls) show what they must in every format', { timeout: 90_000 }, async (t) => {
  const { proxy, redis } = await startStack(t, { appFile: `${repoRoot}test/apps/failures-app.js` })
  await redis.client.sadd('supertrace:superusers', 'render-admin')
  for (const failure of FAILURES) {
    for (const format of Object.keys(ACCEPT) as Format[]) {
      const page = await get(`${proxy.url}${failure.path}`, { cookie: 'sessionid=render-admin', accept: ACCEPT[format] })
      assert.equal(page.status, 500)
      const text = format === 'json' ? JSON.stringify(JSON.parse(page.text)) : page.text.replaceAll('&gt;', '>').replaceAll('&lt;', '<').replaceAll('&#39;', '\'')
      // JSON holds the record, not the page's sentences and summary lines.
      const shows = failure.shows.filter((pattern) => !(format === 'json' && /direct cause|member \d|redis: |→/.test(pattern.source)))
      for (const pattern of shows) assert.match(text, pattern, `${failure.path} as ${format} shows ${pattern}`)
      if (format === 'markdown') assert.doesNotMatch(markdownOutsideCode(page.text), /<[a-z]/i, 'no markup outside code in the Markdown')
      assert.doesNotMatch(page.text, /abc123/, `${failure.path} as ${format}: the token is hidden`)
    }
  }
})
