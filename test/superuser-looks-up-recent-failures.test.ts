import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RECENT_FAILURES_KEY } from '../core/protocol.ts'
import { get, visible } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

const failuresApp = `${repoRoot}test/apps/failures-app.js`
const ADMIN = 'sessionid=lookup-admin-session'
const EXPIRED = 'ffffffffffffffffffffffffffffffff'

/** Waits until the app has stored the failure's record and listed it (under load the write can outlast the 500's hold). */
async function untilListed (client: { zscore: (key: string, member: string) => Promise<string | null> }, requestId: unknown): Promise<string> {
  assert.equal(typeof requestId, 'string')
  for (let i = 0; i < 250 && await client.zscore(RECENT_FAILURES_KEY, requestId as string) === null; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return requestId as string
}

/** How many SISMEMBER calls Redis has answered so far. */
async function superuserLookups (client: { info: (section: string) => Promise<string> }): Promise<number> {
  return Number(/cmdstat_sismember:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0)
}

test('a superuser sees recent failures newest first, each linking to its page, in every format; expired ones are skipped', { timeout: 60_000 }, async (t) => {
  const { redis, proxy } = await startStack(t, { appFile: failuresApp })
  await redis.client.sadd('supertrace:superusers', 'lookup-admin-session')
  const older = await untilListed(redis.client, (await get(`${proxy.url}/sync/7`)).headers['x-request-id'])
  const newer = await untilListed(redis.client, (await get(`${proxy.url}/cause`)).headers['x-request-id'])
  await redis.client.zadd(RECENT_FAILURES_KEY, Date.now() + 60_000, EXPIRED) // listed, but its record is gone

  const html = await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN, accept: ACCEPT.html })
  assert.equal(html.status, 200)
  assert.match(String(html.headers['content-type']), /^text\/html/)
  assert.equal(html.headers['cache-control'], 'no-store, private')
  const newerAt = html.text.indexOf(`href="/_supertrace/requests/${newer}"`)
  const olderAt = html.text.indexOf(`href="/_supertrace/requests/${older}"`)
  assert.ok(newerAt > 0 && olderAt > newerAt, 'both are listed, newest first')
  assert.match(html.text, /<strong>Error: could not start checkout<\/strong><\/a>\n<div><code>GET \/cause<\/code> <span class="muted">· 500 · \d{4}-/, 'exception, method, URL, status and time')
  assert.doesNotMatch(html.text, new RegExp(EXPIRED))

  const json = JSON.parse((await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN, accept: ACCEPT.json })).text) as { failures: Array<{ requestId: string, page: string, exception: string }> }
  assert.deepEqual(json.failures.map((f) => f.requestId), [newer, older])
  assert.equal(json.failures[1]?.page, `/_supertrace/requests/${older}`)
  assert.match((await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN, accept: ACCEPT.text })).text, new RegExp(`^Recent failures \\(2, newest first\\)[\\s\\S]*GET /cause\\n {4}Error: could not start checkout\\n {4}/_supertrace/requests/${newer}`))
  assert.match((await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN, accept: ACCEPT.markdown })).text, /^## Recent failures\n\n- .* · 500 · `GET \/cause` · `Error: could not start checkout`/)

  const page = await get(`${proxy.url}/_supertrace/requests/${newer}`, { cookie: ADMIN, accept: ACCEPT.html })
  assert.equal(page.status, 200)
  assert.match(page.text, /<title>Error at \/cause<\/title>/)
  assert.match(page.text, /was the direct cause of the following exception/)
  assert.doesNotMatch(page.text, /id="original"/, 'what the user saw is only known while the 500 passes through')
  for (const accept of [ACCEPT.json, ACCEPT.text, ACCEPT.markdown]) assert.match((await get(`${proxy.url}/_supertrace/requests/${newer}`, { cookie: ADMIN, accept })).text, /could not start checkout/)
  const head = await get(`${proxy.url}/_supertrace/requests/${newer}`, { cookie: ADMIN, accept: ACCEPT.html }, 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0)
  assert.equal(head.headers['content-length'], String(page.body.length))

  const gone = await get(`${proxy.url}/_supertrace/requests/${EXPIRED}`, { cookie: ADMIN, accept: ACCEPT.text })
  assert.equal(gone.status, 404)
  assert.match(gone.text, /No record is stored under this request ID/)
})

test('for anyone but a superuser, and for any other method or path, /_supertrace is the app\'s like any path; without a cookie Redis is not even asked', { timeout: 60_000 }, async (t) => {
  const { redis, app, proxy } = await startStack(t, { appFile: failuresApp })
  await redis.client.sadd('supertrace:superusers', 'lookup-admin-session')
  const stored = (await get(`${proxy.url}/sync/7`)).headers['x-request-id']
  const paths = ['/_supertrace/', '/_supertrace', `/_supertrace/requests/${stored}`, '/_supertrace/?format=json']
  const compare = async (path: string, headers: Record<string, string>, method = 'GET'): Promise<void> => {
    const proxied = await get(`${proxy.url}${path}`, headers, method)
    const direct = await get(`${app.url}${path}`, headers, method)
    assert.deepEqual(visible(proxied), visible(direct), `${method} ${path} with ${JSON.stringify(headers)}`)
  }

  const before = await superuserLookups(redis.client)
  for (const path of paths) await compare(path, { accept: ACCEPT.html })
  assert.equal(await superuserLookups(redis.client), before, 'no cookie: no superuser lookup')

  for (const path of paths) await compare(path, { cookie: 'sessionid=someone-else', accept: ACCEPT.html })
  await compare('/_supertrace/', { cookie: ADMIN }, 'POST')
  await compare('/_supertrace/requests/not-an-id', { cookie: ADMIN })
  await compare('/_supertrace/elsewhere', { cookie: ADMIN })
  await compare('/_supertracex/', { cookie: ADMIN })
  await compare(`/_supertrace/requests/${stored}/`, { cookie: ADMIN })

  await redis.stop()
  for (const path of paths) await compare(path, { cookie: ADMIN, accept: ACCEPT.html })
})

test('SUPERTRACE_PAGES_PREFIX moves the pages; the default path then belongs to the app', { timeout: 60_000 }, async (t) => {
  const { redis, app, proxy } = await startStack(t, { appFile: failuresApp, proxyEnv: { SUPERTRACE_PAGES_PREFIX: '/ops/failures' } })
  await redis.client.sadd('supertrace:superusers', 'lookup-admin-session')
  const failed = await untilListed(redis.client, (await get(`${proxy.url}/sync/7`)).headers['x-request-id'])

  const list = await get(`${proxy.url}/ops/failures/`, { cookie: ADMIN, accept: ACCEPT.html })
  assert.equal(list.status, 200)
  assert.ok(list.text.includes(`href="/ops/failures/requests/${failed}"`))
  assert.deepEqual(visible(await get(`${proxy.url}/_supertrace/`, { cookie: ADMIN })), visible(await get(`${app.url}/_supertrace/`, { cookie: ADMIN })))
})
