/** The two outcomes of a 500 through the proxy, checked the same way by every lookup test. */
import assert from 'node:assert/strict'
import type { Redis } from 'ioredis'
import { recordKey } from '../../core/protocol.ts'
import { get, visible, type RawResponse } from './http.ts'
import { ACCEPT } from './pages.ts'

/** The request gets supertrace's debug page, not the app's 500. */
export async function assertDebugPage (proxyUrl: string, path: string, cookie: string, why: string): Promise<RawResponse> {
  const page = await get(`${proxyUrl}${path}`, { cookie, accept: 'text/html' })
  assert.equal(page.status, 500, why)
  assert.match(page.text, /<h1>[^<]* at \//, `${why}: the debug page`)
  assert.equal(page.headers['cache-control'], 'no-store, private', why)
  return page
}

/** The request through the proxy gets exactly what the app sends directly: status, headers and body bytes. */
export async function assertAppsOwn500 (proxyUrl: string, appUrl: string, path: string, cookie: string, why: string): Promise<void> {
  const direct = await get(`${appUrl}${path}`, { cookie })
  const proxied = await get(`${proxyUrl}${path}`, { cookie })
  assert.equal(direct.status, 500, `${why}: the app fails`)
  assert.deepEqual(visible(proxied), visible(direct), `${why}: the app's own 500, byte for byte`)
}

/**
 * Through a proxy in front of test/apps/failures-app.js, both on one Redis deployment: the superuser's 500
 * is the debug page of the record the app stored on `master`, and a visitor's the app's own.
 */
export async function assertPagesOfStoredRecords (proxyUrl: string, appUrl: string, master: Redis, superuserCookie: string, why: string): Promise<void> {
  const page = await get(`${proxyUrl}/sync/2`, { cookie: superuserCookie, accept: ACCEPT.text })
  assert.equal(page.status, 500)
  assert.equal(page.headers['cache-control'], 'no-store, private', `${why}: the debug page`)
  assert.match(page.text, /findOrder/, `${why}: with the record the app wrote, its frames`)
  assert.doesNotMatch(page.text, /No record from the app/)
  assert.equal(await master.exists(recordKey(String(page.headers['x-request-id']))), 1, `${why}: the record is on the master`)
  await assertAppsOwn500(proxyUrl, appUrl, '/sync/3', 'sessionid=someone-else', `${why}: a visitor`)
}
