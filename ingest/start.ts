/**
 * `startIngest`: opens the receiver's parts in the order each needs the one before, as
 * the OpenTelemetry Collector arranges a pipeline, and closes them in the reverse order
 * (at shutdown, or as soon as a step of start-up fails):
 *
 *   metrics ─▶ exporter (the record writer, to Redis) ─▶ processor (the trace buffer and
 *   failing traces) ─▶ receivers (OTLP/HTTP, OTLP/gRPC) ─▶ admin server
 */
import type { Server } from 'node:http'
import { startAdminServer } from '../core/admin-server.ts'
import { listen, listeningUrl } from '../core/listen.ts'
import { Logger } from '../core/log.ts'
import { Redactor } from '../core/redact.ts'
import { RecordWriter } from '../storage/writer.ts'
import type { IngestConfig } from './config.ts'
import { IngestMetrics } from './operations/metrics.ts'
import { startGrpcReceiver } from './receivers/grpc.ts'
import { httpReceiver } from './receivers/http.ts'
import { ExportIntake } from './receivers/intake.ts'
import { ExportToken } from './receivers/token.ts'
import { FailingTraces } from './traces/failing-traces.ts'
import { TraceBuffer } from './traces/trace-buffer.ts'

export interface RunningIngest {
  /** OTLP/HTTP, e.g. `http://127.0.0.1:4318`. */
  readonly url: string
  /** OTLP/gRPC's port; null when SUPERTRACE_INGEST_GRPC_PORT=0. */
  readonly grpcPort: number | null
  /** The admin server (health, metrics), e.g. `http://127.0.0.1:9902`. */
  readonly adminUrl: string
  /** Stops taking exports, writes the records still waiting, then closes Redis. Calling it again returns the same promise. */
  close (): Promise<void>
}

type Closer = () => void | Promise<void>

export async function startIngest (config: IngestConfig, logger = new Logger('ingest')): Promise<RunningIngest> {
  const buffer = new TraceBuffer(config.bufferMb * 1_000_000, config.traceSeconds * 1000)
  const metrics = new IngestMetrics(() => ({ bytes: buffer.bytes, traces: buffer.traceCount }))
  const opened: Closer[] = []
  const closeOpened = async (): Promise<void> => {
    for (const close of [...opened].reverse()) await close()
  }
  try {
    const writer = new RecordWriter({
      redisUrl: config.redis.url,
      topology: config.redis.topology,
      ttlSeconds: config.ttlSeconds,
      budgetBytes: config.recordBudgetMb * 1_000_000,
      maxInFlight: config.recordsInFlight,
      logger,
    })
    opened.push(() => writer.close())
    const traces = new FailingTraces({ buffer, store: writer, redactor: new Redactor(config.redact), metrics, logger })
    opened.push(() => traces.close())
    const intake = new ExportIntake(traces, metrics)
    const token = new ExportToken(config.token)
    const http = httpReceiver({ intake, metrics, logger, token })
    await listen(http, config.port, config.host, 'SUPERTRACE_INGEST_PORT', 4318)
    opened.push(() => closeServer(http))
    const grpc = config.grpcPort === 0 ? null : await startGrpcReceiver({ intake, metrics, logger, token }, config.host, config.grpcPort)
    if (grpc !== null) opened.push(() => grpc.close())
    const admin = await startAdminServer(
      { host: config.host, port: config.adminPort, env: 'SUPERTRACE_INGEST_ADMIN_PORT', otherPort: 9902 },
      { registry: metrics.registry, readiness: async () => ({ ready: http.listening, http: http.listening, grpc: grpc !== null }) },
    )
    opened.push(() => admin.close())
    let closing: Promise<void> | null = null
    return {
      url: listeningUrl(http),
      grpcPort: grpc?.port ?? null,
      adminUrl: admin.url,
      close: () => (closing ??= closeOpened()),
    }
  } catch (err) {
    await closeOpened()
    throw err
  }
}

function closeServer (server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}
