/** The two outcomes of a 500 through the proxy, checked the same way by every lookup test. */
import assert from 'node:assert/strict'
import { get, visible, type RawResponse } from './http.ts'

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
