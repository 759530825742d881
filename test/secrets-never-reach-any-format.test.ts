import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RECENT_FAILURES_KEY, recordKey } from '../core/protocol.ts'
import { get } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startStack } from './helpers/processes.ts'
import { assertNoSecret } from './helpers/secrets.ts'

const SECRETS = {
  authorization: 'AUTH-SECRET-111',
  apiKey: 'APIKEY-SECRET-222',
  csrf: 'CSRF-SECRET-333',
  query: 'QUERY-SECRET-444',
  body: 'BODY-SECRET-555',
  env: 'ENV-SECRET-666',
  attribute: 'ATTRSECRET777', // the app sets it as a span attribute (test/apps/failures-app.js)
  session: 'ADMIN-SESSION-888',
} as const

/** POSTs the secrets-laden checkout through the proxy as a superuser, asking for `accept`. */
function failWithSecrets (proxyUrl: string, accept: string): Promise<Awaited<ReturnType<typeof fetch>>> {
  return fetch(`${proxyUrl}/secrets?token=${SECRETS.query}&page=2`, {
    method: 'POST',
    headers: {
      accept,
      authorization: `Bearer ${SECRETS.authorization}`,
      'x-api-key': SECRETS.apiKey,
      cookie: `sessionid=${SECRETS.session}; csrftoken=${SECRETS.csrf}; theme=dark`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ items: [1, 2, 3], password: SECRETS.body }),
  })
}

test('secrets in a header, X-Api-Key, csrftoken, the session cookie, ?token=, a body field, an env var, a local and a span attribute never appear in any format, live or looked up later', { timeout: 60_000 }, async (t) => {
  const { redis, proxy } = await startStack(t, {
    appFile: `${repoRoot}test/apps/failures-app.js`,
    appEnv: { SIGNING_SECRET: SECRETS.env, SUPERTRACE_CAPTURE_LOCALS: 'true' },
  })
  await redis.client.sadd('supertrace:superusers', SECRETS.session)

  const requestIds: string[] = []
  for (const [format, accept] of Object.entries(ACCEPT)) {
    const response = await failWithSecrets(proxy.url, accept)
    const text = await response.text()
    assert.equal(response.status, 500)
    assert.match(text, /checkout failed for a cart of 3/, `${format}: the live page shows the failure`)
    assert.match(text, /2/, `${format}: and the request's harmless values`)
    assertNoSecret(SECRETS, text, `the live ${format} page`)
    requestIds.push(response.headers.get('x-request-id') ?? '')
  }
  const [first] = requestIds
  const cookie = `sessionid=${SECRETS.session}`
  for (const [format, accept] of Object.entries(ACCEPT)) {
    const page = await get(`${proxy.url}/_supertrace/requests/${first}`, { cookie, accept })
    assert.equal(page.status, 200)
    assert.match(page.text, /checkout failed/)
    assertNoSecret(SECRETS, page.text, `the looked-up ${format} page`)
    const list = await get(`${proxy.url}/_supertrace/`, { cookie, accept })
    assert.equal(list.status, 200)
    assertNoSecret(SECRETS, list.text, `the ${format} list`)
  }
  const html = await get(`${proxy.url}/_supertrace/requests/${first}`, { cookie, accept: ACCEPT.html })
  assert.match(html.text, /<th>x-api-key<\/th><td>\*{20}<\/td>/, 'the page shows that the header was there, redacted')
  assert.match(html.text, /<th>csrftoken<\/th><td>\*{20}<\/td>/)
  assert.match(html.text, /<th>theme<\/th><td>dark<\/td>/)
  assert.match(html.text, /<th>SIGNING_SECRET<\/th><td>\*{20}<\/td>/)
  assert.match(html.text, /&quot;password&quot;:&quot;\*{20}&quot;/)
  assert.match(html.text, /<th>signingSecret<\/th><td>\*{20}<\/td><\/tr><tr><th>cartSize<\/th><td>3<\/td>/, 'locals are shown, the secret one redacted')
  assert.match(html.text, /<th>app.credential<\/th><td>\*{20}<\/td>/, 'and so is the span attribute')

  for (const id of requestIds) assertNoSecret(SECRETS, await redis.client.get(recordKey(id)) ?? '', 'the stored record')
  assert.equal(await redis.client.zcard(RECENT_FAILURES_KEY), requestIds.length)
})
