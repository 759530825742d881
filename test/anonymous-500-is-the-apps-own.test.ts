import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, login, visible } from './helpers/http.ts'
import { startStack } from './helpers/processes.ts'

for (const [who, cookieFor] of [
  ['a visitor with no session', async () => undefined],
  ['a logged-in user who is not a superuser', async (proxyUrl: string) => login(proxyUrl, 'alice')],
  ['someone with a made-up session cookie', async () => 'sessionid=not-a-real-session'],
] as const) {
  test(`${who} gets the app's own 500, byte for byte`, async (t) => {
    const { app, proxy } = await startStack(t)
    const cookie = await cookieFor(proxy.url)
    const headers = cookie === undefined ? {} : { cookie }

    for (const path of ['/orders/42', '/maintenance']) {
      const direct = await get(`${app.url}${path}`, headers)
      const proxied = await get(`${proxy.url}${path}`, headers)

      assert.equal(proxied.status, 500)
      assert.deepEqual(visible(proxied), visible(direct), `${path} through the proxy is the app's own 500`)
      assert.equal(proxied.headers['x-supertrace-record'], undefined, 'less the instrumentation\'s marker')
      assert.match(String(proxied.headers['x-request-id']), /^[0-9a-f]{32}$/)
    }
  })
}

test('a HEAD request that fails gets the headers of the app\'s 500 and no body', async (t) => {
  const { app, proxy } = await startStack(t)

  const direct = await get(`${app.url}/maintenance`, { cookie: 'sessionid=x' }, 'HEAD')
  const proxied = await get(`${proxy.url}/maintenance`, { cookie: 'sessionid=x' }, 'HEAD')

  assert.deepEqual(visible(proxied), visible(direct))
  assert.equal(proxied.body.length, 0)
})
