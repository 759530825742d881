import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { upgrade } from './helpers/http.ts'
import { scrape } from './helpers/metrics.ts'
import { repoRoot, startStack } from './helpers/processes.ts'
import { sendRaw } from './helpers/sockets.ts'

const plainApp = `${repoRoot}test/apps/plain-app.js`

test('a WebSocket upgrade is proxied both ways, with a request ID', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp })

  const { response, socket } = await upgrade(`${proxy.url}/echo`)

  assert.equal(response?.statusCode, 101)
  assert.match(String(response?.headers['x-seen-request-id']), /^[0-9a-f]{32}$/)
  socket?.write('ping')
  const [echoed] = await Promise.all([new Promise<string>((resolve) => socket?.once('data', (chunk: Buffer) => resolve(chunk.toString())))])
  assert.equal(echoed, 'ping')
  socket?.destroy()
})

test('an upgrade the app refuses reaches the client with the app\'s status', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp })

  const { refused } = await upgrade(`${proxy.url}/not-a-socket`)

  assert.equal(refused?.statusCode, 404)
})

/** Scrapes until `isDone` holds: a socket closed on one side is closed on the proxy's a moment later. */
async function scrapeUntil (adminUrl: string, isDone: (metrics: Map<string, number>) => boolean): Promise<Map<string, number>> {
  for (let i = 0; ; i++) {
    const metrics = await scrape(adminUrl)
    if (isDone(metrics) || i === 100) return metrics
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Writes `text` and resolves with what comes back: the relay runs both ways. */
function echo (socket: Socket | undefined, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket?.once('data', (chunk: Buffer) => resolve(chunk.toString()))
    socket?.write(text)
  })
}

test('the metrics count WebSocket upgrades by outcome (switched, refused with the app\'s or the proxy\'s status, failed) and the connections open now', { timeout: 30_000 }, async (t) => {
  const { app, proxy } = await startStack(t, { appFile: plainApp })
  const before = await scrape(proxy.adminUrl)
  for (const outcome of ['switched', 'refused', 'failed']) assert.equal(before.get(`supertrace_websocket_upgrades_total{outcome="${outcome}"}`), 0, `the ${outcome} series exists from the start`)
  assert.equal(before.get('supertrace_websocket_connections'), 0)

  const first = await upgrade(`${proxy.url}/echo`)
  const second = await upgrade(`${proxy.url}/echo`)
  assert.equal(await echo(first.socket, 'one'), 'one')
  assert.equal(await echo(second.socket, 'two'), 'two')
  first.socket?.destroy()
  const { refused } = await upgrade(`${proxy.url}/not-a-socket`)
  assert.equal(refused?.statusCode, 404)
  const twoHosts = 'GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'
  assert.match(await sendRaw(proxy.port, twoHosts), /^HTTP\/1\.1 400 /, 'refused by the proxy itself')

  const open = await scrapeUntil(proxy.adminUrl, (m) => m.get('supertrace_websocket_connections') === 1)
  assert.equal(open.get('supertrace_websocket_connections'), 1, 'two opened, one closed by its client')
  assert.equal(open.get('supertrace_websocket_upgrades_total{outcome="switched"}'), 2)
  assert.equal(open.get('supertrace_websocket_upgrades_total{outcome="refused"}'), 2, 'by the app and by the proxy')
  assert.equal(open.get('supertrace_websocket_upgrades_total{outcome="failed"}'), 0)
  assert.equal(open.get('supertrace_requests_total{status="101"}'), 2, 'each answer is a response like any other')
  assert.equal(open.get('supertrace_requests_total{status="404"}'), 1)
  assert.equal(open.get('supertrace_requests_total{status="400"}'), 1)

  await app.stop()
  const closedByApp = await scrapeUntil(proxy.adminUrl, (m) => m.get('supertrace_websocket_connections') === 0)
  assert.equal(closedByApp.get('supertrace_websocket_connections'), 0, 'the app\'s side closed the other one')
  await assert.rejects(upgrade(`${proxy.url}/echo`), 'the app is down: the connection is closed without an answer')
  const failed = await scrapeUntil(proxy.adminUrl, (m) => m.get('supertrace_websocket_upgrades_total{outcome="failed"}') === 1)
  assert.equal(failed.get('supertrace_websocket_upgrades_total{outcome="failed"}'), 1)
  assert.equal(failed.get('supertrace_websocket_upgrades_total{outcome="switched"}'), 2)
  assert.equal(failed.get('supertrace_websocket_connections'), 0)
  second.socket?.destroy()
})
