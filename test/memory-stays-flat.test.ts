import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { test } from 'node:test'
import { decodeRecord } from '../core/record.ts'
import { recordKey } from '../core/protocol.ts'
import { LIMITS } from '../instrumentation/record/limits.ts'
import { superuserRecord } from './helpers/failures.ts'
import { upgrade } from './helpers/http.ts'
import { INSTRUMENTED, repoRoot, startApp, startProxy, startRedis, type RunningHttp } from './helpers/processes.ts'

const appFile = `${repoRoot}test/apps/long-lived.mjs`

/** One request; `abortAfterFirstChunk` reads the start of a stream and hangs up, as a closed browser tab does. */
function hit (app: RunningHttp, agent: Agent, path: string, abortAfterFirstChunk = false): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${app.url}${path}`, { agent }, (res) => {
      if (abortAfterFirstChunk) {
        res.once('data', () => { req.destroy(); resolve() })
      } else {
        res.resume()
        res.on('end', resolve)
      }
    })
    req.on('error', () => resolve())
    req.end()
  })
}

/** A WebSocket-style upgrade that echoes one message and is closed by the client. */
async function upgradeAndEcho (app: RunningHttp): Promise<void> {
  const { socket } = await upgrade(`${app.url}/socket`)
  if (socket === undefined) throw new Error('the app refused the upgrade')
  socket.write('ping')
  await once(socket, 'data')
  socket.destroy()
}

/** `count` requests, `concurrency` at a time: mostly short successes, some failures, abandoned streams and upgrades. */
async function traffic (app: RunningHttp, count: number, concurrency = 32): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++
      if (i % 50 === 0) await hit(app, agent, '/events', true)
      else if (i % 100 === 1) await upgradeAndEcho(app)
      else if (i % 20 === 2) await hit(app, agent, '/fail')
      else await hit(app, agent, '/ok')
    }
  }))
  agent.destroy()
}

async function heapUsed (app: RunningHttp): Promise<number> {
  const response = await fetch(`${app.url}/heap`)
  return ((await response.json()) as { heapUsed: number }).heapUsed
}

test('many thousands of requests, concurrent, with failures, abandoned streams and upgrades: the app\'s heap after GC stays flat (no request\'s spans are kept)', async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, appFile, { SUPERTRACE_HOLD_MS: '0' }, ['--expose-gc', ...INSTRUMENTED])

  await traffic(app, 2000)
  const early = await heapUsed(app)
  await traffic(app, 8000)
  const late = await heapUsed(app)

  // A leak of the spans of 8000 requests would be tens of MB; GC noise is well under 4 MB.
  t.diagnostic(`heap after GC: ${(early / 1e6).toFixed(1)} MB after 2000 requests, ${(late / 1e6).toFixed(1)} MB after 8000 more`)
  assert.ok(late - early < 4e6, `heap grew by ${((late - early) / 1e6).toFixed(1)} MB over 8000 requests`)
})

test('a request that makes thousands of spans keeps at most the bound, and its record says how many were dropped', async (t) => {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', 'su')
  const app = await startApp(t, redis, appFile, {}, INSTRUMENTED)
  const proxy = await startProxy(t, app, redis)

  const { requestId } = await superuserRecord(`${proxy.url}/many-spans?n=5000`, 'sessionid=su')
  // Read from Redis: what the app keeps, before the page cuts it to its own limits.
  const record = decodeRecord(await redis.client.get(recordKey(requestId)) ?? '')

  assert.equal(record.spans.length, LIMITS.spansPerRequest)
  assert.ok(record.droppedSpans > 5000 - LIMITS.spansPerRequest, `${record.droppedSpans} spans were dropped and counted`)
})
