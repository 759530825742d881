import assert from 'node:assert/strict'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { get, type RawResponse } from './helpers/http.ts'
import { freePort, repoRoot, run, startApp, startProxy, startRedis, type RunningHttp, type RunningRedis } from './helpers/processes.ts'

const edgesApp = `${repoRoot}test/apps/edges-app.js`
const express4App = `${repoRoot}test/apps/frameworks/express4/app.cjs`
const SUPERUSER = 'sessionid=boss'
const VISITOR = 'sessionid=nobody'
// node:test's timeout bounds each case: a proxy that hung on a failed upstream would fail here.
const bounded = { timeout: 30_000 }
// A loaded machine must not turn a superuser's lookup into a fail-closed original (SUPERTRACE_REDIS_TIMEOUT_MS is 250 by default).
const PATIENT = { SUPERTRACE_REDIS_TIMEOUT_MS: '5000' }

interface UpstreamPage {
  status: number
  missingRecord: string | null
  upstreamFailure: { status: number, explanation: string, code: string, cause: string, upstream: string, setting?: string } | null
  record: { exceptions: Array<{ type: string, message: string }> } | null
}

async function redisWithSuperuser (t: TestContext): Promise<RunningRedis> {
  const redis = await startRedis(t)
  await redis.client.sadd('supertrace:superusers', 'boss')
  return redis
}

async function edgesStack (t: TestContext, proxyEnv: NodeJS.ProcessEnv = {}): Promise<{ app: RunningHttp, proxy: RunningHttp }> {
  const redis = await redisWithSuperuser(t)
  const app = await startApp(t, redis, edgesApp, {}, [])
  return { app, proxy: await startProxy(t, app, redis, { ...PATIENT, ...proxyEnv }) }
}

/** Anyone who is not a superuser: the plain status, with the request ID, and one log line with its code under that ID. */
function assertPlainFailure (response: RawResponse, status: number, proxy: RunningHttp, code: string): void {
  assert.equal(response.status, status)
  assert.equal(response.text, status === 504 ? 'Gateway Timeout\n' : 'Bad Gateway\n')
  const requestId = String(response.headers['x-request-id'])
  assert.match(requestId, /^[0-9a-f]{32}$/, 'the request ID header')
  assert.ok(failureLogs(proxy, code).some((line) => line.includes(requestId)), `one log line with ${code} and the request ID`)
}

/** The proxy's log lines for a failed upstream request, with `code` (ST_UPSTREAM does not match ST_UPSTREAM_TIMEOUT). */
function failureLogs (proxy: RunningHttp, code: string): string[] {
  return proxy.output.split('\n').filter((line) => new RegExp(`\\b${code}\\b`).test(line) && line.includes('the upstream request failed'))
}

function pageOf (response: RawResponse): UpstreamPage {
  assert.match(String(response.headers['content-type']), /^application\/json/, 'a debug page, in JSON')
  return JSON.parse(response.text) as UpstreamPage
}

test('with nothing listening upstream, everyone gets a 502 with the request ID; a superuser gets a page saying the app refused the connection', bounded, async (t) => {
  const redis = await redisWithSuperuser(t)
  const nowhere = `http://127.0.0.1:${await freePort()}`
  const proxy = await startProxy(t, { url: nowhere }, redis, PATIENT)

  assertPlainFailure(await get(`${proxy.url}/orders`), 502, proxy, 'ST_UPSTREAM')
  assertPlainFailure(await get(`${proxy.url}/orders`, { cookie: VISITOR }), 502, proxy, 'ST_UPSTREAM')
  const response = await get(`${proxy.url}/orders`, { cookie: SUPERUSER, accept: 'application/json' })
  const html = await get(`${proxy.url}/orders`, { cookie: SUPERUSER, accept: 'text/html' })
  const text = await get(`${proxy.url}/orders`, { cookie: SUPERUSER, accept: 'text/plain' })

  assert.equal(response.status, 502)
  const page = pageOf(response)
  assert.equal(page.status, 502)
  assert.match(page.upstreamFailure?.explanation ?? '', /refused the connection/)
  assert.equal(page.upstreamFailure?.code, 'ST_UPSTREAM')
  assert.match(page.upstreamFailure?.cause ?? '', /ECONNREFUSED/)
  assert.equal(page.upstreamFailure?.upstream, nowhere)
  assert.equal(page.upstreamFailure?.setting, undefined, 'no timeout was involved')
  assert.match(page.missingRecord ?? '', /never reached the app/)
  assert.equal(html.status, 502)
  assert.match(html.text, /<section id="upstream"><h2>No response from the app<\/h2>/)
  assert.match(text.text, /No response from the app: The app refused the connection/)
})

test('an app that resets the connection before answering: everyone gets a 502; a superuser\'s page says the app closed it', bounded, async (t) => {
  const { proxy } = await edgesStack(t, { SUPERTRACE_TRACE_WAIT_MS: '100' })

  assertPlainFailure(await get(`${proxy.url}/reset`), 502, proxy, 'ST_UPSTREAM')
  const response = await get(`${proxy.url}/reset`, { cookie: SUPERUSER, accept: 'application/json' })

  assert.equal(response.status, 502)
  const page = pageOf(response)
  assert.match(page.upstreamFailure?.explanation ?? '', /closed the connection before it sent a response/)
  assert.match(page.missingRecord ?? '', /No record of this request arrived within 100 ms/)
  assert.equal((await get(`${proxy.url}/status?code=200`)).status, 200, 'and the proxy serves the next request')
})

test('an app slower than SUPERTRACE_UPSTREAM_TIMEOUT_MS: everyone gets a 504 within it; a superuser\'s page names the setting', bounded, async (t) => {
  const { proxy } = await edgesStack(t, { SUPERTRACE_UPSTREAM_TIMEOUT_MS: '300', SUPERTRACE_TRACE_WAIT_MS: '100' })

  // At once: each waits out the timeout.
  const [plain, response, html] = await Promise.all([
    get(`${proxy.url}/never`),
    get(`${proxy.url}/never`, { cookie: SUPERUSER, accept: 'application/json' }),
    get(`${proxy.url}/never`, { cookie: SUPERUSER, accept: 'text/html' }),
  ])
  assertPlainFailure(plain, 504, proxy, 'ST_UPSTREAM_TIMEOUT')

  assert.equal(response.status, 504)
  const page = pageOf(response)
  assert.equal(page.upstreamFailure?.code, 'ST_UPSTREAM_TIMEOUT')
  assert.equal(page.upstreamFailure?.setting, 'SUPERTRACE_UPSTREAM_TIMEOUT_MS=300')
  assert.match(page.upstreamFailure?.explanation ?? '', /did not send the response's headers/)
  assert.match(page.upstreamFailure?.cause ?? '', /UND_ERR_HEADERS_TIMEOUT/)
  assert.match(html.text, /SUPERTRACE_UPSTREAM_TIMEOUT_MS=300/)
})

/**
 * An upstream whose connections never complete: a socket listening with a backlog of 0
 * that never accepts (Node accepts every connection itself, hence Python), its one
 * queue slot taken, so the kernel drops the next connection's SYN and connect() hangs.
 */
async function unacceptingUpstream (t: TestContext): Promise<{ url: string }> {
  const port = await freePort()
  const listener = run(t, 'python3', ['-c', `import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', ${port}))\ns.listen(0)\nprint('listening', flush=True)\ntime.sleep(120)`])
  await listener.waitFor('listening')
  const filler: Socket = connect(port, '127.0.0.1')
  filler.on('error', () => {})
  t.after(() => { filler.destroy() })
  await new Promise((resolve) => filler.once('connect', resolve))
  return { url: `http://127.0.0.1:${port}` }
}

test('an app that cannot be connected to within SUPERTRACE_UPSTREAM_CONNECT_TIMEOUT_MS: everyone gets a 504; a superuser\'s page names the setting', bounded, async (t) => {
  const redis = await redisWithSuperuser(t)
  const upstream = await unacceptingUpstream(t)
  const proxy = await startProxy(t, upstream, redis, { ...PATIENT, SUPERTRACE_UPSTREAM_CONNECT_TIMEOUT_MS: '300' })

  assertPlainFailure(await get(`${proxy.url}/orders`), 504, proxy, 'ST_UPSTREAM_TIMEOUT')
  const response = await get(`${proxy.url}/orders`, { cookie: SUPERUSER, accept: 'application/json' })

  assert.equal(response.status, 504)
  const page = pageOf(response)
  assert.equal(page.upstreamFailure?.setting, 'SUPERTRACE_UPSTREAM_CONNECT_TIMEOUT_MS=300')
  assert.match(page.upstreamFailure?.explanation ?? '', /Connecting to the app took longer/)
  assert.match(page.missingRecord ?? '', /never reached the app/)
})

test('an Express 4 async handler that fails and never answers: anyone gets a 504, a superuser the page with the app\'s exception from its record', bounded, async (t) => {
  const redis = await redisWithSuperuser(t)
  const app = await startApp(t, redis, express4App, { NODE_ENV: 'production' })
  const proxy = await startProxy(t, app, redis, { ...PATIENT, SUPERTRACE_UPSTREAM_TIMEOUT_MS: '1000' })

  const [plain, response, html] = await Promise.all([
    get(`${proxy.url}/async`),
    get(`${proxy.url}/async`, { cookie: SUPERUSER, accept: 'application/json' }),
    get(`${proxy.url}/async`, { cookie: SUPERUSER, accept: 'text/html' }),
  ])
  assertPlainFailure(plain, 504, proxy, 'ST_UPSTREAM_TIMEOUT')

  assert.equal(response.status, 504)
  const page = pageOf(response)
  assert.equal(page.upstreamFailure?.setting, 'SUPERTRACE_UPSTREAM_TIMEOUT_MS=1000')
  assert.equal(page.missingRecord, null)
  assert.equal(page.record?.exceptions[0]?.type, 'RangeError')
  assert.equal(page.record?.exceptions[0]?.message, 'handler rejected in express4')
  assert.match(html.text, /<h1>RangeError at \/async<\/h1>/)
  assert.match(html.text, /No response from the app/)
})

/** How a streamed response ended for the client: whole, or cut under it. */
function streamOutcome (url: string): Promise<{ ended: 'complete' | 'cut', status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ ended: 'complete', status: res.statusCode ?? 0, body }))
      res.on('error', () => resolve({ ended: 'cut', status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('an app that dies mid-body of a 200 cuts the client\'s response at once, never a hang or a complete-looking body', bounded, async (t) => {
  const { proxy } = await edgesStack(t)

  const outcome = await streamOutcome(`${proxy.url}/dies-mid-200`)

  assert.equal(outcome.status, 200)
  assert.equal(outcome.ended, 'cut')
  assert.equal(outcome.body, 'the start of a 200\n')
  assert.equal(failureLogs(proxy, 'ST_UPSTREAM').length, 1, 'logged once')
})

test('an app that stalls mid-body for longer than SUPERTRACE_UPSTREAM_BODY_TIMEOUT_MS: the client\'s response is cut, and the log names the setting', bounded, async (t) => {
  const { proxy } = await edgesStack(t, { SUPERTRACE_UPSTREAM_BODY_TIMEOUT_MS: '300' })

  const outcome = await streamOutcome(`${proxy.url}/stalls-mid-200`)

  assert.equal(outcome.ended, 'cut')
  assert.equal(outcome.body, 'the start of a 200\n')
  assert.match(failureLogs(proxy, 'ST_UPSTREAM_TIMEOUT').join('\n'), /SUPERTRACE_UPSTREAM_BODY_TIMEOUT_MS=300/)
})

test('a wrong upstream timeout stops start-up, naming the variable with a valid example', async (t) => {
  const redis = await startRedis(t)
  for (const [name, example] of [['SUPERTRACE_UPSTREAM_TIMEOUT_MS', '60000'], ['SUPERTRACE_UPSTREAM_CONNECT_TIMEOUT_MS', '5000'], ['SUPERTRACE_UPSTREAM_BODY_TIMEOUT_MS', '60000']] as const) {
    await assert.rejects(startProxy(t, { url: 'http://127.0.0.1:3000' }, redis, { [name]: 'soon' }), new RegExp(`${name}="soon" is not valid: .*for example ${name}=${example}`))
  }
})
