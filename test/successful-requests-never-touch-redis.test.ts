import assert from 'node:assert/strict'
import { test } from 'node:test'
import { once } from 'node:events'
import { connect } from 'node:net'
import type { TestContext } from 'node:test'
import { get } from './helpers/http.ts'
import { startStack } from './helpers/processes.ts'

const modes = [
  { mode: 'set', lookup: 'sismember supertrace:superusers someone' },
  { mode: 'django', lookup: 'get :1:django.contrib.sessions.cachesomeone' },
]

for (const { mode, lookup } of modes) test(`requests that succeed cost no Redis command, in the proxy or in the app, even with a session cookie (${mode} lookup)`, async (t) => {
  const { redis, proxy } = await startStack(t, { proxyEnv: { SUPERTRACE_LOOKUP: mode } })
  const commands = await monitorRedis(t, redis.port)

  for (let i = 0; i < 20; i++) {
    assert.equal((await get(`${proxy.url}/hello`, { cookie: 'sessionid=someone' })).status, 200)
  }
  const failed = await get(`${proxy.url}/orders/42`, { cookie: 'sessionid=someone' })
  await new Promise((resolve) => setTimeout(resolve, 200))

  // The one failing request is the control: it must show up, so the monitor is really watching.
  const failedId = String(failed.headers['x-request-id'])
  assert.ok(commands.some((c) => c.startsWith(`set supertrace:trace:${failedId}`)), 'the failing request\'s record was written')
  assert.ok(commands.some((c) => c.startsWith(lookup)), 'the failing request\'s cookie was looked up')
  // Connection set-up (ioredis's protocol handshake and ready check, the proxy's one subscription, the app's
  // connection opened by its first record) is not per request.
  const connectionSetup = ['hello 3', 'info', 'subscribe supertrace:records', 'multi', 'exec']
  // The failing request's write also trims the list of recent failures, pays for the record from the budget
  // and counts its outcome: none of which names a request.
  const ofTheRecord = ['zremrangebyrank supertrace:recent ', 'incrby supertrace:budget:', 'expire supertrace:budget:', 'hincrby supertrace:record-outcomes ']
  const others = commands.filter((c) => !c.includes(failedId) && !c.startsWith(lookup) && !ofTheRecord.some((prefix) => c.startsWith(prefix)) && !connectionSetup.includes(c))
  assert.deepEqual(others, [], 'nothing else reached Redis')
})

/**
 * Every command Redis receives, as `command arg…`, read from MONITOR over a plain socket:
 * ioredis's monitor() races its own connection handshake (HELLO, INFO) against the feed
 * ("Command queue state error"), which failed this test now and then.
 */
async function monitorRedis (t: TestContext, port: number): Promise<string[]> {
  const socket = connect(port, '127.0.0.1')
  t.after(() => socket.destroy())
  await once(socket, 'connect')
  const commands: string[] = []
  let pending = ''
  let isMonitoring = false
  const started = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      const lines = pending.split('\r\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (line === '+OK' && !isMonitoring) { isMonitoring = true; resolve(); continue }
        const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '')
        if (args.length > 0) commands.push(args.join(' '))
      }
    })
  })
  socket.write('MONITOR\r\n')
  await started
  return commands
}
