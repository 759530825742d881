/**
 * deploy/docker-compose.yml and deploy/kubernetes/ are checked as `docker compose` and the
 * Kubernetes API server would check them (their schemas), and for what no schema knows: that
 * each SUPERTRACE_* and OTEL_* name is a setting of the side that reads it, and that the Service,
 * the proxy, the receiver (`supertrace ingest`), the app and the probes point at each other. Every check is also shown failing on a
 * broken copy, with a message that names the path, so a typo in these files fails `npm test`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import { loadSettings } from '../core/settings.ts'
import { instrumentationSettings } from '../instrumentation/config.ts'
import { loadProxyConfig } from '../proxy/config.ts'
import {
  byKind, composeProblems, ingestWiringProblems, composeSchemaProblems, kubernetesSchemaProblems, kustomizationProblems, podSettingProblems,
  podWiringProblems, readCompose, readKustomization, readManifests, securityProblems, serviceEnvironment, sidecarPod,
  type ComposeFile, type Manifest, type Objects,
} from './helpers/deploy-files.ts'

const manifests = readManifests()
const compose = readCompose()

/** A deep copy of `value` after `change`: the files themselves are never touched. */
function broken<T> (value: T, change: (copy: T) => void): T {
  const copy = structuredClone(value)
  change(copy)
  return copy
}

/** The Kubernetes objects of a copy of the manifests after `change`. */
function brokenObjects (change: (objects: Objects) => void): Objects {
  const objects = byKind(structuredClone(manifests))
  change(objects)
  return objects
}

function renameKey (object: object, from: string, to: string): void {
  const record = object as Record<string, unknown>
  assert.ok(from in record, `the files have ${from}`)
  record[to] = record[from]
  delete record[from]
}

function assertProblem (problems: readonly string[], expected: string): void {
  assert.ok(problems.some((p) => p.includes(expected)), `expected a problem naming ${JSON.stringify(expected)}; got ${JSON.stringify(problems)}`)
}

function shopDeployment (objects: Objects): IDeployment {
  return sidecarPod(objects).deployment
}

test('the Compose file is valid against the Compose Specification schema', () => {
  assert.deepEqual(composeSchemaProblems(compose), [])
})

test('a misspelled field or a wrong type in the Compose file is rejected, naming its path', () => {
  const services = (c: unknown): Record<string, Record<string, unknown>> => (c as { services: Record<string, Record<string, unknown>> }).services
  assertProblem(composeSchemaProblems(broken(compose, (c) => renameKey(services(c).proxy ?? {}, 'healthcheck', 'helthcheck'))), '/services/proxy/helthcheck: unknown field')
  assertProblem(composeSchemaProblems(broken(compose, (c) => { (services(c).proxy ?? {}).ports = '127.0.0.1:8080:8080' })), '/services/proxy/ports: must be array')
  assertProblem(composeSchemaProblems(broken(compose, (c) => { (services(c).proxy as { depends_on: Record<string, { condition: string }> }).depends_on.app = { condition: 'healthy' } })), '/services/proxy/depends_on/app/condition: must be one of')
})

test('every Kubernetes manifest is valid against the Kubernetes API schemas, with no unknown field', async () => {
  assert.deepEqual(manifests.map((m) => m.file), ['redis.yaml', 'shop-deployment.yaml', 'shop-service.yaml', 'supertrace-configmap.yaml', 'supertrace-ingest-configmap.yaml', 'supertrace-secret.yaml'])
  for (const { file, objects } of manifests) {
    assert.ok(objects.length > 0, `${file} has an object`)
    for (const object of objects) assert.deepEqual(await kubernetesSchemaProblems(object), [], file)
  }
})

test('a misspelled field or a wrong type in a manifest is rejected, naming its path', async () => {
  const deployment = shopDeployment(byKind(manifests))
  const proxyIndex = deployment.spec?.template.spec?.containers.findIndex((c) => c.name === 'proxy') ?? -1
  const proxyOf = (d: IDeployment): Record<string, unknown> => d.spec?.template.spec?.containers[proxyIndex] as unknown as Record<string, unknown>

  // A required field misspelled: the schema misses it, and the unknown name is named too.
  const noContainers = await kubernetesSchemaProblems(broken(deployment, (d) => renameKey(d.spec?.template.spec ?? {}, 'containers', 'contianers')))
  assertProblem(noContainers, '/spec/template/spec/contianers: unknown field')
  assertProblem(noContainers, '/spec/template/spec: the field containers is required')
  // An optional field misspelled: the OpenAPI schema alone would let it through.
  assertProblem(await kubernetesSchemaProblems(broken(deployment, (d) => renameKey(proxyOf(d), 'readinessProbe', 'readinesProbe'))), `/spec/template/spec/containers/${proxyIndex}/readinesProbe: unknown field`)
  assertProblem(await kubernetesSchemaProblems(broken(deployment, (d) => {
    const ports = proxyOf(d).ports as { containerPort: unknown }[]
    if (ports[0] !== undefined) ports[0].containerPort = '8080'
  })), `/spec/template/spec/containers/${proxyIndex}/ports/0/containerPort: must be integer`)
  assertProblem(await kubernetesSchemaProblems({ ...deployment, kind: 'Deploymnet' }), 'no schema for apiVersion apps/v1, kind Deploymnet')
})

test('every SUPERTRACE_* and OTEL_* name in the files is a setting of the side that reads it', () => {
  assert.deepEqual(podSettingProblems(byKind(manifests)), [])
  assert.deepEqual(composeProblems(compose as ComposeFile).filter((p) => p.includes('is not a setting')), [])

  const misspelled = brokenObjects((o) => renameKey(o.configMaps[0]?.data ?? {}, 'SUPERTRACE_SHUTDOWN_GRACE_MS', 'SUPERTRACE_SHUTDOWN_GRACE'))
  assert.deepEqual(podSettingProblems(misspelled), ['container proxy: SUPERTRACE_SHUTDOWN_GRACE is not a setting of the proxy (README "Settings")'])
  const otelTypo = brokenObjects((o) => { sidecarPod(o).app.env?.push({ name: 'OTEL_SERVICE_NAM', value: 'shop' }) })
  assert.deepEqual(podSettingProblems(otelTypo), ['container app: OTEL_SERVICE_NAM is not a setting of the instrumentation (README "Settings")'])
  const wrongSide = brokenObjects((o) => { sidecarPod(o).proxy.env?.push({ name: 'SUPERTRACE_TTL_SECONDS', value: '300' }) })
  assert.deepEqual(podSettingProblems(wrongSide), ['container proxy: SUPERTRACE_TTL_SECONDS is not a setting of the proxy (README "Settings")'])
  const composeTypo = broken(compose as ComposeFile, (c) => renameKey(c.services.proxy?.environment ?? {}, 'SUPERTRACE_REDIS_URL', 'SUPERTRACE_REDIS_ULR'))
  assertProblem(composeProblems(composeTypo), 'services.proxy.environment: SUPERTRACE_REDIS_ULR is not a setting of the proxy')

  // The receiver reads its own settings, and only those.
  const ingestTypo = brokenObjects((o) => renameKey(o.configMaps.find((c) => c.metadata?.name === 'supertrace-ingest')?.data ?? {}, 'SUPERTRACE_INGEST_BUFFER_MB', 'SUPERTRACE_INGEST_BUFFER'))
  assert.deepEqual(podSettingProblems(ingestTypo), ['container ingest: SUPERTRACE_INGEST_BUFFER is not a setting of the receiver (supertrace ingest) (README "Settings")'])
  const proxySettingOnIngest = brokenObjects((o) => { sidecarPod(o).ingest?.env?.push({ name: 'SUPERTRACE_UPSTREAM', value: 'http://127.0.0.1:3000' }) })
  assert.deepEqual(podSettingProblems(proxySettingOnIngest), ['container ingest: SUPERTRACE_UPSTREAM is not a setting of the receiver (supertrace ingest) (README "Settings")'])
  const ingestSettingOnProxy = broken(compose as ComposeFile, (c) => Object.assign(c.services.proxy?.environment ?? {}, { SUPERTRACE_INGEST_TOKEN: 't' }))
  assertProblem(composeProblems(ingestSettingOnProxy), 'services.proxy.environment: SUPERTRACE_INGEST_TOKEN is not a setting of the proxy')
})

test('the proxy starts with the settings the Pod and Compose give it, and the app\'s instrumentation reads its own without a warning', () => {
  const pod = sidecarPod(byKind(manifests))
  const config = loadProxyConfig(pod.proxyEnv)
  assert.equal(config.upstream.href, 'http://127.0.0.1:3000/')
  assert.equal(config.redisUrl.password, 'demo-password-change-me', 'the Redis URL comes from the Secret')
  assert.deepEqual(loadSettings(instrumentationSettings, pod.appEnv).problems, [])
  assert.equal(pod.appEnv.SUPERTRACE_REDIS_URL, pod.proxyEnv.SUPERTRACE_REDIS_URL, 'both sides use the same Redis')

  const services = (compose as ComposeFile).services
  assert.equal(loadProxyConfig(serviceEnvironment(services.proxy ?? {})).upstream.href, 'http://app:3000/')
  assert.deepEqual(loadSettings(instrumentationSettings, serviceEnvironment(services.app ?? {})).problems, [])

  // Why the Secret holds no session secret: in the shop's `set` mode the proxy refuses one.
  const withSessionSecret = sidecarPod(brokenObjects((o) => {
    Object.assign(o.secrets[0]?.stringData ?? {}, { SUPERTRACE_SESSION_SECRET: 's3cret' })
    sidecarPod(o).proxy.env?.push({ name: 'SUPERTRACE_SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'supertrace', key: 'SUPERTRACE_SESSION_SECRET' } } })
  }))
  assert.throws(() => loadProxyConfig(withSessionSecret.proxyEnv), /SUPERTRACE_SESSION_SECRET is set, but SUPERTRACE_LOOKUP=set does not use it/)
})

test('the Service reaches the proxy, the proxy reaches the app on loopback, the probes ask the admin port, and the app outlives the drain', () => {
  assert.deepEqual(podWiringProblems(byKind(manifests)), [])

  const toApp = brokenObjects((o) => { const port = o.services.find((s) => s.metadata?.name === 'shop')?.spec?.ports?.[0]; if (port !== undefined) port.targetPort = 3000 })
  assert.deepEqual(podWiringProblems(toApp), ['Service shop /spec/ports/0/targetPort: 3000 is not the proxy container\'s port 8080 (SUPERTRACE_PORT)'])
  const openApp = brokenObjects((o) => { const host = sidecarPod(o).app.env?.find((e) => e.name === 'HOST'); if (host !== undefined) host.value = '0.0.0.0' })
  assertProblem(podWiringProblems(openApp), 'container app env HOST: 0.0.0.0 is not 127.0.0.1')
  const wrongUpstream = brokenObjects((o) => Object.assign(o.configMaps[0]?.data ?? {}, { SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3001' }))
  assertProblem(podWiringProblems(wrongUpstream), 'container proxy SUPERTRACE_UPSTREAM: http://127.0.0.1:3001 is not the app container\'s http://127.0.0.1:3000')
  const wrongProbe = brokenObjects((o) => { const get = sidecarPod(o).proxy.readinessProbe?.httpGet; if (get !== undefined) get.path = '/healthz' })
  assertProblem(podWiringProblems(wrongProbe), 'container proxy readinessProbe: not GET /readyz on the admin port 9901 (it is GET /healthz on admin)')
  const probeOnProxyPort = brokenObjects((o) => { const get = sidecarPod(o).proxy.livenessProbe?.httpGet; if (get !== undefined) get.port = 8080 })
  assertProblem(podWiringProblems(probeOnProxyPort), 'container proxy livenessProbe: not GET /healthz on the admin port 9901')
  const earlyAppStop = brokenObjects((o) => { const sleep = sidecarPod(o).app.lifecycle?.preStop?.sleep; if (sleep !== undefined) sleep.seconds = 5 })
  assertProblem(podWiringProblems(earlyAppStop), 'container app preStop: sleeps 5 s, less than the proxy\'s preStop and drain (5 + 10 s)')
})

test('the receiver beside the app: the proxy\'s image run as `supertrace ingest`, probed on its admin port 9902, its token from the Secret, stopping after the app', () => {
  assert.deepEqual(ingestWiringProblems(byKind(manifests)), [])
  const pod = sidecarPod(byKind(manifests))
  assert.equal(pod.ingestEnv.SUPERTRACE_INGEST_TOKEN, 'demo-ingest-token-change-me', 'the token comes from the Secret')
  assert.equal(pod.ingestEnv.SUPERTRACE_REDIS_URL, pod.appEnv.SUPERTRACE_REDIS_URL, 'the receiver writes to the Redis the proxy reads')

  const noIngest = brokenObjects((o) => { const spec = sidecarPod(o).deployment.spec?.template.spec; if (spec !== undefined) spec.containers = spec.containers.filter((c) => c.name !== 'ingest') })
  assert.deepEqual(ingestWiringProblems(noIngest), ['container ingest: the Pod has no receiver (supertrace ingest)'])
  const runsTheProxy = brokenObjects((o) => { const ingest = sidecarPod(o).ingest; if (ingest !== undefined) delete ingest.args })
  assertProblem(ingestWiringProblems(runsTheProxy), 'container ingest: args undefined')
  const probeOnProxyAdmin = brokenObjects((o) => { const get = sidecarPod(o).ingest?.readinessProbe?.httpGet; if (get !== undefined) get.port = 9901 })
  assertProblem(ingestWiringProblems(probeOnProxyAdmin), 'container ingest readinessProbe: not GET /readyz on the admin port 9902 (it is GET /readyz on 9901)')
  const tokenInConfigMap = brokenObjects((o) => {
    const ingest = sidecarPod(o).ingest
    if (ingest?.env !== undefined) ingest.env = ingest.env.filter((e) => e.name !== 'SUPERTRACE_INGEST_TOKEN')
    Object.assign(o.configMaps.find((c) => c.metadata?.name === 'supertrace-ingest')?.data ?? {}, { SUPERTRACE_INGEST_TOKEN: 'in-plain-sight' })
  })
  assertProblem(ingestWiringProblems(tokenInConfigMap), 'container ingest SUPERTRACE_INGEST_TOKEN: not taken from the Secret')
  const loopbackOnly = brokenObjects((o) => Object.assign(o.configMaps.find((c) => c.metadata?.name === 'supertrace-ingest')?.data ?? {}, { SUPERTRACE_INGEST_HOST: '127.0.0.1' }))
  assertProblem(ingestWiringProblems(loopbackOnly), 'container ingest SUPERTRACE_INGEST_HOST: 127.0.0.1 is not 0.0.0.0')
  const stopsFirst = brokenObjects((o) => { const sleep = sidecarPod(o).ingest?.lifecycle?.preStop?.sleep; if (sleep !== undefined) sleep.seconds = 5 })
  assertProblem(ingestWiringProblems(stopsFirst), 'container ingest preStop: sleeps 5 s, not longer than the app\'s 16 s')
})

test('every container runs as non-root on a read-only root filesystem, without privilege escalation or capabilities, with resource limits', () => {
  assert.deepEqual(securityProblems(byKind(manifests)), [])

  const writable = brokenObjects((o) => { const context = sidecarPod(o).proxy.securityContext; if (context !== undefined) delete context.readOnlyRootFilesystem })
  assert.deepEqual(securityProblems(writable), ['Deployment shop container proxy securityContext: readOnlyRootFilesystem is not true'])
  const withCapability = brokenObjects((o) => { const capabilities = sidecarPod(o).app.securityContext?.capabilities; if (capabilities !== undefined) capabilities.add = ['NET_ADMIN'] })
  assert.deepEqual(securityProblems(withCapability), ['Deployment shop container app securityContext: capabilities do not drop ALL'])
})

test('kubectl apply -k takes every manifest, and kustomize edit set image reaches every container\'s image', () => {
  const kustomization = readKustomization()
  assert.deepEqual(kustomizationProblems(kustomization, manifests, byKind(manifests)), [])

  const missing: Manifest[] = [...manifests, { file: 'shop-pdb.yaml', objects: [] }]
  assert.deepEqual(kustomizationProblems(kustomization, missing, byKind(manifests)), ['kustomization.yaml resources: shop-pdb.yaml is not listed'])
  const renamedImage = broken(kustomization, (k) => { const proxyImage = k.images.find((i) => i.name === 'supertrace-proxy'); if (proxyImage !== undefined) Object.assign(proxyImage, { name: 'supertrace' }) })
  assert.deepEqual(kustomizationProblems(renamedImage, manifests, byKind(manifests)), [
    'kustomization.yaml images: no entry for supertrace-proxy (container proxy), so kustomize edit set image cannot set it',
    'kustomization.yaml images: no entry for supertrace-proxy (container ingest), so kustomize edit set image cannot set it',
  ])
})

test('Compose publishes only the proxy, on loopback, built from the root Dockerfile, once the app and Redis are healthy', () => {
  assert.deepEqual(composeProblems(compose as ComposeFile), [])

  const published = broken(compose as ComposeFile, (c) => Object.assign(c.services.proxy ?? {}, { ports: ['8080:8080'] }))
  assert.deepEqual(composeProblems(published), ['services.proxy.ports: 8080:8080 is published beyond this machine\'s loopback (anyone can log in as admin in the demo)'])
  const started = broken(compose as ComposeFile, (c) => Object.assign(c.services.proxy?.depends_on ?? {}, { app: { condition: 'service_started' } }))
  assert.deepEqual(composeProblems(started), ['services.proxy.depends_on.app: the condition is not service_healthy'])
  const unchecked = broken(compose as ComposeFile, (c) => { delete (c.services.app as { healthcheck?: unknown }).healthcheck })
  assertProblem(composeProblems(unchecked), 'services.app: no healthcheck')
})

test('Compose runs the receiver from the proxy\'s image as `supertrace ingest`, reachable from the other containers, unpublished, on the app\'s Redis', () => {
  const ingest = (compose as ComposeFile).services.ingest
  assert.ok(ingest !== undefined, 'services.ingest exists')
  assert.deepEqual(ingest.command, ['ingest'])
  assert.equal(ingest.ports, undefined, 'nothing publishes it')

  const asProxy = broken(compose as ComposeFile, (c) => { delete (c.services.ingest as { command?: unknown }).command })
  assertProblem(composeProblems(asProxy), 'services.ingest.command: undefined does not run `supertrace ingest`')
  const published = broken(compose as ComposeFile, (c) => Object.assign(c.services.ingest ?? {}, { ports: ['127.0.0.1:4318:4318'] }))
  assertProblem(composeProblems(published), 'services.ingest.ports: only the proxy is published')
  const otherRedis = broken(compose as ComposeFile, (c) => Object.assign(c.services.ingest?.environment ?? {}, { SUPERTRACE_REDIS_URL: 'redis://redis:6380' }))
  assertProblem(composeProblems(otherRedis), 'services.ingest.environment.SUPERTRACE_REDIS_URL: not the app\'s Redis')
  const loopback = broken(compose as ComposeFile, (c) => Object.assign(c.services.ingest?.environment ?? {}, { SUPERTRACE_INGEST_HOST: '127.0.0.1' }))
  assertProblem(composeProblems(loopback), 'services.ingest.environment.SUPERTRACE_INGEST_HOST: 127.0.0.1 is not 0.0.0.0')
})
