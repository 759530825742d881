import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { request } from 'node:http'
import { connect } from 'node:net'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { repoRoot, startApp, startProxy, startRedis } from './helpers/processes.ts'

const bounded = { timeout: 30_000 }
const plainApp = `${repoRoot}test/apps/plain-app.js`
/** Raises a fault outside every handler of the proxy on SIGUSR2 (see the file). */
const injectFault = (fault: string): NodeJS.ProcessEnv => ({ NODE_OPTIONS: `--import=${repoRoot}test/apps/inject-fault.js`, SUPERTRACE_TEST_FAULT: fault })

test('an unhandled error that concerns one connection (a reset socket) is logged as ST_UNHANDLED with its stack, and the proxy goes on serving', bounded, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, plainApp, {}, [])
  const proxy = await startProxy(t, app, redis, injectFault('reset-socket'))

  proxy.child.kill('SIGUSR2')
  await proxy.waitFor('ST_UNHANDLED')

  assert.equal((await get(`${proxy.url}/hello`)).text, 'hello\n')
  assert.match(proxy.output, /an error nobody handled reached the process \(an uncaught exception\); it concerns one connection, so the proxy goes on serving/)
  assert.match(proxy.output, /Error: read ECONNRESET at /, 'with its stack')
  assert.equal(proxy.child.exitCode, null)
})

test('any other unhandled error (a bug) stops the proxy as SIGTERM would: the request in flight completes, and the exit code is 70 for the supervisor to restart it', bounded, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, plainApp, {}, [])
  const proxy = await startProxy(t, app, redis, injectFault('bug'))
  const body = new Promise<string>((resolve, reject) => {
    request(`${proxy.url}/stream?id=in-flight`, { agent: false }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => { text += chunk.toString() })
      res.on('end', () => resolve(text))
    }).on('error', reject).end()
  })
  await app.waitFor('received /stream?id=in-flight')
  const exited = proxy.exited

  proxy.child.kill('SIGUSR2')
  await proxy.waitFor('an unexpected error: stopping')
  const refused = await new Promise<string>((resolve) => {
    const socket = connect(proxy.port, '127.0.0.1')
    socket.on('connect', () => { socket.destroy(); resolve('accepted') })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? ''))
  })
  await get(`${app.url}/release?id=in-flight`)

  assert.equal(await body, 'first\nsecond\n')
  assert.equal(refused, 'ECONNREFUSED')
  assert.deepEqual(await exited, [70, null])
  assert.match(proxy.output, /ST_UNHANDLED/)
  assert.match(proxy.output, /an error nobody handled reached the process \(an unhandled rejection\); the proxy stops gracefully and exits 70/)
  assert.match(proxy.output, /TypeError: Cannot read properties of undefined/)
})

test('with its file descriptors exhausted, the proxy answers what it can, 502s or drops the rest, never dies, and serves again once they are free', bounded, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, plainApp, {}, [])
  const proxy = await startProxy(t, app, redis)
  // A few descriptors above what it holds now: 200 requests at once need one each, plus one upstream each.
  const limited = spawnSync('prlimit', ['--pid', String(proxy.child.pid), '--nofile=45:45'], { encoding: 'utf8' })
  assert.equal(limited.status, 0, limited.stderr)

  const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => new Promise<string>((resolve) => {
    request(`${proxy.url}/${i % 2 === 0 ? 'hello' : 'fail'}`, { agent: false, headers: { cookie: 'sessionid=someone' } }, (res) => {
      res.resume()
      res.on('end', () => resolve(String(res.statusCode)))
      res.on('error', () => resolve('cut'))
    }).on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error')).end()
  })))

  assert.ok(outcomes.every((outcome) => ['200', '500', '502', 'ECONNRESET', 'EPIPE', 'cut'].includes(outcome)), outcomes.join(' '))
  assert.ok(outcomes.some((outcome) => outcome !== '200' && outcome !== '500'), 'the limit was reached')
  assert.equal((await get(`${proxy.url}/hello`)).text, 'hello\n')
  assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
  assert.doesNotMatch(proxy.output, /ST_UNHANDLED/)
})

test('when whatever reads its log goes away (a closed pipe), the proxy goes on serving without its log, and still stops on SIGTERM', bounded, async (t) => {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, plainApp, {}, [])
  const proxy = await startProxy(t, app, redis, { SUPERTRACE_LOG_LEVEL: 'debug' })
  proxy.child.stderr?.destroy() // the log shipper is gone: every write to stderr now fails with EPIPE

  await app.stop()
  assert.equal((await get(`${proxy.url}/hello`)).status, 502, 'a failure the proxy logs, to a log nobody reads')
  const restarted = await startApp(t, redis, plainApp, {}, [], app.port)
  await restarted.waitFor('listening')
  assert.equal((await get(`${proxy.url}/hello`)).text, 'hello\n')

  proxy.child.kill('SIGTERM')
  assert.deepEqual(await proxy.exited, [0, null])
})
