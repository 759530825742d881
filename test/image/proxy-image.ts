// `npm run test:image`: the Dockerfile built for real (buildah, on a stand-in of its base image) and the
// image run in front of a test app with a real Redis, checked as the end-to-end tests check the proxy.
// Not part of `npm test` (the file name has no `.test.`): it needs buildah, podman and mmdebstrap as root.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { before, test, type TestContext } from 'node:test'
import { get, login, visible } from '../helpers/http.ts'
import { freePort, repoRoot, startApp, startRedis, type RunningHttp, type RunningRedis, type Started } from '../helpers/processes.ts'
import { recordKey } from '../../core/protocol.ts'
import { CONTENT_TYPE, newRequestId, postExport, requestSpans, tracesExport } from '../helpers/otlp.ts'
import { buildImage, Container, type BuiltImage } from './container.ts'

let image: BuiltImage
const MiB = 1024 * 1024

before(() => {
  image = buildImage('localhost/supertrace-proxy:test', 'Dockerfile', (line) => console.log(line))
  console.log(`${image.tag}: ${(image.size / MiB).toFixed(1)} MiB, of which ${((image.size - image.baseSize) / MiB).toFixed(1)} MiB over the base image`)
})

interface ContainerStack {
  readonly redis: RunningRedis
  readonly app: RunningHttp
  readonly container: Container
  readonly proxy: Started
  readonly url: string
  readonly adminUrl: string
}

/** Redis and an app on the host, the image's proxy in front; only what a user would pass with `docker run -e`. */
async function startContainerStack (t: TestContext, appFile?: string, appFlags?: readonly string[]): Promise<ContainerStack> {
  const redis = await startRedis(t)
  const app = await startApp(t, redis, appFile, {}, appFlags)
  const port = await freePort()
  const adminPort = await freePort()
  const container = Container.create(t, image)
  const proxy = container.start({
    SUPERTRACE_UPSTREAM: app.url,
    SUPERTRACE_REDIS_URL: redis.url,
    SUPERTRACE_PORT: String(port),
    SUPERTRACE_ADMIN_PORT: String(adminPort),
  })
  const adminUrl = `http://127.0.0.1:${adminPort}`
  await proxy.waitUntil('answering /readyz', async () => (await get(`${adminUrl}/readyz`)).status === 200)
  return { redis, app, container, proxy, url: `http://127.0.0.1:${port}`, adminUrl }
}

test('the image runs the proxy itself as a non-root user, with its ports, health check and stop signal declared', () => {
  const { config } = image
  assert.equal(config.User, '1000:1000', 'a numeric user, which Kubernetes\' runAsNonRoot can check')
  assert.deepEqual(Object.keys(config.ExposedPorts).sort(), ['8080/tcp', '9901/tcp'])
  assert.deepEqual(config.Entrypoint, ['node', 'dist/cli.js'], 'node is PID 1: no npm or shell to swallow SIGTERM')
  assert.deepEqual(config.Cmd, ['proxy'])
  assert.equal(config.StopSignal, 'SIGTERM')
  assert.deepEqual(image.healthcheck?.Test, ['CMD', 'node', 'dist/cli.js', 'health'])
  assert.ok(config.Env.includes('NODE_ENV=production'))
  assert.equal(config.Labels['org.opencontainers.image.title'], 'supertrace-proxy')
  assert.match(config.Labels['org.opencontainers.image.revision'] ?? '', /^[0-9a-f]{40}$/)
})

test('the image holds the compiled proxy and receiver and the dependencies they load, nothing else', (t) => {
  const container = Container.create(t, image)
  const listing = container.exec(['sh', '-c', 'id -u; ls; ls node_modules node_modules/@opentelemetry; find dist -name "*.ts" ! -name "*.d.ts"'])
  assert.equal(listing.status, 0, listing.output)
  const lines = listing.output.split('\n')
  assert.equal(lines[0], '1000', 'it runs as the node user')
  for (const runtime of ['ioredis', 'undici', 'http-proxy-3', 'prom-client', '@grpc']) assert.ok(lines.includes(runtime), `${runtime} is installed`)
  for (const notTheProxys of ['sdk-node', 'import-in-the-middle', 'typescript', 'express', 'node']) assert.ok(!lines.includes(notTheProxys), `${notTheProxys} (the instrumentation's, or a devDependency) is not`)
  for (const source of ['core', 'proxy', 'ingest', 'storage', 'instrumentation', 'tsconfig.json', 'test', 'deploy']) assert.ok(!lines.includes(source), `the sources (${source}) are not copied`)
  assert.ok(!lines.some((line) => line.endsWith('.ts')), 'no TypeScript source is left in dist/')
  const write = container.exec(['touch', 'dist/cli.js'])
  assert.notEqual(write.status, 0, 'the proxy cannot change its own code (and needs no writable root)')
})

test('in front of an app with a real Redis: a 200 streams through, an anonymous 500 is the app\'s own byte for byte, a superuser sees the debug page', { timeout: 120_000 }, async (t) => {
  const { app, url } = await startContainerStack(t)

  const hello = await get(`${url}/hello`)
  assert.equal(hello.status, 200)
  assert.match(String(hello.headers['x-request-id']), /^[0-9a-f]{32}$/)
  assert.deepEqual(visible(hello), visible(await get(`${app.url}/hello`)))

  const anonymous = await get(`${url}/orders/42`)
  assert.equal(anonymous.status, 500)
  assert.deepEqual(visible(anonymous), visible(await get(`${app.url}/orders/42`)), 'everyone else gets the app\'s own 500, byte for byte')

  const cookie = await login(url, 'admin')
  const page = await get(`${url}/orders/42`, { cookie, accept: 'text/html' })
  assert.equal(page.status, 500)
  assert.match(page.text, /<h1>TypeError at \/orders\/42<\/h1>/)
  assert.ok(page.text.includes('deploy/example-app/server.js'), 'the frame in the app is named')
  assert.ok(page.text.includes(`<code>${page.headers['x-request-id']}</code>`), 'from the record stored under this request\'s ID')

  const alice = await get(`${url}/orders/42`, { cookie: await login(url, 'alice') })
  assert.deepEqual(visible(alice).body, anonymous.body, 'a user who is not a superuser gets the app\'s 500')
})

test('the image\'s HEALTHCHECK passes while the proxy runs, and fails once it has stopped', { timeout: 120_000 }, async (t) => {
  const { container, adminUrl } = await startContainerStack(t)
  const healthcheck = image.healthcheck?.Test.slice(1) ?? []

  const healthy = container.exec(healthcheck)
  assert.equal(healthy.status, 0, healthy.output)
  assert.equal((await get(`${adminUrl}/healthz`)).status, 200)

  assert.equal(await container.stop(), 0)
  const unhealthy = container.exec(healthcheck)
  assert.equal(unhealthy.status, 1, unhealthy.output)
})

test('docker stop: the STOPSIGNAL reaches the proxy, which finishes the request in flight and exits 0', { timeout: 120_000 }, async (t) => {
  const plainApp = `${repoRoot}test/apps/plain-app.js`
  const { app, container, proxy, url } = await startContainerStack(t, plainApp, [])

  const inFlight = new Promise<{ status: number, body: string, complete: boolean }>((resolve, reject) => {
    request(`${url}/stream?id=stop`, { agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('error', () => {})
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }))
    }).on('error', reject).end()
  })
  await app.waitFor('received /stream')

  const stopped = container.stop()
  await proxy.waitFor('SIGTERM: stopping')
  await get(`${app.url}/release?id=stop`)
  const response = await inFlight

  assert.equal(response.status, 200)
  assert.ok(response.complete, `the response in flight is finished, not cut: ${JSON.stringify(response.body)}`)
  assert.equal(await stopped, 0, proxy.output)
  assert.match(proxy.output, /"msg":"stopped"/)
})

test('the same image runs `supertrace ingest`: an app\'s OTLP export of a failing request becomes a record, and the HEALTHCHECK passes on the receiver\'s admin port', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t)
  const [port, adminPort] = [await freePort(), await freePort()]
  const container = Container.create(t, image)
  const ingest = container.start({
    SUPERTRACE_REDIS_URL: redis.url,
    SUPERTRACE_INGEST_PORT: String(port),
    SUPERTRACE_INGEST_GRPC_PORT: '0',
    SUPERTRACE_INGEST_ADMIN_PORT: String(adminPort),
  }, undefined, ['ingest'])
  const adminUrl = `http://127.0.0.1:${adminPort}`
  await ingest.waitUntil('answering /healthz', async () => (await get(`${adminUrl}/healthz`)).status === 200)
  const healthy = container.exec(image.healthcheck?.Test.slice(1) ?? [])
  assert.equal(healthy.status, 0, healthy.output)

  const requestId = newRequestId()
  const body = tracesExport(requestSpans({ traceId: requestId, status: 500, exception: { type: 'KeyError', message: "'SPRING'" } }), 'protobuf')
  assert.equal((await postExport(`http://127.0.0.1:${port}`, '/v1/traces', body, { 'content-type': CONTENT_TYPE.protobuf })).status, 200)
  await ingest.waitUntil('the record is stored', async () => (await redis.client.exists(recordKey(requestId))) === 1)
  assert.equal(await container.stop(), 0, 'SIGTERM ends the receiver cleanly')
})
