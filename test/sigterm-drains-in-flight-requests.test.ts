import assert from 'node:assert/strict'
import { once } from 'node:events'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { get } from './helpers/http.ts'
import { repoRoot, startStack, type RunningHttp } from './helpers/processes.ts'

const bounded = { timeout: 30_000 }
const plainApp = `${repoRoot}test/apps/plain-app.js`

function startDrainStack (t: TestContext, proxyEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof startStack> {
  return startStack(t, { appFile: plainApp, nodeFlags: [], proxyEnv })
}

interface Streamed {
  /** Resolves once the first chunk has arrived: the response is in flight. */
  readonly started: Promise<void>
  /** The whole body, and whether it ended as a complete response or was cut. */
  readonly finished: Promise<{ status: number, body: string, isComplete: boolean }>
}

function stream (url: string, headers: Record<string, string> = {}): Streamed {
  const started = Promise.withResolvers<void>()
  const finished = new Promise<{ status: number, body: string, isComplete: boolean }>((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); started.resolve() })
      res.on('error', () => {}) // a cut response: 'close' below says so
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body, isComplete: res.complete }))
    })
    req.on('error', reject)
    req.end()
  })
  return { started: started.promise, finished }
}

/** A connection that made one keep-alive request and now sits idle. */
async function idleKeepAliveConnection (proxy: RunningHttp): Promise<Socket> {
  const socket = connect(proxy.port, '127.0.0.1')
  socket.write('GET /hello HTTP/1.1\r\nhost: shop.test\r\n\r\n')
  let received = ''
  while (!received.endsWith('hello\n')) {
    const [chunk] = await once(socket, 'data') as [Buffer]
    received += chunk.toString()
  }
  return socket
}

function connectionRefused (port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('connect', () => { socket.destroy(); resolve('accepted') })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

test('on SIGTERM a slow response in flight completes intact, a new connection is refused, an idle keep-alive connection is closed, and the proxy exits 0', bounded, async (t) => {
  const { app, proxy } = await startDrainStack(t)
  const idle = await idleKeepAliveConnection(proxy)
  const idleClosed = once(idle, 'close')
  const slow = stream(`${proxy.url}/stream?id=slow`)
  await slow.started
  const exited = proxy.exited

  proxy.child.kill('SIGTERM')
  await proxy.waitFor('SIGTERM: stopping')

  await idleClosed // while the slow response is still open
  assert.equal(await connectionRefused(proxy.port), 'ECONNREFUSED')
  await get(`${app.url}/release?id=slow`)
  assert.deepEqual(await slow.finished, { status: 200, body: 'first\nsecond\n', isComplete: true })
  assert.deepEqual(await exited, [0, null])
  assert.match(proxy.output, /stopped/)
})

test('on SIGTERM a superuser\'s 500 held while the lookup waits on a hanging Redis is still answered, then the proxy exits 0', bounded, async (t) => {
  const { redis, app, proxy } = await startDrainStack(t, { SUPERTRACE_REDIS_TIMEOUT_MS: '60000' })
  await redis.client.sadd('supertrace:superusers', 'boss')
  assert.match((await get(`${proxy.url}/fail?warm-up`, { cookie: 'sessionid=boss' })).text, /carried no record marker/, 'the proxy\'s Redis connection is ready')
  redis.child.kill('SIGSTOP')
  t.after(() => { redis.child.kill('SIGCONT') })
  const held = stream(`${proxy.url}/fail?held`, { cookie: 'sessionid=boss' })
  await app.waitFor('received /fail?held')
  const exited = proxy.exited

  proxy.child.kill('SIGTERM')
  await proxy.waitFor('SIGTERM: stopping')
  redis.child.kill('SIGCONT')

  const page = await held.finished
  assert.equal(page.status, 500)
  assert.ok(page.isComplete)
  assert.match(page.body, /carried no record marker/, `the debug page: the lookup finished after SIGTERM\n${proxy.output}`)
  assert.deepEqual(await exited, [0, null])
})

test('a request that outlasts SUPERTRACE_SHUTDOWN_GRACE_MS is cut when it ends, and the proxy still exits 0', bounded, async (t) => {
  const { proxy } = await startDrainStack(t, { SUPERTRACE_SHUTDOWN_GRACE_MS: '300' })
  const endless = stream(`${proxy.url}/stream?id=endless`)
  await endless.started
  const exited = proxy.exited

  proxy.child.kill('SIGTERM')

  const cut = await endless.finished
  assert.equal(cut.body, 'first\n')
  assert.equal(cut.isComplete, false, 'cut, so the client cannot take it for a whole response')
  assert.deepEqual(await exited, [0, null])
  assert.match(proxy.output, /the shutdown grace period \(300 ms, SUPERTRACE_SHUTDOWN_GRACE_MS\) is over: closing the 1 connection\(s\) still open/)
})

test('a second SIGTERM while the proxy drains is noted and changes nothing: the response in flight still completes, and the exit code is 0', bounded, async (t) => {
  const { app, proxy } = await startDrainStack(t)
  const slow = stream(`${proxy.url}/stream?id=twice`)
  await slow.started
  const exited = proxy.exited

  proxy.child.kill('SIGTERM')
  await proxy.waitFor('SIGTERM: stopping')
  proxy.child.kill('SIGTERM')
  await proxy.waitFor('SIGTERM: already stopping')
  await get(`${app.url}/release?id=twice`)

  assert.deepEqual(await slow.finished, { status: 200, body: 'first\nsecond\n', isComplete: true })
  assert.deepEqual(await exited, [0, null])
})

test('on SIGINT a WebSocket connection is closed at once rather than waited for, and the proxy exits 0', bounded, async (t) => {
  const { proxy } = await startDrainStack(t)
  const socket = connect(proxy.port, '127.0.0.1')
  socket.write('GET /echo HTTP/1.1\r\nhost: shop.test\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString() })
  await once(socket, 'data')
  socket.write('ping')
  while (!received.endsWith('ping')) await once(socket, 'data')
  const closed = once(socket, 'close')
  const exited = proxy.exited

  proxy.child.kill('SIGINT')

  await closed
  assert.match(received, /^HTTP\/1\.1 101 /)
  assert.deepEqual(await exited, [0, null])
  assert.match(proxy.output, /SIGINT: stopping/)
})
