/**
 * The OpenTelemetry Collector configurations in deploy/collector/, read as the Collector reads
 * them, and checked for what supertrace needs of them. No Collector binary can be installed
 * here, so the settings each component accepts are written out below from the components' own
 * `config.schema.yaml` (opentelemetry-collector v0.159, commit 934999f; the loadbalancing
 * exporter's from opentelemetry-collector-contrib): a misspelled key, which the Collector
 * refuses at start-up ("has invalid keys"), fails here too. Each check returns its problems,
 * one sentence each naming the path, as test/helpers/deploy-files.ts does.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'

export const collectorDir = new URL('../../deploy/collector/', import.meta.url)

/** supertrace ingest's default ports (README "Settings"): OTLP/HTTP and OTLP/gRPC. */
export const INGEST_HTTP_PORT = 4318
export const INGEST_GRPC_PORT = 4317
/** The header every export must carry when SUPERTRACE_INGEST_TOKEN is set, from the Collector's environment. */
export const TOKEN_HEADER_VALUE = 'Bearer ${env:SUPERTRACE_INGEST_TOKEN}'

export interface CollectorFile {
  readonly file: string
  readonly config: unknown
}

/** Every YAML file in deploy/collector/, parsed. */
export function readCollectorConfigs (): CollectorFile[] {
  return readdirSync(collectorDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, config: parse(readFileSync(new URL(file, collectorDir), 'utf8')) as unknown }))
}

// ---- The settings each component accepts -----------------------------------------------

/** The keys an object may have: a nested shape, `'any'` (a value or an object not checked deeper), or `'map'` (keys of the user's choosing). */
interface Shape { readonly [key: string]: Shape | 'any' | 'map' }

const any = 'any' as const
const keys = (names: string): Record<string, typeof any> => Object.fromEntries(names.split(' ').map((name) => [name, any]))

/** configtls client_config (with the common config it embeds). */
const tlsClient: Shape = keys('insecure insecure_skip_verify server_name_override ca_file ca_pem cert_file cert_pem cipher_suites curve_preferences include_system_ca_certs_pool key_file key_pem max_version min_version reload_interval tpm')
const tlsServer: Shape = keys('client_ca_file client_ca_file_reload ca_file ca_pem cert_file cert_pem cipher_suites curve_preferences include_system_ca_certs_pool key_file key_pem max_version min_version reload_interval tpm')
/** configretry back_off_config. */
const retry: Shape = keys('enabled initial_interval max_elapsed_time max_interval multiplier randomization_factor')
/** confighttp client_config. */
const httpClient: Shape = {
  ...keys('auth compression compression_params cookies disable_keep_alives endpoint idle_conn_timeout max_conns_per_host max_idle_conns max_idle_conns_per_host middlewares proxy_url read_buffer_size timeout write_buffer_size'),
  headers: 'map',
  tls: tlsClient,
}
/** configgrpc client_config. */
const grpcClient: Shape = {
  ...keys('auth authority balancer_name compression endpoint keepalive middlewares read_buffer_size user_agent wait_for_ready write_buffer_size'),
  headers: 'map',
  tls: tlsClient,
}
/** The otlp_grpc exporter: configgrpc client_config, exporterhelper timeout_config, retry and queue. */
const otlpGrpcExporter: Shape = { ...grpcClient, timeout: any, retry_on_failure: retry, sending_queue: any }

const receivers: Readonly<Record<string, Shape>> = {
  otlp: {
    protocols: {
      grpc: { ...keys('endpoint transport auth include_metadata keepalive max_concurrent_streams max_recv_msg_size_mib middlewares read_buffer_size write_buffer_size'), tls: tlsServer },
      http: {
        ...keys('endpoint auth compression_algorithms cors idle_timeout include_metadata keep_alives_enabled max_request_body_size middlewares read_header_timeout read_timeout write_timeout logs_url_path metrics_url_path traces_url_path'),
        response_headers: 'map',
        tls: tlsServer,
      },
    },
  },
}

const processors: Readonly<Record<string, Shape>> = {
  memory_limiter: keys('check_interval limit_mib limit_percentage spike_limit_mib spike_limit_percentage max_gc_interval_when_hard_limited max_gc_interval_when_soft_limited min_gc_interval_when_hard_limited min_gc_interval_when_soft_limited'),
  batch: keys('metadata_cardinality_limit metadata_keys send_batch_max_size send_batch_size timeout'),
}

const exporters: Readonly<Record<string, Shape>> = {
  otlp_grpc: otlpGrpcExporter,
  otlp_http: { ...httpClient, ...keys('encoding logs_endpoint metrics_endpoint profiles_endpoint traces_endpoint sending_queue'), retry_on_failure: retry },
  loadbalancing: {
    ...keys('routing_key routing_attributes sending_queue timeout'),
    retry_on_failure: retry,
    protocol: { otlp: otlpGrpcExporter },
    resolver: {
      static: keys('hostnames'),
      dns: keys('hostname port interval timeout'),
      k8s: keys('service ports return_hostnames timeout'),
      aws_cloud_map: keys('health_status interval namespace port service_name timeout'),
    },
  },
}

/** Component names the Collector still accepts, with a deprecation warning, since v0.144 renamed them. */
const deprecatedExporters: Readonly<Record<string, string>> = { otlp: 'otlp_grpc', otlphttp: 'otlp_http' }

const kinds = { receivers, processors, exporters } as const
type Kind = keyof typeof kinds
const SIGNALS = new Set(['traces', 'metrics', 'logs', 'profiles'])

// ---- Reading a configuration ---------------------------------------------------------------

type Json = Record<string, unknown>

function isObject (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A component ID is `type` or `type/name`. */
function typeOf (id: string): string {
  return id.split('/')[0] ?? id
}

function section (config: unknown, kind: Kind): Json {
  const value = isObject(config) ? config[kind] : undefined
  return isObject(value) ? value : {}
}

export interface Pipeline {
  readonly id: string
  readonly receivers: readonly string[]
  readonly processors: readonly string[]
  readonly exporters: readonly string[]
}

export function pipelines (config: unknown): Pipeline[] {
  const service = isObject(config) ? config.service : undefined
  const all = isObject(service) && isObject(service.pipelines) ? service.pipelines : {}
  const list = (value: unknown): string[] => Array.isArray(value) ? value.map(String) : []
  return Object.entries(all).map(([id, p]) => ({
    id,
    receivers: list(isObject(p) ? p.receivers : undefined),
    processors: list(isObject(p) ? p.processors : undefined),
    exporters: list(isObject(p) ? p.exporters : undefined),
  }))
}

function shapeProblems (value: unknown, shape: Shape, path: string, type: string): string[] {
  if (value === null || value === undefined) return [] // `batch:` or `batch: {}`: the defaults
  if (!isObject(value)) return [`${path}: must be a map of settings`]
  return Object.entries(value).flatMap(([key, child]) => {
    const inner = shape[key]
    if (inner === undefined) return [`${path}.${key}: not a setting of ${type}`]
    if (inner === 'any') return []
    if (inner === 'map') return isObject(child) ? [] : [`${path}.${key}: must be a map`]
    return shapeProblems(child, inner, `${path}.${key}`, type)
  })
}

/**
 * What the Collector itself would refuse, or warn about: unknown sections, unknown component
 * types or settings, deprecated names, pipelines naming components that are not defined.
 * Components defined and used by no pipeline are named too (the Collector ignores them, so
 * a file that has one says something it does not do).
 */
export function collectorConfigProblems (config: unknown): string[] {
  if (!isObject(config)) return ['/: not a YAML map']
  const problems: string[] = []
  for (const key of Object.keys(config)) {
    if (!['receivers', 'processors', 'exporters', 'connectors', 'extensions', 'service'].includes(key)) problems.push(`${key}: not a section of a Collector configuration`)
  }
  for (const kind of Object.keys(kinds) as Kind[]) {
    for (const [id, settings] of Object.entries(section(config, kind))) {
      const type = typeOf(id)
      const renamed = kind === 'exporters' ? deprecatedExporters[type] : undefined
      if (renamed !== undefined) { problems.push(`${kind}.${id}: ${type} is the deprecated name of ${renamed} (Collector v0.144 and later)`); continue }
      const shape = kinds[kind][type]
      if (shape === undefined) { problems.push(`${kind}.${id}: ${type} is not a ${kind.slice(0, -1)} this check knows (add its settings from its config.schema.yaml)`); continue }
      problems.push(...shapeProblems(settings, shape, `${kind}.${id}`, type))
    }
  }
  const service = config.service
  if (!isObject(service)) return [...problems, 'service: missing']
  for (const key of Object.keys(service)) if (!['pipelines', 'extensions', 'telemetry'].includes(key)) problems.push(`service.${key}: not a setting of service`)
  const all = pipelines(config)
  if (all.length === 0) problems.push('service.pipelines: none')
  const used = new Set<string>()
  for (const pipeline of all) {
    const where = `service.pipelines.${pipeline.id}`
    if (!SIGNALS.has(typeOf(pipeline.id))) problems.push(`${where}: ${typeOf(pipeline.id)} is not a signal (traces, metrics, logs, profiles)`)
    if (pipeline.receivers.length === 0) problems.push(`${where}.receivers: none`)
    if (pipeline.exporters.length === 0) problems.push(`${where}.exporters: none`)
    for (const kind of Object.keys(kinds) as Kind[]) {
      for (const id of pipeline[kind]) {
        used.add(`${kind}.${id}`)
        if (!(id in section(config, kind))) problems.push(`${where}.${kind}: ${id} is not defined under ${kind}`)
      }
    }
  }
  for (const kind of Object.keys(kinds) as Kind[]) {
    for (const id of Object.keys(section(config, kind))) if (!used.has(`${kind}.${id}`)) problems.push(`${kind}.${id}: used by no pipeline`)
  }
  return problems
}

// ---- What supertrace needs of them ----------------------------------------------------------

/** Processors that neither drop spans nor hold them back: anything else in supertrace's pipelines costs records or time. */
const HARMLESS_PROCESSORS = new Set(['memory_limiter'])

function header (settings: Json, name: string): unknown {
  const headers = isObject(settings.headers) ? settings.headers : {}
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]
}

/** The pipelines that send to `exporterId`, checked for each signal supertrace reads, and for no processor that drops or delays. */
function pipelineProblems (config: unknown, exporterId: string): string[] {
  const problems: string[] = []
  const feeding = pipelines(config).filter((p) => p.exporters.includes(exporterId))
  for (const signal of ['traces', 'logs']) {
    if (!feeding.some((p) => typeOf(p.id) === signal)) problems.push(`service.pipelines: no ${signal} pipeline exports to ${exporterId}`)
  }
  for (const pipeline of feeding) {
    for (const processor of pipeline.processors) {
      if (!HARMLESS_PROCESSORS.has(typeOf(processor))) problems.push(`service.pipelines.${pipeline.id}.processors: ${processor} drops or holds back spans on their way to supertrace (only memory_limiter belongs here)`)
    }
  }
  return problems
}

/**
 * Several receivers behind the loadbalancing exporter: it routes by trace ID, so one trace's
 * spans and logs reach one receiver; its resolver names receivers on their OTLP/gRPC port; it
 * carries the token; traces and logs both go through it, unsampled and unbatched.
 */
export function loadBalancingProblems (config: unknown): string[] {
  const entries = Object.entries(section(config, 'exporters')).filter(([id]) => typeOf(id) === 'loadbalancing')
  if (entries.length === 0) return ['exporters: no loadbalancing exporter']
  return entries.flatMap(([id, raw]) => {
    const settings = isObject(raw) ? raw : {}
    const at = `exporters.${id}`
    const problems: string[] = []
    if (settings.routing_key !== 'traceID') problems.push(`${at}.routing_key: ${String(settings.routing_key)} is not traceID, so one trace's spans may reach several receivers`)
    const protocol = isObject(settings.protocol) && isObject(settings.protocol.otlp) ? settings.protocol.otlp : undefined
    if (protocol === undefined) problems.push(`${at}.protocol.otlp: missing`)
    else {
      if ('endpoint' in protocol) problems.push(`${at}.protocol.otlp.endpoint: set, but the resolver gives each receiver's`)
      if (header(protocol, 'authorization') !== TOKEN_HEADER_VALUE) problems.push(`${at}.protocol.otlp.headers.authorization: not ${TOKEN_HEADER_VALUE}`)
    }
    const resolver = isObject(settings.resolver) ? settings.resolver : {}
    const resolvers = Object.keys(resolver)
    if (resolvers.length !== 1) problems.push(`${at}.resolver: ${resolvers.length} resolvers (${resolvers.join(', ')}); give exactly one`)
    if (isObject(resolver.static)) {
      const hostnames = Array.isArray(resolver.static.hostnames) ? resolver.static.hostnames.map(String) : []
      if (hostnames.length === 0) problems.push(`${at}.resolver.static.hostnames: none`)
      for (const hostname of hostnames) {
        const port = /:(\d+)$/.exec(hostname)?.[1]
        if (Number(port ?? INGEST_GRPC_PORT) !== INGEST_GRPC_PORT) problems.push(`${at}.resolver.static.hostnames: ${hostname} is not supertrace ingest's OTLP/gRPC port ${INGEST_GRPC_PORT} (the loadbalancing exporter speaks gRPC only)`)
      }
    }
    if (isObject(resolver.dns) && Number(resolver.dns.port ?? INGEST_GRPC_PORT) !== INGEST_GRPC_PORT) problems.push(`${at}.resolver.dns.port: ${String(resolver.dns.port)} is not supertrace ingest's OTLP/gRPC port ${INGEST_GRPC_PORT}`)
    return [...problems, ...pipelineProblems(config, id)]
  })
}

/**
 * supertrace as one more exporter of an existing Collector: an otlp_http exporter to a
 * receiver's port 4318 with the token, fed traces and logs by pipelines of its own whose
 * receivers also feed the Collector's other pipelines (the same data goes both ways).
 */
export function fanOutProblems (config: unknown): string[] {
  const entries = Object.entries(section(config, 'exporters')).filter(([id]) => ['otlp_http', 'otlphttp'].includes(typeOf(id)))
  const toSupertrace = entries.filter(([, raw]) => isObject(raw) && /supertrace/.test(String(raw.endpoint)))
  if (toSupertrace.length === 0) return ['exporters: no otlp_http exporter sends to supertrace ingest']
  return toSupertrace.flatMap(([id, raw]) => {
    const settings = raw as Json
    const at = `exporters.${id}`
    const problems: string[] = []
    let url: URL | undefined
    try { url = new URL(String(settings.endpoint)) } catch { problems.push(`${at}.endpoint: ${String(settings.endpoint)} is not a URL`) }
    if (url !== undefined && (!/^https?:$/.test(url.protocol) || Number(url.port || (url.protocol === 'https:' ? 443 : 80)) !== INGEST_HTTP_PORT)) problems.push(`${at}.endpoint: ${String(settings.endpoint)} is not supertrace ingest's OTLP/HTTP port ${INGEST_HTTP_PORT}`)
    if (url !== undefined && url.pathname !== '/') problems.push(`${at}.endpoint: has the path ${url.pathname}; the exporter appends /v1/traces and /v1/logs itself`)
    for (const key of ['traces_endpoint', 'logs_endpoint']) if (key in settings) problems.push(`${at}.${key}: set; the receiver takes /v1/traces and /v1/logs under endpoint`)
    if (settings.encoding !== undefined && settings.encoding !== 'proto' && settings.encoding !== 'json') problems.push(`${at}.encoding: ${String(settings.encoding)} is neither proto nor json`)
    if (header(settings, 'authorization') !== TOKEN_HEADER_VALUE) problems.push(`${at}.headers.Authorization: not ${TOKEN_HEADER_VALUE}`)
    const others = pipelines(config).filter((p) => !p.exporters.includes(id))
    for (const pipeline of pipelines(config).filter((p) => p.exporters.includes(id))) {
      for (const receiver of pipeline.receivers) {
        if (!others.some((p) => p.receivers.includes(receiver))) problems.push(`service.pipelines.${pipeline.id}.receivers: ${receiver} feeds no other pipeline, so supertrace is not one more exporter beside yours`)
      }
    }
    return [...problems, ...pipelineProblems(config, id)]
  })
}
