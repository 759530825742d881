/**
 * A Django site (sessions in Redis, SQLite, a cause chain) on the real OpenTelemetry Python
 * SDK and its zero-code instrumentation, exporting http/protobuf to `supertrace ingest`:
 * the recorded exports (test/helpers/otlp-samples.ts says where they are found), replayed for the request
 * the proxy sends. A superuser (found through Django's cached session) gets the debug page
 * with the original exception and its cause, the app's frames at their file and line, and
 * the request's database and Redis spans; anyone else the site's own 500.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { TraceRecord } from '../core/record.ts'
import { djangoSession, pickleSession } from './helpers/django-sessions.ts'
import { get, visible } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startApp, startIngest, startProxy, startRedis } from './helpers/processes.ts'
import { DJANGO_SAMPLES, skipWithoutDjangoSamples } from './helpers/otlp-samples.ts'

const SAMPLES = DJANGO_SAMPLES ?? ''
const ADMIN_KEY = 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6'
const VISITOR_KEY = 'zyxwvutsrqponmlkjihgfedcba987654'

test('a Django site exporting to supertrace ingest: the superuser gets the debug page of the real export, a visitor the site\'s own 500', { skip: skipWithoutDjangoSamples }, async (t) => {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superuser-ids', '1')
  await redis.client.set(`:1:django.contrib.sessions.cache${ADMIN_KEY}`, pickleSession(djangoSession('1'), 5))
  await redis.client.set(`:1:django.contrib.sessions.cache${VISITOR_KEY}`, pickleSession(djangoSession('2'), 5))
  const ingest = await startIngest(t, redis)
  const site = await startApp(t, redis, `${repoRoot}test/apps/django-replay.mjs`, { SAMPLE_FILE: `${SAMPLES}/order-fails.pb`, OTEL_EXPORTER_OTLP_ENDPOINT: ingest.url, EXPORT_DELAY_MS: '30' }, [])
  const proxy = await startProxy(t, site, redis, { SUPERTRACE_LOOKUP: 'django' })

  const page = await get(`${proxy.url}/orders/7/`, { cookie: `sessionid=${ADMIN_KEY}`, accept: ACCEPT.json })
  assert.equal(page.status, 500)
  const { record } = JSON.parse(page.text) as { record: TraceRecord | null }
  assert.ok(record !== null, `the page has the record: ${page.text.slice(0, 400)}`)
  assert.equal(record.language, 'python')
  assert.equal(record.service.name, 'shop')
  const [failure] = record.exceptions
  assert.equal(failure?.type, 'RuntimeError')
  assert.equal(failure?.message, 'cannot price order 7')
  assert.equal(failure?.cause?.type, 'KeyError', 'the cause chain: the KeyError it was raised from')
  assert.equal(failure?.cause?.causeKind ?? failure?.causeKind ?? 'cause', 'cause')
  const views = readFileSync(`${SAMPLES}/views.py`, 'utf8').split('\n')
  const lineOf = (text: string): number => views.findIndex((line) => line.includes(text)) + 1
  const raised = failure?.frames.find((frame) => frame.origin === 'app')
  assert.equal(raised?.file, '/app/shop/views.py')
  assert.equal(raised?.line, lineOf('raise RuntimeError'), 'the RuntimeError at the line of views.py that raised it')
  const keyError = failure?.cause?.frames.find((frame) => frame.origin === 'app')
  assert.equal(keyError?.function, 'discount_for')
  assert.equal(keyError?.line, lineOf('return DISCOUNTS[order.coupon]'))
  assert.ok(failure?.frames.some((frame) => frame.origin === 'library' && /django/.test(frame.file)), 'Django\'s own frames are told apart as a library\'s')
  const names = record.spans.map((span) => span.name)
  assert.ok(record.spans.some((span) => span.attributes['db.system'] === 'sqlite' || span.attributes['db.system.name'] === 'sqlite'), `the SQLite queries are in the waterfall: ${names.join(', ')}`)
  assert.ok(record.spans.some((span) => span.attributes['db.system'] === 'redis' || span.attributes['db.system.name'] === 'redis'), `the Redis calls are in the waterfall: ${names.join(', ')}`)

  const html = await get(`${proxy.url}/orders/7/`, { cookie: `sessionid=${ADMIN_KEY}`, accept: ACCEPT.html })
  assert.match(html.text, /cannot price order 7/)
  assert.match(html.text, /direct cause/, 'the page says how the two exceptions are linked, as Python does')

  const direct = await get(`${site.url}/orders/7/`)
  for (const cookie of [undefined, `sessionid=${VISITOR_KEY}`, 'sessionid=not-a-session']) {
    const proxied = await get(`${proxy.url}/orders/7/`, cookie === undefined ? {} : { cookie })
    assert.deepEqual(visible(proxied), visible(direct), `${cookie ?? 'no session'}: the site's own 500, byte for byte`)
  }
})
