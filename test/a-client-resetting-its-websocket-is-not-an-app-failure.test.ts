/**
 * A visitor who closes a tab, or whose network drops, resets their WebSocket: that is the
 * visitor's doing and must not page anyone. An app that resets one is still the app's failure.
 */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { assertLogged, loggedEvents } from './helpers/logs.ts'
import { scrape } from './helpers/metrics.ts'
import { repoRoot, startStack } from './helpers/processes.ts'
import { openSocket, readUntilClosed } from './helpers/sockets.ts'

const plainApp = `${repoRoot}test/apps/plain-app.js`

/** A WebSocket opened by hand on a raw socket (so that the test can reset it), switched and past its first echo or write. */
async function openWebSocket (port: number, path: string): Promise<Socket> {
  const socket = await openSocket(port)
  const switched = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))))
  socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)
  assert.match(await switched, /^HTTP\/1\.1 101 /)
  return socket
}

test('a client that resets its open WebSocket is logged at debug level and counted as no error; an app that resets one is still an error', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp, proxyEnv: { SUPERTRACE_LOG_LEVEL: 'debug' } })

  const visitor = await openWebSocket(proxy.port, '/echo')
  const echoed = new Promise((resolve) => visitor.once('data', resolve))
  visitor.write('ping')
  await echoed
  visitor.resetAndDestroy()

  await assertLogged(proxy, { level: 'debug', msg: /a WebSocket client's connection failed \(read ECONNRESET\)/, requestId: true }, 'the client\'s reset, for whoever debugs')
  assert.deepEqual(loggedEvents(proxy.output).filter((event) => event.level === 'error'), [], 'no error line for a client\'s reset')
  const afterVisitor = await scrape(proxy.adminUrl)
  assert.equal(afterVisitor.get('supertrace_errors_total{code="ST_UPSTREAM"}') ?? 0, 0, 'no app failure counted')
  assert.equal(afterVisitor.get('supertrace_websocket_upgrades_total{outcome="switched"}'), 1)

  const brokenByApp = await openWebSocket(proxy.port, '/reset')
  const closed = readUntilClosed(brokenByApp)
  brokenByApp.write('ping')
  await closed
  await assertLogged(proxy, { level: 'error', code: 'ST_UPSTREAM', msg: 'a WebSocket upgrade failed', error: /ECONNRESET/, requestId: true }, 'the app\'s reset')
  assert.equal((await scrape(proxy.adminUrl)).get('supertrace_errors_total{code="ST_UPSTREAM"}'), 1)
})
