import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { ReplyError } from 'ioredis'
import { ErrorCodes, RedisBreakerOpenError } from '../core/errors.ts'
import { Logger } from '../core/log.ts'
import { RedisBreaker, type BreakerState } from '../proxy/superuser/redis-breaker.ts'

// The state machine on its own, with the outcomes of commands given as settled promises;
// test/redis-faults-trip-the-breaker.test.ts shows it in the proxy against a real Redis.
const timedOut = (): Promise<never> => Promise.reject(new Error('Command timed out'))

async function fail (breaker: RedisBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    breaker.admit()
    await breaker.watch(timedOut()).catch(() => {})
  }
}

test('the breaker opens after its number of failures in a row, then refuses every command at once with ST_REDIS', async () => {
  const breaker = new RedisBreaker({ failures: 3, cooldownMs: 60_000, logger: new Logger('proxy') })
  const states: BreakerState[] = []
  breaker.on('change', (state) => states.push(state))
  await fail(breaker, 2)
  assert.equal(breaker.state, 'closed')
  await fail(breaker, 1)

  assert.equal(breaker.state, 'open')
  assert.throws(() => breaker.admit(), (err: unknown) => err instanceof RedisBreakerOpenError && err.code === ErrorCodes.REDIS)
  assert.equal(breaker.skipped, 1)
  assert.deepEqual(states, ['open'])
  breaker.close()
})

test('a reply from Redis, even an error reply, resets the count of failures in a row', async () => {
  const breaker = new RedisBreaker({ failures: 2, cooldownMs: 60_000, logger: new Logger('proxy') })
  await fail(breaker, 1)
  breaker.admit()
  await breaker.watch(Promise.reject(new ReplyError('NOSCRIPT No matching script'))).catch(() => {})
  await fail(breaker, 1)

  assert.equal(breaker.state, 'closed')
})

test('after its cooldown the breaker is half-open: one probe goes through, the others are refused, and the probe\'s reply closes it', async () => {
  const breaker = new RedisBreaker({ failures: 1, cooldownMs: 20, logger: new Logger('proxy') })
  await fail(breaker, 1)
  await once(breaker, 'change')
  assert.equal(breaker.state, 'half-open')

  breaker.admit() // the probe
  assert.throws(() => breaker.admit(), RedisBreakerOpenError)
  assert.equal(await breaker.watch(Promise.resolve(1)), 1)

  assert.equal(breaker.state, 'closed')
  breaker.admit()
})

test('a probe that fails opens the breaker again for another cooldown', async () => {
  const breaker = new RedisBreaker({ failures: 1, cooldownMs: 20, logger: new Logger('proxy') })
  await fail(breaker, 1)
  await once(breaker, 'change')

  await fail(breaker, 1)

  assert.equal(breaker.state, 'open')
  assert.throws(() => breaker.admit(), RedisBreakerOpenError)
  breaker.close()
})
