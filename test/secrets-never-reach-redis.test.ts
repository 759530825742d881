import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED } from '../core/record.ts'
import { loadInstrumentationConfig } from '../instrumentation/config.ts'
import { repoRoot, startApp, startRedis, type RunningRedis } from './helpers/processes.ts'
import { failRequest } from './helpers/records.ts'
import { assertNoSecret } from './helpers/secrets.ts'

const SECRETS = {
  authorization: 'sk_live_AUTHSECRET123456',
  apiKey: 'APIKEYSECRET987654',
  csrf: 'CSRFSECRET111',
  session: 'SESSIONSECRET222',
  query: 'QUERYSECRET333',
  body: 'BODYSECRET444',
  env: 'sk_test_ENVSECRET555',
  local: 'LOCALSECRET666',
  attribute: 'ATTRSECRET777',
  databasePassword: 'DBPASSWORD888',
  webhook: 'WEBHOOKSECRET999',
}

/** Every value of every key in Redis, whatever its type, as one text. */
async function everythingIn (redis: RunningRedis): Promise<string> {
  const parts: string[] = []
  for (const key of await redis.client.keys('*')) {
    const type = await redis.client.type(key)
    parts.push(key)
    if (type === 'string') parts.push(String(await redis.client.get(key)))
    else if (type === 'zset') parts.push(...await redis.client.zrange(key, '0', '-1'))
    else if (type === 'set') parts.push(...await redis.client.smembers(key))
    else if (type === 'hash') parts.push(JSON.stringify(await redis.client.hgetall(key)))
    else if (type === 'list') parts.push(...await redis.client.lrange(key, 0, -1))
  }
  return parts.join('\n')
}

test('secrets in headers, cookies, query, body, environment, locals and span attributes never reach Redis; their neighbours do', async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, `${repoRoot}test/apps/failures-app.js`, {
    SUPERTRACE_CAPTURE_LOCALS: 'true',
    STRIPE_SECRET_KEY: SECRETS.env,
    SIGNING_SECRET: SECRETS.local,
    DATABASE_URL: `postgres://shop:${SECRETS.databasePassword}@db.internal:5432/shop`,
    SHOP_NAME: 'Example shop',
    // A name the built-in list does not cover, added by the setting.
    SUPERTRACE_REDACT: 'WEBHOOK',
    SLACK_WEBHOOK: SECRETS.webhook,
  })

  const { status, record } = await failRequest(redis, `${app.url}/secrets?token=${SECRETS.query}&page=2`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${SECRETS.authorization}`,
      'x-api-key': SECRETS.apiKey,
      cookie: `csrftoken=${SECRETS.csrf}; sessionid=${SECRETS.session}; theme=dark`,
      'content-type': 'application/json',
      'accept-language': 'en-GB',
    },
    body: JSON.stringify({ email: 'shopper@example.com', password: SECRETS.body, items: [1, 2, 3] }),
  })
  assert.equal(status, 500)

  const stored = await everythingIn(redis)
  assertNoSecret(SECRETS, stored, 'Redis')

  // The neighbours are there, so the record really holds each part.
  assert.deepEqual(record.request.query, [['token', REDACTED], ['page', '2']])
  assert.ok(record.request.headers.some(([name, value]) => name.toLowerCase() === 'accept-language' && value === 'en-GB'))
  assert.ok(record.request.headers.some(([name, value]) => name.toLowerCase() === 'authorization' && value === REDACTED))
  assert.ok(record.request.headers.some(([name, value]) => name.toLowerCase() === 'x-api-key' && value === REDACTED))
  assert.deepEqual(record.request.cookies, [['csrftoken', REDACTED], ['sessionid', REDACTED], ['theme', 'dark']])
  assert.deepEqual(JSON.parse(record.request.body?.text ?? 'null'), { email: 'shopper@example.com', password: REDACTED, items: [1, 2, 3] })
  assert.equal(record.request.body?.contentType, 'application/json')
  const env = new Map(record.environment)
  assert.equal(env.get('SHOP_NAME'), 'Example shop')
  assert.equal(env.get('STRIPE_SECRET_KEY'), REDACTED)
  assert.equal(env.get('SLACK_WEBHOOK'), REDACTED)
  assert.equal(env.get('DATABASE_URL'), `postgres://${REDACTED}@db.internal:5432/shop`)

  const handler = record.exceptions[0]?.frames.find((f) => f.origin === 'app')
  const locals = new Map(handler?.locals?.map((l) => [l.name, l.value]))
  assert.equal(locals.get('cartSize'), '3', 'a harmless local variable is shown')
  assert.equal(locals.get('signingSecret'), REDACTED)
  assert.equal(locals.get('attributeSecret'), REDACTED)
  assert.match(locals.get('req') ?? '', /IncomingMessage/)

  const handlerSpan = record.spans.find((s) => s.attributes['app.cart_size'] !== undefined)
  assert.equal(handlerSpan?.attributes['app.cart_size'], 3)
  assert.equal(handlerSpan.attributes['app.credential'], REDACTED)
})

test('the instrumentation\'s settings are read once; a wrong one is named in a warning and its default used', async () => {
  const warnings: string[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning.message) }
  process.on('warning', onWarning)
  try {
    const config = loadInstrumentationConfig({ SUPERTRACE_CAPTURE_LOCALS: 'yes', SUPERTRACE_REDACT: 'DATABASE_URL, WEBHOOK', SUPERTRACE_COMMIT: '3f2c1a9' })
    assert.deepEqual([config.captureLocals, config.redact, config.commit], [true, ['DATABASE_URL', 'WEBHOOK'], '3f2c1a9'])
    const defaults = loadInstrumentationConfig({ SUPERTRACE_CAPTURE_LOCALS: 'maybe', SUPERTRACE_REDACT: 'a b' })
    assert.deepEqual([defaults.captureLocals, defaults.redact, defaults.commit], [false, [], ''])
    await new Promise((resolve) => setImmediate(resolve))
    assert.ok(warnings.some((w) => w.startsWith('SUPERTRACE_CAPTURE_LOCALS="maybe" is not valid')), warnings.join('\n'))
    assert.ok(warnings.some((w) => w.startsWith('SUPERTRACE_REDACT="a b" is not valid')))
  } finally {
    process.off('warning', onWarning)
  }
})

test('without SUPERTRACE_CAPTURE_LOCALS no local variables are recorded', async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, `${repoRoot}test/apps/failures-app.js`, { SIGNING_SECRET: SECRETS.local })
  const { record } = await failRequest(redis, `${app.url}/secrets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"items":[]}' })
  assert.ok(record.exceptions[0]?.frames.every((f) => f.locals === undefined))
})
