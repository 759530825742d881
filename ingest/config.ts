/**
 * The receiver's settings, read once from the environment. As for the proxy, a bad
 * value stops start-up with every problem listed, each naming its variable and
 * showing a valid example.
 */
import { ConfigError } from '../core/errors.ts'
import { logLevelSetting } from '../core/log.ts'
import { redactSetting } from '../core/redact.ts'
import { redisSettings, redisTarget, type RedisTarget } from '../core/redis-topology.ts'
import { hostname, integer, loadSettings, SettingProblem, type SettingsOf, type SettingsTable } from '../core/settings.ts'
import { storageSettings } from '../storage/settings.ts'

export const ingestSettings = {
  host: {
    env: 'SUPERTRACE_INGEST_HOST',
    description: 'The address the receiver listens on (OTLP/HTTP and OTLP/gRPC). The default takes exports from this machine only; in a container, 0.0.0.0.',
    default: '127.0.0.1',
    example: '0.0.0.0',
    parse: hostname,
  },
  port: {
    env: 'SUPERTRACE_INGEST_PORT',
    description: 'OTLP/HTTP: POST /v1/traces and /v1/logs, protobuf or JSON, gzip or not (OTEL_EXPORTER_OTLP_ENDPOINT=http://<host>:<port>).',
    default: 4318,
    example: '4318',
    parse: integer(1, 65535),
  },
  grpcPort: {
    env: 'SUPERTRACE_INGEST_GRPC_PORT',
    description: 'OTLP/gRPC (the default protocol of Python\'s distro and .NET); 0 turns it off.',
    default: 4317,
    example: '4317',
    parse: integer(0, 65535),
  },
  token: {
    env: 'SUPERTRACE_INGEST_TOKEN',
    description: 'When set, every export must carry `Authorization: Bearer <token>` (SDKs send it with OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>); others are answered 401.',
    default: '',
    defaultText: 'none (any export is taken)',
    example: 'c2f1e0b7a9d84f6e',
    isSecret: true,
    parse: bearerToken,
  },
  adminPort: {
    env: 'SUPERTRACE_INGEST_ADMIN_PORT',
    description: 'The receiver\'s admin server: GET /healthz, /readyz and /metrics (Prometheus), on SUPERTRACE_INGEST_HOST.',
    default: 9902,
    example: '9902',
    parse: integer(1, 65535),
  },
  bufferMb: {
    env: 'SUPERTRACE_INGEST_BUFFER_MB',
    description: 'The most that spans and log lines waiting for their request\'s outcome may take, in MB (their size on the wire). Past it the oldest traces are let go, and counted in supertrace_ingest_spans_total{outcome="evicted"}.',
    default: 64,
    example: '64',
    parse: integer(1, 16_384),
  },
  traceSeconds: {
    env: 'SUPERTRACE_INGEST_TRACE_SECONDS',
    description: 'How long a trace\'s spans wait for its failing SERVER span, and how long after it later spans still update its record.',
    default: 30,
    example: '30',
    parse: integer(1, 3600),
  },
  ...redisSettings,
  ...storageSettings,
  redact: redactSetting,
  logLevel: logLevelSetting,
} satisfies SettingsTable

export type IngestConfig = SettingsOf<typeof ingestSettings> & {
  /** The Redis deployment, from SUPERTRACE_REDIS_URL, _SENTINELS and _CLUSTER_NODES. */
  readonly redis: RedisTarget
}

export function loadIngestConfig (env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const { values, problems } = loadSettings(ingestSettings, env)
  const { target, problems: redisProblems } = redisTarget(values)
  const all = [...problems, ...redisProblems]
  const ports = [['SUPERTRACE_INGEST_PORT', values.port], ['SUPERTRACE_INGEST_GRPC_PORT', values.grpcPort], ['SUPERTRACE_INGEST_ADMIN_PORT', values.adminPort]] as const
  for (const [i, [name, port]] of ports.entries()) {
    const other = ports.slice(0, i).find(([, p]) => p === port && port !== 0)
    if (other !== undefined) all.push(`${name}=${port} is ${other[0]} too: each needs a port of its own; for example ${name}=${port + 1}`)
  }
  if (all.length > 0) throw new ConfigError(all)
  return Object.freeze({ ...values, redis: target })
}

/** What an HTTP header can carry after `Bearer `: RFC 6750's token68 characters. */
function bearerToken (raw: string): string {
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(raw)) throw new SettingProblem('be a token of letters, digits and -._~+/ (what `Authorization: Bearer <token>` can carry)')
  return raw
}
