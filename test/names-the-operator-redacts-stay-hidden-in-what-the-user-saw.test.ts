import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED } from '../core/record.ts'
import { get } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startStack, type RunningProxy } from './helpers/processes.ts'
import { assertNoSecret } from './helpers/secrets.ts'

/** Names no built-in rule knows: only the operator's SUPERTRACE_REDACT says they are secret. */
const REDACT = { SUPERTRACE_REDACT: 'tenant-ref,account_number' }
const SECRETS = { header: 'TENANT-REF-SECRET-1', body: 'ACCOUNT-SECRET-2', query: 'TENANT-QUERY-SECRET-3' } as const
const SESSION = 'operator-redact-admin-session'
const bounded = { timeout: 60_000 }

/** The superuser's failing transfer (test/apps/failures-app.js answers 500 with the header and the body field), in one format. */
async function failTransfer (proxy: RunningProxy, accept: string): Promise<{ status: number, text: string, requestId: string }> {
  const response = await fetch(`${proxy.url}/transfer?tenant-ref=${SECRETS.query}&page=2`, {
    method: 'POST',
    headers: { accept, cookie: `sessionid=${SESSION}`, 'content-type': 'application/json', 'x-tenant-ref': SECRETS.header },
    body: JSON.stringify({ account_number: SECRETS.body, amount: 125 }),
  })
  return { status: response.status, text: await response.text(), requestId: response.headers.get('x-request-id') ?? '' }
}

/** What the page says the user saw: the app's original headers and body preview (JSON format). */
function originalOf (jsonPage: string): { headers: Array<[string, string]>, bodyPreview: string } {
  return (JSON.parse(jsonPage) as { original: { headers: Array<[string, string]>, bodyPreview: string } }).original
}

/** Every format of the live page, then of the stored page and the list: no secret anywhere, the named values shown hidden. */
async function assertHiddenEverywhere (proxy: RunningProxy): Promise<void> {
  let requestId = ''
  for (const [format, accept] of Object.entries(ACCEPT)) {
    const page = await failTransfer(proxy, accept)
    assert.equal(page.status, 500)
    assert.match(page.text, /\/transfer\?tenant-ref=\*{20}&(amp;)?page=2/, `${format}: the page shows the request, the named query value hidden`)
    assertNoSecret(SECRETS, page.text, `the live ${format} page`)
    if (format === 'json') {
      const original = originalOf(page.text)
      assert.deepEqual(original.headers.find(([name]) => name === 'x-tenant-ref'), ['x-tenant-ref', REDACTED], 'the header is shown, its value hidden')
      assert.match(original.bodyPreview, /"account_number":"\*{20}","amount":125/, 'the field is shown, its value hidden, its neighbour kept')
    }
    requestId = page.requestId
  }
  const cookie = `sessionid=${SESSION}`
  for (const [format, accept] of Object.entries(ACCEPT)) {
    const stored = await get(`${proxy.url}/_supertrace/requests/${requestId}`, { cookie, accept })
    assert.equal(stored.status, 200)
    assertNoSecret(SECRETS, stored.text, `the stored ${format} page`)
    const list = await get(`${proxy.url}/_supertrace/`, { cookie, accept })
    assert.match(list.text, /\/transfer/)
    assertNoSecret(SECRETS, list.text, `the ${format} list of recent failures`)
  }
}

test('SUPERTRACE_REDACT set on the app and the proxy: the 500\'s header and JSON field it names are hidden in what the user saw, on the live and the stored pages, in every format', bounded, async (t) => {
  const { redis, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/failures-app.js`, appEnv: REDACT, proxyEnv: REDACT })
  await redis.client.sadd('supertrace:superusers', SESSION)
  await assertHiddenEverywhere(proxy)
})

test('SUPERTRACE_REDACT set on the proxy only (the app was deployed without it): the record\'s named header, query value and body field are hidden on every page all the same', bounded, async (t) => {
  const { redis, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/failures-app.js`, proxyEnv: REDACT })
  await redis.client.sadd('supertrace:superusers', SESSION)
  await assertHiddenEverywhere(proxy)
})

test('an app without the instrumentation: the proxy\'s SUPERTRACE_REDACT alone hides the named header, JSON field and query value it shows', bounded, async (t) => {
  const { redis, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/failures-app.js`, nodeFlags: [], proxyEnv: REDACT })
  await redis.client.sadd('supertrace:superusers', SESSION)

  for (const [format, accept] of Object.entries(ACCEPT)) {
    const page = await failTransfer(proxy, accept)
    assert.equal(page.status, 500)
    assertNoSecret(SECRETS, page.text, `the ${format} page without a record`)
    if (format === 'html') {
      assert.match(page.text, /\/transfer\?tenant-ref=\*{20}&amp;page=2/, 'the URL the proxy saw, the named query value hidden')
      assert.match(page.text, /the transfer was refused/, 'and what the user saw')
    }
    if (format === 'json') {
      const original = originalOf(page.text)
      assert.deepEqual(original.headers.find(([name]) => name === 'x-tenant-ref'), ['x-tenant-ref', REDACTED])
      assert.match(original.bodyPreview, /"account_number":"\*{20}","amount":125/)
    }
  }
})
