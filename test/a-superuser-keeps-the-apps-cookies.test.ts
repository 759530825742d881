/**
 * A 500 that sets cookies (a fresh CSRF token, a flash message) sets them for a superuser
 * too: the debug page replaces the app's response, not the session state it carried.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, visible } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startStack } from './helpers/processes.ts'
import { sendRaw } from './helpers/sockets.ts'

const APPS_COOKIES = ['Set-Cookie: csrftoken=k3Yf9; Path=/; SameSite=Lax', 'Set-Cookie: flash=Your%20order%20could%20not%20be%20saved; Path=/; HttpOnly']

/** The header lines of a raw HTTP/1.1 reply, as they came on the wire. */
function headerLines (reply: string): string[] {
  return reply.slice(0, reply.indexOf('\r\n\r\n')).split('\r\n').slice(1)
}

test('a superuser\'s debug page carries the app\'s Set-Cookie headers, all of them, in order, unchanged; everyone else\'s 500 is the app\'s own', async (t) => {
  const { app, proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js`, nodeFlags: [], superusers: ['boss'] })

  for (const accept of [ACCEPT.html, ACCEPT.json, ACCEPT.text]) {
    const reply = await sendRaw(proxy.port, `GET /fail-with-cookies HTTP/1.1\r\nHost: shop.example\r\nCookie: sessionid=boss\r\nAccept: ${accept}\r\nConnection: close\r\n\r\n`)
    const lines = headerLines(reply)
    assert.ok(lines.includes('cache-control: no-store, private'), `the debug page (${accept}):\n${reply.slice(0, 600)}`)
    assert.deepEqual(lines.filter((line) => /^set-cookie:/i.test(line)), APPS_COOKIES, `the page in ${accept} sets the app's cookies`)
  }

  const direct = await get(`${app.url}/fail-with-cookies`)
  assert.equal(direct.status, 500)
  for (const cookie of [undefined, 'sessionid=nobody']) {
    const proxied = await get(`${proxy.url}/fail-with-cookies`, cookie === undefined ? {} : { cookie })
    assert.deepEqual(visible(proxied), visible(direct), `${cookie ?? 'no session'}: the app's own 500, cookies and all`)
  }
})
