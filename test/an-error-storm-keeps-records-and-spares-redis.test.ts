import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { RECORD_OUTCOMES_KEY, recordKey } from '../core/protocol.ts'
import { decodeStored, isRepeat } from '../core/record.ts'
import { FULL_RECORDS_PER_FAILURE } from '../storage/repeats.ts'
import { get, login } from './helpers/http.ts'
import { scrape } from './helpers/metrics.ts'
import { startApp, startRedis, startStack, type RunningHttp, type RunningRedis } from './helpers/processes.ts'

/** Sends the requests all at once, each with a fresh trace ID (as the proxy would); returns the IDs. */
async function burst (app: RunningHttp, paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map(async (path) => {
    const requestId = randomBytes(16).toString('hex')
    const response = await fetch(`${app.url}${path}`, { headers: { traceparent: `00-${requestId}-${randomBytes(8).toString('hex')}-01` } })
    await response.arrayBuffer()
    assert.equal(response.status, 500)
    return requestId
  }))
}

/** The records stored for `ids`, once every request's outcome is counted (each failed request is counted once). */
async function storedRecords (redis: RunningRedis, app: RunningHttp, ids: readonly string[]): Promise<string[]> {
  const counted = async (): Promise<number> => Object.values(await redis.client.hgetall(RECORD_OUTCOMES_KEY)).reduce((sum, n) => sum + Number(n), 0)
  await app.waitUntil(`counting the outcomes of ${ids.length} failures`, async () => await counted() >= ids.length)
  const stored = await Promise.all(ids.map((id) => redis.client.get(recordKey(id))))
  return stored.filter((json) => json !== null)
}

/** What the keys of records hold in Redis, as Redis itself counts it (key, value, overhead). */
async function recordMemory (redis: RunningRedis): Promise<number> {
  let bytes = 0
  for await (const keys of redis.client.scanStream({ match: 'supertrace:trace:*', count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of keys) bytes += Number(await redis.client.memory('USAGE', key) ?? 0)
  }
  return bytes
}

test('a burst of 128 concurrent failing requests, four times over, keeps a record of each', async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis)

  const ids: string[] = []
  for (let round = 0; round < 4; round++) ids.push(...await burst(app, Array.from({ length: 128 }, () => '/orders/42')))
  const stored = await storedRecords(redis, app, ids)

  assert.ok(stored.length >= 0.99 * ids.length, `${stored.length} of ${ids.length} failures kept a record`)
  const repeats = stored.map(decodeStored).filter(isRepeat)
  assert.equal(stored.length - repeats.length, FULL_RECORDS_PER_FAILURE, 'the same failure over and over keeps a few full records, and the rest are repeats of them')
  assert.ok(repeats.every((r) => Buffer.byteLength(JSON.stringify(r)) < 400), 'a repeat is a few hundred bytes')
  const outcomes = await redis.client.hgetall(RECORD_OUTCOMES_KEY)
  assert.equal(Number(outcomes.repeat), repeats.length)
  assert.equal(outcomes.dropped_queue_full, undefined, 'nothing was dropped')
  assert.doesNotMatch(app.output, /dropped/)
})

test('a storm of distinct failures far over the budget adds no more than the budget to Redis: records are shrunk, then dropped and counted', async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, undefined, { SUPERTRACE_RECORD_BUDGET_MB: '1' })

  // Each message differs in letters, so no failure repeats another.
  const word = (n: number): string => n.toString(26).replace(/\d/g, (d) => String.fromCharCode(113 + Number(d))).padStart(4, '_')
  const ids: string[] = []
  for (let round = 0; round < 8; round++) {
    ids.push(...await burst(app, Array.from({ length: 64 }, (_, i) => `/echo-error?message=${word(round * 64 + i)}&filler=${'x'.repeat(2000)}`)))
  }
  const stored = await storedRecords(redis, app, ids)

  const budget = 1_000_000
  const used = await recordMemory(redis)
  assert.ok(used <= budget, `the records take ${used} bytes in Redis, within SUPERTRACE_RECORD_BUDGET_MB=1`)
  const outcomes = await redis.client.hgetall(RECORD_OUTCOMES_KEY)
  assert.ok(Number(outcomes.full) > 0 && Number(outcomes.shrunk) > 0 && Number(outcomes.dropped_over_budget) > 0, JSON.stringify(outcomes))
  assert.equal(outcomes.repeat, undefined, 'no failure repeats another')
  assert.equal(Number(outcomes.full) + Number(outcomes.shrunk), stored.length, 'every stored record is counted as full or shrunk')
  assert.equal(Number(outcomes.full) + Number(outcomes.shrunk) + Number(outcomes.dropped_over_budget), ids.length, 'and every failure is counted once')
  const shrunk = stored.map(decodeStored).find((r) => !isRepeat(r) && r.truncated.includes('environment'))
  assert.ok(shrunk !== undefined && !isRepeat(shrunk) && shrunk.exceptions[0]?.type === 'Error', 'a shrunk record still has the exception')
  assert.match(app.output, /the Redis budget for records \(SUPERTRACE_RECORD_BUDGET_MB/)
})

test('a superuser whose failure repeats an earlier one sees the full exception on its page, under its own request ID', async (t) => {
  const { proxy, redis } = await startStack(t)
  const cookie = await login(proxy.url, 'admin')

  const pages = []
  for (let i = 0; i <= FULL_RECORDS_PER_FAILURE; i++) pages.push(await get(`${proxy.url}/orders/${40 + i}`, { cookie, accept: 'text/html' }))
  const last = pages.at(-1)
  const lastId = String(last?.headers['x-request-id'])
  const stored = decodeStored(String(await redis.client.get(recordKey(lastId))))

  assert.ok(isRepeat(stored), 'a failure of the same kind past the full records a minute keeps is stored as a repeat')
  assert.equal(stored.sameAs, pages[0]?.headers['x-request-id'], 'of the first')
  assert.equal(last?.status, 500)
  assert.match(last?.text ?? '', new RegExp(`<h1>TypeError at /orders/${40 + FULL_RECORDS_PER_FAILURE}</h1>`))
  assert.match(last?.text ?? '', /Cannot read properties of undefined \(reading &#39;total&#39;\)/)
  assert.ok(last?.text.includes(`<code>${lastId}</code>`), 'the page shows this request\'s ID')
  assert.ok(last?.text.includes(`repeat of request ${stored.sameAs}`), 'and says which request\'s record it shows')
  const metrics = await scrape(proxy.adminUrl)
  assert.equal(metrics.get('supertrace_app_records_total{outcome="repeat"}'), 1)
  assert.equal(metrics.get('supertrace_app_records_total{outcome="full"}'), FULL_RECORDS_PER_FAILURE)
})

test('when failures outrun the writes to an idle Redis, the log says so and does not blame Redis', async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, undefined, { SUPERTRACE_RECORDS_IN_FLIGHT: '1' })

  await burst(app, Array.from({ length: 64 }, () => '/orders/42'))
  await app.waitFor('were dropped because')

  const warnings = app.output.split('\n').filter((line) => line.includes('dropped')).map((line) => JSON.parse(line) as { level: string, msg: string, code?: string })
  assert.ok(warnings.length > 0)
  for (const warning of warnings) {
    assert.equal(warning.level, 'warn')
    assert.match(warning.msg, /requests fail faster than their records can be written \(Redis answered every write within \d+ ms\)/)
    assert.doesNotMatch(warning.msg, /Redis (is|was) slow/)
    assert.equal(warning.code, undefined, 'no ST_REDIS: Redis did nothing wrong')
  }
})
