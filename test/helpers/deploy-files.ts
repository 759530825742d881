/**
 * The deployment files (deploy/docker-compose.yml, deploy/kubernetes/) read as their tools read
 * them, checked against the schemas those tools enforce, and against what a schema cannot know:
 * that the settings are supertrace's, and that the proxy, the receiver (`supertrace ingest`),
 * the app and the probes fit together.
 * Each check returns its problems, one sentence each naming the path, so a test can show both
 * that the real files have none and that a broken copy has the right one.
 */
import { ingestSettings } from '../../ingest/config.ts'
import { readdirSync, readFileSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { ISecret } from 'kubernetes-models/v1/Secret'
import type { IService } from 'kubernetes-models/v1/Service'
import { parse, parseAllDocuments } from 'yaml'
import { instrumentationSettings } from '../../instrumentation/config.ts'
import { proxySettings } from '../../proxy/config.ts'

export const composeFile = new URL('../../deploy/docker-compose.yml', import.meta.url)
export const kubernetesDir = new URL('../../deploy/kubernetes/', import.meta.url)

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

// ---- Compose -------------------------------------------------------------------------------

/**
 * The Compose Specification's JSON schema, as dclint ships it (its `update-compose-schema`
 * script copies compose-spec's schema/compose-spec.json). It declares draft-07 under the
 * https address, which Ajv knows under http only: the meta-schema is registered under both,
 * so the schema itself is still checked.
 */
function compileComposeSchema (): Validator {
  const schema = readJson(new URL('schemas/compose.schema.json', import.meta.resolve('dclint/package.json'))) as { $schema: string }
  const draft07 = readJson(new URL(import.meta.resolve('ajv/dist/refs/json-schema-draft-07.json'))) as object
  // allowUnionTypes/strictTypes: the spec writes `type: ["number", "string"]` and leaves out `type: object` in places.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false })
  ajv.addMetaSchema({ ...draft07, $id: schema.$schema })
  return ajv.compile(schema)
}

let composeValidator: Validator | undefined

export function composeSchemaProblems (compose: unknown): string[] {
  composeValidator ??= compileComposeSchema()
  return composeValidator(compose) ? [] : (composeValidator.errors ?? []).map(describeError)
}

export interface ComposeService {
  readonly image?: string
  readonly build?: { readonly context?: string, readonly dockerfile?: string }
  /** Compose takes a map or a list of KEY=VALUE. */
  readonly environment?: Readonly<Record<string, string>> | readonly string[]
  readonly command?: string | readonly string[]
  readonly ports?: readonly (string | number)[]
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>
  readonly healthcheck?: { readonly test: readonly string[] }
}
export interface ComposeFile { readonly services: Readonly<Record<string, ComposeService>> }

export function readCompose (): unknown {
  return parse(readFileSync(composeFile, 'utf8'))
}

// ---- Kubernetes ----------------------------------------------------------------------------

export interface KubernetesObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string }
}

export interface Manifest {
  /** The file's name in deploy/kubernetes/. */
  readonly file: string
  readonly objects: readonly unknown[]
}

/** Every YAML file in deploy/kubernetes/ but kustomization.yaml, each with its documents. */
export function readManifests (): Manifest[] {
  return readdirSync(kubernetesDir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort()
    .map((file) => ({ file, objects: parseAllDocuments(readFileSync(new URL(file, kubernetesDir), 'utf8')).map((doc) => doc.toJS() as unknown) }))
}

export interface Kustomization {
  readonly resources: readonly string[]
  readonly images: readonly { readonly name: string, readonly newName?: string, readonly newTag?: string }[]
}

export function readKustomization (): Kustomization {
  return parse(readFileSync(new URL('kustomization.yaml', kubernetesDir), 'utf8')) as Kustomization
}

/**
 * The object's problems against the Kubernetes OpenAPI schema (kubernetes-models' compiled
 * validators), plus the fields the schema does not know. The OpenAPI schemas allow unknown
 * fields, but the API server rejects them (kubectl's default `--validate=strict`), so a typo
 * such as `readinesProbe` must fail here too: the validator runs on a watched copy, and an
 * object key it neither read nor listed is a field the schema does not have.
 */
export async function kubernetesSchemaProblems (object: unknown): Promise<string[]> {
  const typeMeta = object as Partial<KubernetesObject>
  if (typeof typeMeta.apiVersion !== 'string' || typeof typeMeta.kind !== 'string') return ['/: apiVersion and kind are required']
  const validate = await kubernetesValidator(typeMeta.apiVersion, typeMeta.kind)
  if (validate === null) return [`/: no schema for apiVersion ${typeMeta.apiVersion}, kind ${typeMeta.kind}`]
  const seen = new Map<object, Set<string>>()
  const isValid = validate(watched(object, seen))
  return [...(isValid ? [] : (validate.errors ?? []).map(describeError)), ...unseenFields(object, seen, '')]
}

/** kubernetes-models names each schema after its OpenAPI definition: apps/v1 Deployment is IoK8sApiAppsV1Deployment. */
async function kubernetesValidator (apiVersion: string, kind: string): Promise<Validator | null> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion]
  const groupName = capitalize((group ?? '').split('.')[0] ?? '')
  try {
    const module = await import(`kubernetes-models/_schemas/IoK8sApi${groupName}${capitalize(version ?? '')}${kind}`) as { validate: Validator }
    return module.validate
  } catch {
    return null
  }
}

/** `value` behind Proxies that record, for each object, the keys a validator read or listed. */
function watched (value: unknown, seen: Map<object, Set<string>>): unknown {
  if (value === null || typeof value !== 'object') return value
  const keys = new Set<string>()
  seen.set(value, keys)
  const children = new Map<string, unknown>()
  return new Proxy(value, {
    get (target, key, receiver) {
      const child: unknown = Reflect.get(target, key, receiver)
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child
      keys.add(key)
      if (!children.has(key)) children.set(key, watched(child, seen))
      return children.get(key)
    },
    // A map (labels, data, resources.limits) is validated by listing its keys: each is allowed.
    ownKeys (target) {
      const own = Reflect.ownKeys(target)
      for (const key of own) if (typeof key === 'string') keys.add(key)
      return own
    },
  })
}

function unseenFields (value: unknown, seen: Map<object, Set<string>>, path: string): string[] {
  if (value === null || typeof value !== 'object') return []
  const keys = seen.get(value)
  if (keys === undefined) return [] // not reached: the schema errors above say why
  return Object.entries(value).flatMap(([key, child]) => {
    const at = `${path}/${key}`
    if (Array.isArray(value) || keys.has(key)) return unseenFields(child, seen, at)
    return [`${at}: unknown field`]
  })
}

// ---- What the schemas cannot know ----------------------------------------------------------

const PROXY_ENV = new Set(Object.values(proxySettings).map((s) => s.env))
const INSTRUMENTATION_ENV = new Set(Object.values(instrumentationSettings).map((s) => s.env))
export const INGEST_ENV: ReadonlySet<string> = new Set(Object.values(ingestSettings).map((s) => s.env))
/** The receiver's admin port (SUPERTRACE_INGEST_ADMIN_PORT) and OTLP/HTTP port (SUPERTRACE_INGEST_PORT) by default. */
const INGEST_ADMIN_PORT = ingestSettings.adminPort.default
const INGEST_HTTP_PORT = ingestSettings.port.default
/**
 * OpenTelemetry's own variables (its SDK environment specification) that an app's manifest may
 * set; the instrumentation hands them to the OpenTelemetry SDK. Add one here when a file uses it.
 */
const OTEL_ENV = new Set(['OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_TRACES_EXPORTER', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL'])

/** The role of a container or Compose service: the proxy reads proxy settings, the app the instrumentation's, the receiver its own. */
export type Role = 'proxy' | 'app' | 'ingest'

const SETTINGS_OF: Readonly<Record<Role, { readonly known: ReadonlySet<string>, readonly side: string }>> = {
  proxy: { known: PROXY_ENV, side: 'proxy' },
  app: { known: new Set([...INSTRUMENTATION_ENV, ...OTEL_ENV]), side: 'instrumentation' },
  ingest: { known: INGEST_ENV, side: 'receiver (supertrace ingest)' },
}

/** A SUPERTRACE_* or OTEL_* name that is not a setting of `role` (a misspelling, or another side's). */
export function unknownSettings (names: Iterable<string>, role: Role, where: string): string[] {
  const { known, side } = SETTINGS_OF[role]
  return [...names]
    .filter((name) => /^(SUPERTRACE|OTEL)_/.test(name) && !known.has(name))
    .map((name) => `${where}: ${name} is not a setting of the ${side} (README "Settings")`)
}

export interface Pod {
  readonly deployment: IDeployment
  readonly app: IContainer
  readonly proxy: IContainer
  /** `supertrace ingest`, the receiver of other languages' exports, when the Pod has it. */
  readonly ingest: IContainer | undefined
  /** Each container's environment as the kubelet gives it: envFrom, then env, secrets resolved. */
  readonly appEnv: Readonly<Record<string, string>>
  readonly proxyEnv: Readonly<Record<string, string>>
  readonly ingestEnv: Readonly<Record<string, string>>
}

/** The objects of every manifest, typed by kind once they pass their schema. */
export interface Objects {
  readonly deployments: readonly IDeployment[]
  readonly services: readonly IService[]
  readonly configMaps: readonly IConfigMap[]
  readonly secrets: readonly ISecret[]
}

export function byKind (manifests: readonly Manifest[]): Objects {
  const all = manifests.flatMap((m) => m.objects) as KubernetesObject[]
  const of = <T>(kind: string): T[] => all.filter((o) => o.kind === kind) as T[]
  return { deployments: of<IDeployment>('Deployment'), services: of<IService>('Service'), configMaps: of<IConfigMap>('ConfigMap'), secrets: of<ISecret>('Secret') }
}

/** The Deployment whose Pod has the proxy sidecar: the containers `proxy` and `app`. */
export function sidecarPod (objects: Objects): Pod {
  for (const deployment of objects.deployments) {
    const containers = deployment.spec?.template.spec?.containers ?? []
    const proxy = containers.find((c) => c.name === 'proxy')
    const app = containers.find((c) => c.name === 'app')
    const ingest = containers.find((c) => c.name === 'ingest')
    if (proxy !== undefined && app !== undefined) {
      return { deployment, app, proxy, ingest, appEnv: environment(app, objects), proxyEnv: environment(proxy, objects), ingestEnv: ingest === undefined ? {} : environment(ingest, objects) }
    }
  }
  throw new Error('no Deployment has the containers "proxy" and "app"')
}

function environment (container: IContainer, objects: Objects): Record<string, string> {
  const env: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    const data = source.configMapRef !== undefined ? configMapData(objects, source.configMapRef.name ?? '') : secretData(objects, source.secretRef?.name ?? '')
    Object.assign(env, data)
  }
  for (const variable of container.env ?? []) {
    const { secretKeyRef, configMapKeyRef } = variable.valueFrom ?? {}
    const value = secretKeyRef !== undefined
      ? secretData(objects, secretKeyRef.name ?? '')[secretKeyRef.key]
      : configMapKeyRef !== undefined ? configMapData(objects, configMapKeyRef.name ?? '')[configMapKeyRef.key] : variable.value
    if (value !== undefined) env[variable.name] = value
  }
  return env
}

function configMapData (objects: Objects, name: string): Record<string, string> {
  return objects.configMaps.find((c) => c.metadata?.name === name)?.data ?? {}
}

function secretData (objects: Objects, name: string): Record<string, string> {
  const secret = objects.secrets.find((s) => s.metadata?.name === name)
  const decoded = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]))
  return { ...decoded, ...secret?.stringData }
}

/** The SUPERTRACE_* and OTEL_* names each container gets, ConfigMap and Secret keys included, that are not its settings. */
export function podSettingProblems (objects: Objects): string[] {
  const pod = sidecarPod(objects)
  return [
    ...unknownSettings(Object.keys(pod.proxyEnv), 'proxy', 'container proxy'),
    ...unknownSettings(Object.keys(pod.appEnv), 'app', 'container app'),
    ...unknownSettings(Object.keys(pod.ingestEnv), 'ingest', 'container ingest'),
  ]
}

/** The containerPort a probe's or Service's port (a number or a port name) means in `container`. */
function portNumber (container: IContainer, port: number | string | undefined): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort
}

/** How the sidecar Pod fits together: the ports, the probes, the upstream, the stop order. */
export function podWiringProblems (objects: Objects): string[] {
  const { deployment, app, proxy, appEnv, proxyEnv } = sidecarPod(objects)
  const problems: string[] = []
  const proxyPort = Number(proxyEnv.SUPERTRACE_PORT ?? 8080)
  const adminPort = Number(proxyEnv.SUPERTRACE_ADMIN_PORT ?? 9901)
  const podLabels = deployment.spec?.template.metadata?.labels ?? {}
  const services = objects.services.filter((s) => Object.entries(s.spec?.selector ?? {}).every(([key, value]) => podLabels[key] === value))
  if (services.length === 0) problems.push(`Service: none selects the Pod of Deployment ${deployment.metadata?.name}`)
  for (const service of services) {
    for (const [i, port] of (service.spec?.ports ?? []).entries()) {
      const target = portNumber(proxy, port.targetPort ?? port.port)
      if (target !== proxyPort) problems.push(`Service ${service.metadata?.name} /spec/ports/${i}/targetPort: ${String(port.targetPort)} is not the proxy container's port ${proxyPort} (SUPERTRACE_PORT)`)
    }
  }
  if (appEnv.HOST !== '127.0.0.1') problems.push(`container app env HOST: ${appEnv.HOST} is not 127.0.0.1 (only the proxy may reach the app)`)
  const upstream = `http://127.0.0.1:${appEnv.PORT ?? 3000}`
  if (proxyEnv.SUPERTRACE_UPSTREAM !== upstream) problems.push(`container proxy SUPERTRACE_UPSTREAM: ${proxyEnv.SUPERTRACE_UPSTREAM} is not the app container's ${upstream}`)
  for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz']] as const) {
    const get = proxy[probe]?.httpGet
    if (get?.path !== path || portNumber(proxy, get.port) !== adminPort) problems.push(`container proxy ${probe}: not GET ${path} on the admin port ${adminPort} (it is ${get === undefined ? 'missing' : `GET ${get.path} on ${String(get.port)}`})`)
  }
  // The app must outlive the proxy's drain, and the Pod's grace period must outlive both.
  const graceSeconds = Number(proxyEnv.SUPERTRACE_SHUTDOWN_GRACE_MS ?? 10000) / 1000
  const proxyPreStop = proxy.lifecycle?.preStop?.sleep?.seconds ?? 0
  const appPreStop = app.lifecycle?.preStop?.sleep?.seconds ?? 0
  const podGrace = deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30
  if (appPreStop < proxyPreStop + graceSeconds) problems.push(`container app preStop: sleeps ${appPreStop} s, less than the proxy's preStop and drain (${proxyPreStop} + ${graceSeconds} s), so the app stops under requests in flight`)
  if (podGrace <= appPreStop) problems.push(`terminationGracePeriodSeconds: ${podGrace} s leaves the app no time after its ${appPreStop} s preStop`)
  return [...problems, ...ingestWiringProblems(objects)]
}

/**
 * The receiver beside the app: the proxy's image run as `supertrace ingest`, probed on its own
 * admin port, its token from the Secret (never a ConfigMap), listening where the kubelet can
 * probe it, the same Redis as the app, and stopping after the app so its last spans arrive.
 */
export function ingestWiringProblems (objects: Objects): string[] {
  const { deployment, app, proxy, ingest, appEnv, ingestEnv } = sidecarPod(objects)
  if (ingest === undefined) return ['container ingest: the Pod has no receiver (supertrace ingest)']
  const problems: string[] = []
  if (ingest.image !== proxy.image) problems.push(`container ingest image: ${ingest.image} is not the proxy's image ${proxy.image} (one image runs both)`)
  if (JSON.stringify(ingest.args) !== '["ingest"]' || ingest.command !== undefined) problems.push(`container ingest: args ${JSON.stringify(ingest.args)} (and command ${JSON.stringify(ingest.command)}) do not run \`supertrace ingest\` (args ["ingest"], the image's entrypoint kept)`)
  const adminPort = Number(ingestEnv.SUPERTRACE_INGEST_ADMIN_PORT ?? INGEST_ADMIN_PORT)
  for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz']] as const) {
    const get = ingest[probe]?.httpGet
    if (get?.path !== path || portNumber(ingest, get.port) !== adminPort) problems.push(`container ingest ${probe}: not GET ${path} on the admin port ${adminPort} (it is ${get === undefined ? 'missing' : `GET ${get.path} on ${String(get.port)}`})`)
  }
  const httpPort = Number(ingestEnv.SUPERTRACE_INGEST_PORT ?? INGEST_HTTP_PORT)
  if (!(ingest.ports ?? []).some((p) => p.containerPort === httpPort)) problems.push(`container ingest ports: no containerPort ${httpPort} (SUPERTRACE_INGEST_PORT)`)
  if (ingestEnv.SUPERTRACE_INGEST_HOST !== '0.0.0.0') problems.push(`container ingest SUPERTRACE_INGEST_HOST: ${ingestEnv.SUPERTRACE_INGEST_HOST} is not 0.0.0.0, so the kubelet's probes cannot reach its admin port`)
  const token = ingest.env?.find((e) => e.name === 'SUPERTRACE_INGEST_TOKEN')
  if (token?.valueFrom?.secretKeyRef === undefined || (ingestEnv.SUPERTRACE_INGEST_TOKEN ?? '') === '') problems.push('container ingest SUPERTRACE_INGEST_TOKEN: not taken from the Secret (it listens on the Pod\'s address, so exports must carry a token)')
  if (ingestEnv.SUPERTRACE_REDIS_URL !== appEnv.SUPERTRACE_REDIS_URL) problems.push('container ingest SUPERTRACE_REDIS_URL: not the app\'s Redis, where the proxy looks for records')
  const ingestPreStop = ingest.lifecycle?.preStop?.sleep?.seconds ?? 0
  const appPreStop = app.lifecycle?.preStop?.sleep?.seconds ?? 0
  if (ingestPreStop <= appPreStop) problems.push(`container ingest preStop: sleeps ${ingestPreStop} s, not longer than the app's ${appPreStop} s, so the spans the app exports as it stops find no receiver`)
  const podGrace = deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30
  if (podGrace <= ingestPreStop) problems.push(`terminationGracePeriodSeconds: ${podGrace} s leaves the receiver no time after its ${ingestPreStop} s preStop`)
  return problems
}

/** What every container must have: a non-root user, a read-only root, no privilege escalation, no capabilities, seccomp. */
export function securityProblems (objects: Objects): string[] {
  return objects.deployments.flatMap((deployment) => (deployment.spec?.template.spec?.containers ?? []).flatMap((container) => {
    const context = container.securityContext
    const where = `Deployment ${deployment.metadata?.name} container ${container.name} securityContext`
    const problems: string[] = []
    if (context?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`)
    if (context?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`)
    if (context?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`)
    if (!(context?.capabilities?.drop ?? []).includes('ALL') || (context?.capabilities?.add ?? []).length > 0) problems.push(`${where}: capabilities do not drop ALL`)
    if (context?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: seccompProfile is not RuntimeDefault`)
    if (container.resources?.requests === undefined || container.resources.limits === undefined) problems.push(`Deployment ${deployment.metadata?.name} container ${container.name} resources: requests and limits are not both set`)
    return problems
  }))
}

/** `kubectl apply -k` takes exactly the manifests, and `kustomize edit set image` reaches each image we build. */
export function kustomizationProblems (kustomization: Kustomization, manifests: readonly Manifest[], objects: Objects): string[] {
  const files = manifests.map((m) => m.file)
  const problems = [
    ...files.filter((file) => !kustomization.resources.includes(file)).map((file) => `kustomization.yaml resources: ${file} is not listed`),
    ...kustomization.resources.filter((file) => !files.includes(file)).map((file) => `kustomization.yaml resources: ${file} does not exist`),
  ]
  const pod = sidecarPod(objects)
  for (const container of [pod.app, pod.proxy, ...(pod.ingest === undefined ? [] : [pod.ingest])]) {
    if (!kustomization.images.some((image) => image.name === container.image)) problems.push(`kustomization.yaml images: no entry for ${container.image} (container ${container.name}), so kustomize edit set image cannot set it`)
  }
  return problems
}

/** The Compose file's wiring: the proxy in front on loopback, health checks, start order, settings. */
export function composeProblems (compose: ComposeFile): string[] {
  const { proxy, app, ingest } = compose.services
  if (proxy === undefined || app === undefined) return ['services: there must be a "proxy" and an "app"']
  const proxyEnv = serviceEnvironment(proxy)
  const appEnv = serviceEnvironment(app)
  const problems = [
    ...unknownSettings(Object.keys(proxyEnv), 'proxy', 'services.proxy.environment'),
    ...unknownSettings(Object.keys(appEnv), 'app', 'services.app.environment'),
    ...composeIngestProblems(ingest, proxy, appEnv),
  ]
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.healthcheck === undefined) problems.push(`services.${name}: no healthcheck`)
    if (name !== 'proxy' && service.ports !== undefined) problems.push(`services.${name}.ports: only the proxy is published`)
  }
  for (const port of proxy.ports ?? []) if (!String(port).startsWith('127.0.0.1:')) problems.push(`services.proxy.ports: ${port} is published beyond this machine's loopback (anyone can log in as admin in the demo)`)
  for (const needed of ['app', 'redis']) {
    if (proxy.depends_on?.[needed]?.condition !== 'service_healthy') problems.push(`services.proxy.depends_on.${needed}: the condition is not service_healthy`)
  }
  if (proxy.build?.context !== '..' || (proxy.build.dockerfile ?? 'Dockerfile') !== 'Dockerfile') problems.push('services.proxy.build: not the repository root\'s Dockerfile (context "..")')
  const upstream = `http://app:${appEnv.PORT ?? 3000}`
  if (proxyEnv.SUPERTRACE_UPSTREAM !== upstream) problems.push(`services.proxy.environment.SUPERTRACE_UPSTREAM: ${proxyEnv.SUPERTRACE_UPSTREAM} is not the app's ${upstream}`)
  return problems
}

/** The receiver's service: the proxy's image and build, run as `supertrace ingest`, reachable from the app's container, on the app's Redis once it is healthy. */
function composeIngestProblems (ingest: ComposeService | undefined, proxy: ComposeService, appEnv: Record<string, string>): string[] {
  if (ingest === undefined) return ['services: there is no "ingest" (supertrace ingest, the receiver of other languages\' exports)']
  const env = serviceEnvironment(ingest)
  const problems = unknownSettings(Object.keys(env), 'ingest', 'services.ingest.environment')
  if (ingest.image !== proxy.image || ingest.build?.context !== proxy.build?.context || ingest.build?.dockerfile !== proxy.build?.dockerfile) problems.push('services.ingest: not the proxy\'s image and build (one image runs both)')
  const command = typeof ingest.command === 'string' ? ingest.command.split(' ') : ingest.command
  if (JSON.stringify(command) !== '["ingest"]') problems.push(`services.ingest.command: ${JSON.stringify(ingest.command)} does not run \`supertrace ingest\` (["ingest"])`)
  if (env.SUPERTRACE_INGEST_HOST !== '0.0.0.0') problems.push(`services.ingest.environment.SUPERTRACE_INGEST_HOST: ${env.SUPERTRACE_INGEST_HOST} is not 0.0.0.0, so no other container reaches it`)
  if (env.SUPERTRACE_REDIS_URL !== appEnv.SUPERTRACE_REDIS_URL) problems.push('services.ingest.environment.SUPERTRACE_REDIS_URL: not the app\'s Redis, where the proxy looks for records')
  if (ingest.depends_on?.redis?.condition !== 'service_healthy') problems.push('services.ingest.depends_on.redis: the condition is not service_healthy')
  return problems
}

export function serviceEnvironment (service: ComposeService): Record<string, string> {
  const { environment = {} } = service
  if (!Array.isArray(environment)) return { ...environment as Record<string, string> }
  return Object.fromEntries((environment as readonly string[]).map((pair) => [pair.split('=')[0] ?? '', pair.slice(pair.indexOf('=') + 1)]))
}

// ---- shared --------------------------------------------------------------------------------

/** One sentence per schema error, starting with the path in the file (a JSON pointer). */
function describeError (error: ErrorObject): string {
  const at = error.instancePath === '' ? '/' : error.instancePath
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': return `${at === '/' ? '' : at}/${String(params.additionalProperty)}: unknown field`
    case 'required': return `${at}: the field ${String(params.missingProperty)} is required`
    case 'type': return `${at}: must be ${String(params.type)}`
    case 'enum': return `${at}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`
    default: return `${at}: ${error.message ?? error.keyword} ${JSON.stringify(params)}`
  }
}

function capitalize (word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

function readJson (url: URL): unknown {
  return JSON.parse(readFileSync(url, 'utf8'))
}
