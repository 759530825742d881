import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED } from '../core/record.ts'
import { get } from './helpers/http.ts'
import { repoRoot, startApp, startRedis } from './helpers/processes.ts'
import { failRequest } from './helpers/records.ts'

const APP = `${repoRoot}test/apps/express-session-app.js`

test('a request that reads its session through connect-redis (node-redis) and then fails has the session read in its trace, the session ID hidden', { timeout: 30_000 }, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, APP, { SESSION_SECRETS: JSON.stringify(['keyboard cat']) })
  const cookie = (await get(`${app.url}/login?user=ada`)).headers['set-cookie']?.[0]?.split(';')[0] ?? ''
  assert.match(cookie, /^connect\.sid=s%3A/)

  const { status, record } = await failRequest(redis, `${app.url}/orders/7`, { headers: { cookie } })

  assert.equal(status, 500)
  const read = record.spans.find((s) => s.kind === 'client' && s.name === 'redis-GET')
  assert.ok(read !== undefined, `the session read is a Redis span; the spans are ${record.spans.map((s) => `${s.kind} ${s.name}`).join(', ')}`)
  const ids = new Set(record.spans.map((s) => s.spanId))
  assert.ok(ids.has(read.parentSpanId ?? ''), 'the Redis span is a child within the request')
  // The command and its key's prefix; the rest of the key is the session ID, which would log its holder in.
  assert.equal(read.attributes['db.query.text'], `GET sess:${REDACTED}`)
})
