// deploy/docker-compose.yml and the Pod of deploy/kubernetes/, run as Compose and a kubelet would run
// them, with neither: the containers from the images the Dockerfiles build, each with the environment
// (and user) the files give it, all on this machine's network — as a Pod's containers share theirs, and
// with Compose's service names resolving to it — so the fixed ports they use (3000, 8080, 9901) must be
// free. Then what the files declare: health checks, start order, probes, the published or Service port.
// Part of `npm run test:image`. What cannot run here (a Redis image, the read-only root, the preStop
// hooks' timing) is checked from the files in npm test's deploy-files test.
import assert from 'node:assert/strict'
import { connect, createServer } from 'node:net'
import { networkInterfaces } from 'node:os'
import { before, test } from 'node:test'
import type { IContainer } from 'kubernetes-models/v1/Container'
import { byKind, readCompose, readManifests, serviceEnvironment, sidecarPod, type ComposeFile } from '../helpers/deploy-files.ts'
import { get, login, visible } from '../helpers/http.ts'
import { freePort, run, startRedis, type Started } from '../helpers/processes.ts'
import { buildImage, Container, type BuiltImage } from './container.ts'

let proxyImage: BuiltImage
let appImage: BuiltImage

before(() => {
  proxyImage = buildImage('localhost/supertrace-proxy:test', 'Dockerfile', (line) => console.log(line))
  appImage = buildImage('localhost/supertrace-example-app:test', 'deploy/example-app/Dockerfile', (line) => console.log(line))
})

/** The containerPort a probe or a Service names, by number or by the container's port name. */
function containerPort (container: IContainer, port: number | string | undefined): number {
  const found = typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort
  if (found === undefined) throw new Error(`container ${container.name} has no port ${String(port)}`)
  return found
}

/** `runAsUser:runAsGroup`, as the kubelet would run the container; undefined leaves the image's USER. */
function securityContextUser (container: IContainer): string | undefined {
  const { runAsUser, runAsGroup } = container.securityContext ?? {}
  return runAsUser === undefined ? undefined : `${runAsUser}:${runAsGroup ?? runAsUser}`
}

function assertFree (port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', () => reject(new Error(`port ${port}, which the Pod uses, is taken on this machine: stop what holds it (npm start?)`)))
    server.listen(port, () => server.close(() => resolve()))
  })
}

/** A Compose healthcheck's `CMD` run in the container until it passes, as `depends_on: service_healthy` waits for it. */
async function waitHealthy (name: string, container: Container, started: Started, healthcheck: { readonly test: readonly string[] } | undefined): Promise<void> {
  assert.equal(healthcheck?.test[0], 'CMD', `services.${name}.healthcheck is a CMD`)
  await started.waitUntil(`${name} is healthy`, async () => container.exec(healthcheck.test.slice(1)).status === 0)
}

function connectError (host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.on('connect', () => { socket.destroy(); resolve('accepted') })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

test('the sidecar Pod: its probes pass, the Service\'s port serves the app through the proxy, a superuser gets the debug page, and the app takes no connection from outside the Pod', { timeout: 120_000 }, async (t) => {
  const objects = byKind(readManifests())
  const pod = sidecarPod(objects)
  const service = objects.services.find((s) => s.metadata?.name === 'shop')
  const servicePort = containerPort(pod.proxy, service?.spec?.ports?.[0]?.targetPort)
  const appPort = Number(pod.appEnv.PORT)
  const readiness = pod.proxy.readinessProbe?.httpGet
  const liveness = pod.proxy.livenessProbe?.httpGet
  assert.ok(readiness !== undefined && liveness !== undefined, 'the proxy declares HTTP probes')
  const readinessUrl = `http://127.0.0.1:${containerPort(pod.proxy, readiness.port)}${readiness.path}`
  const livenessUrl = `http://127.0.0.1:${containerPort(pod.proxy, liveness.port)}${liveness.path}`
  for (const port of new Set([servicePort, appPort, containerPort(pod.proxy, readiness.port)])) await assertFree(port)

  // The Secret's Redis URL names the Service `redis`, which is cluster DNS: a Redis of the test's, with the same password, stands in.
  const redisUrl = new URL(pod.appEnv.SUPERTRACE_REDIS_URL ?? '')
  const redisPort = await freePort()
  const redis = run(t, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', decodeURIComponent(redisUrl.password)])
  await redis.waitFor('Ready to accept connections')
  redisUrl.host = `127.0.0.1:${redisPort}`

  const app = Container.create(t, appImage).start({ ...pod.appEnv, SUPERTRACE_REDIS_URL: redisUrl.href }, securityContextUser(pod.app))
  const proxy = Container.create(t, proxyImage).start({ ...pod.proxyEnv, SUPERTRACE_REDIS_URL: redisUrl.href }, securityContextUser(pod.proxy))
  await proxy.waitUntil(`the readiness probe (${readinessUrl}) passes`, async () => (await get(readinessUrl)).status === 200)
  assert.equal((await get(livenessUrl)).status, 200, 'the liveness probe passes')

  const url = `http://127.0.0.1:${servicePort}`
  const hello = await get(`${url}/hello`)
  assert.equal(hello.status, 200, app.output)
  assert.match(String(hello.headers['x-request-id']), /^[0-9a-f]{32}$/, 'through the proxy')
  const anonymous = await get(`${url}/orders/42`)
  assert.deepEqual(visible(anonymous), visible(await get(`http://127.0.0.1:${appPort}/orders/42`)), 'everyone else gets the app\'s own 500')
  const page = await get(`${url}/orders/42`, { cookie: await login(url, 'admin'), accept: 'text/html' })
  assert.match(page.text, /<h1>TypeError at \/orders\/42<\/h1>/, 'the app\'s record reached the proxy through the Secret\'s Redis')
  assert.match(page.text, /shop/, 'the app\'s OTEL_SERVICE_NAME is on the page')

  // From another machine (this one's own address, not loopback): the proxy answers, the app does not listen.
  const address = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address
  assert.ok(address !== undefined, 'this machine has an address besides loopback')
  assert.equal(await connectError(address, servicePort), 'accepted')
  assert.equal(await connectError(address, appPort), 'ECONNREFUSED', 'the app listens on the Pod\'s loopback only')
})

test('the Compose demo: Redis, then the app once Redis is healthy, then the proxy once both are; the published port shows each the README\'s URLs', { timeout: 120_000 }, async (t) => {
  const { services } = readCompose() as ComposeFile
  const { app: appService, proxy: proxyService } = services
  assert.ok(appService !== undefined && proxyService !== undefined)
  const published = /^127\.0\.0\.1:(\d+):(\d+)$/.exec(String(proxyService.ports?.[0]))
  assert.ok(published !== null, 'the proxy is published on loopback')
  const appPort = Number(serviceEnvironment(appService).PORT)
  for (const port of [Number(published[1]), appPort]) await assertFree(port)

  // The redis image cannot be pulled here: a redis-server of the test's stands in, under the service name `redis` on a free port.
  const redis = await startRedis(t)
  const serviceNames = { redis: '127.0.0.1', app: '127.0.0.1' }
  const onTestRedis = (env: Record<string, string>): Record<string, string> => {
    const url = new URL(env.SUPERTRACE_REDIS_URL ?? '')
    assert.equal(url.hostname, 'redis', 'the service reaches Redis by its service name')
    url.port = String(redis.port)
    return { ...env, SUPERTRACE_REDIS_URL: url.href }
  }

  const appContainer = Container.create(t, appImage, serviceNames)
  const app = appContainer.start(onTestRedis(serviceEnvironment(appService)))
  await waitHealthy('app', appContainer, app, appService.healthcheck)
  const proxyContainer = Container.create(t, proxyImage, serviceNames)
  const proxy = proxyContainer.start(onTestRedis(serviceEnvironment(proxyService)))
  await waitHealthy('proxy', proxyContainer, proxy, proxyService.healthcheck)

  const url = `http://127.0.0.1:${published[1]}`
  assert.equal((await get(`${url}/`)).status, 200, 'the shop, through the proxy')
  const anonymous = await get(`${url}/orders/42`)
  assert.deepEqual(visible(anonymous), visible(await get(`http://127.0.0.1:${appPort}/orders/42`)), 'the shop\'s own 500')
  const alice = await get(`${url}/orders/42`, { cookie: await login(url, 'alice') })
  assert.deepEqual(alice.body, anonymous.body, 'alice gets the shop\'s own 500 too')
  const admin = await login(url, 'admin')
  const page = await get(`${url}/orders/42`, { cookie: admin, accept: 'text/html' })
  assert.match(page.text, /<h1>TypeError at \/orders\/42<\/h1>/, 'the debug page')
  const recent = await get(`${url}/_supertrace/`, { cookie: admin, accept: 'text/html' })
  assert.ok(recent.text.includes(String(page.headers['x-request-id'])), 'the recent failures list it')

  // `docker compose down` stops the proxy first, within stop_grace_period.
  assert.equal(await proxyContainer.stop(), 0)
})
