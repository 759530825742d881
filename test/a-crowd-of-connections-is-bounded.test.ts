/**
 * SUPERTRACE_MAX_CONNECTIONS bounds the client connections open at once: a crowd of idle
 * keep-alive connections is thinned to make room, so others are still served, and only
 * when every connection is busy is a new one refused, with a warning.
 */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { assertLogged } from './helpers/logs.ts'
import { startStack, TRANSPARENT_APP } from './helpers/processes.ts'
import { openSocket, readUntilClosed } from './helpers/sockets.ts'
import { waitUntil } from './helpers/wait-until.ts'

const MAX = 20

/** A connection that sent `request` and has the first bytes of its answer. */
async function answeredConnection (port: number, request: string): Promise<Socket> {
  const socket = await openSocket(port)
  await new Promise<void>((resolve) => {
    socket.once('data', () => resolve())
    socket.write(request)
  })
  return socket
}

test('idle keep-alive connections beyond SUPERTRACE_MAX_CONNECTIONS are closed to make room, and others are served', async (t) => {
  const { proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_MAX_CONNECTIONS: String(MAX) } })
  const closed = new Set<Socket>()
  const crowd: Socket[] = []
  t.after(() => { for (const socket of crowd) socket.destroy() })
  for (let i = 0; i < 3 * MAX; i++) {
    // Each reads its whole answer, then idles on keep-alive.
    const socket = await answeredConnection(proxy.port, 'GET /idle HTTP/1.1\r\nHost: a\r\n\r\n')
    socket.on('close', () => closed.add(socket))
    crowd.push(socket)
  }
  await waitUntil('the proxy keeps at most SUPERTRACE_MAX_CONNECTIONS of the crowd open', () => crowd.length - closed.size <= MAX)
  assert.ok(crowd.length - closed.size <= MAX, `${crowd.length - closed.size} of the crowd still open`)
  assert.equal((await get(`${proxy.url}/after-the-crowd`)).status, 200, 'a client after the crowd is served')
})

test('when every connection is busy, a new one is refused (closed at once) and a warning names SUPERTRACE_MAX_CONNECTIONS', async (t) => {
  const { proxy } = await startStack(t, { ...TRANSPARENT_APP, proxyEnv: { SUPERTRACE_MAX_CONNECTIONS: String(MAX) } })
  const busy: Socket[] = []
  t.after(() => { for (const socket of busy) socket.destroy() })
  // An event stream keeps its connection busy: its response has begun and does not end.
  for (let i = 0; i < MAX; i++) busy.push(await answeredConnection(proxy.port, 'GET /events HTTP/1.1\r\nHost: a\r\n\r\n'))
  const refused = await openSocket(proxy.port)
  refused.write('GET /refused HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.equal(await readUntilClosed(refused), '', 'the connection past the limit is closed without an answer')
  await assertLogged(proxy, { level: 'warn', msg: 'SUPERTRACE_MAX_CONNECTIONS' })
  for (const socket of busy) socket.destroy()
  await waitUntil('the proxy serves again once the busy connections are gone', async () => (await get(`${proxy.url}/after`).then((r) => r.status, () => 0)) === 200)
})
