import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { get, login, visible } from './helpers/http.ts'
import { startStack } from './helpers/processes.ts'

test('an exception message with <script> arrives escaped on the debug page', async (t) => {
  const { proxy } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')
  const payload = '<script>alert(1)</script><img src=x onerror=alert(2)>"\''

  const page = await get(`${proxy.url}/echo-error?message=${encodeURIComponent(payload)}`, { cookie, accept: 'text/html' })

  assert.equal(page.status, 500)
  assert.ok(!page.text.includes('<script>alert'), 'no live script tag')
  assert.ok(!page.text.includes('<img src=x'), 'no live img tag')
  assert.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;'))
})

test('cookies that look like patterns, are huge, repeated or malformed never make anyone a superuser, nor crash the proxy', async (t) => {
  const { redis, app, proxy } = await startStack(t)
  await redis.client.sadd('supertrace:superusers', 'real-admin-session', '*')
  const hostile = [
    'sessionid=real-admin-*',
    'sessionid=real*',
    'sessionid=?eal-admin-session',
    'sessionid=[r]eal-admin-session',
    `sessionid=${'a'.repeat(8000)}`,
    'sessionid=; sessionid=real-admin-session',
    'sessionid',
    '=real-admin-session',
    'xsessionid=real-admin-session',
    'sessionid=%00%0d%0a',
    'sessionid="real-admin-session',
  ]
  for (const cookie of hostile) {
    const direct = await get(`${app.url}/orders/42`, { cookie })
    const proxied = await get(`${proxy.url}/orders/42`, { cookie })
    assert.deepEqual(visible(proxied), visible(direct), `cookie ${cookie.slice(0, 40)} gets the app's own 500`)
  }
  const superuser = await get(`${proxy.url}/orders/42`, { cookie: 'sessionid=real-admin-session' })
  assert.match(superuser.text, /TypeError at/, 'while the real session still works')
})

test('a request with a Transfer-Encoding other than chunked is refused with 501, and the proxy keeps serving', async (t) => {
  const { proxy } = await startStack(t)

  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => {
      socket.end('POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n')
    })
    let data = ''
    socket.on('data', (chunk: Buffer) => { data += chunk.toString() })
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
  })

  assert.match(reply, /^HTTP\/1\.1 501 /)
  assert.equal((await get(`${proxy.url}/hello`)).status, 200)
})

test('hop-by-hop headers, and headers that Connection names, are not forwarded', async (t) => {
  const { proxy } = await startStack(t, { appFile: new URL('./apps/plain-app.js', import.meta.url).pathname })

  const response = await get(`${proxy.url}/headers`, { connection: 'keep-alive, x-secret-hop', 'x-secret-hop': 'drop me', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', 'x-kept': 'yes' })

  const seen = JSON.parse(response.text) as { headers: Record<string, string> }
  assert.equal(seen.headers['x-secret-hop'], undefined)
  assert.equal(seen.headers['proxy-connection'], undefined)
  assert.equal(seen.headers['keep-alive'], undefined)
  assert.equal(seen.headers['x-kept'], 'yes')
})
