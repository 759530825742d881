/**
 * OTLP/gRPC (SUPERTRACE_INGEST_GRPC_PORT, default 4317): the `Export` methods of
 * opentelemetry-proto's TraceService and LogsService, the default protocol of Python's
 * distro and of .NET. @grpc/grpc-js carries the messages as bytes (no .proto is loaded:
 * the same decoder as OTLP/HTTP reads them), inflates gzip-compressed ones, and refuses
 * any over LIMITS.exportBytes with RESOURCE_EXHAUSTED, before or after inflating.
 */
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js'
import { ConfigError, DecodeError } from '../../core/errors.ts'
import type { Logger } from '../../core/log.ts'
import { LIMITS } from '../limits.ts'
import type { IngestMetrics, Signal } from '../operations/metrics.ts'
import { exportResponse } from './answers.ts'
import type { ExportIntake } from './intake.ts'
import type { ExportToken } from './token.ts'

const asBytes = (bytes: Buffer): Buffer => bytes

function exportService (path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: asBytes,
      requestDeserialize: asBytes,
      responseSerialize: asBytes,
      responseDeserialize: asBytes,
    },
  }
}

const SERVICES: ReadonlyArray<readonly [Signal, ServiceDefinition]> = [
  ['traces', exportService('/opentelemetry.proto.collector.trace.v1.TraceService/Export')],
  ['logs', exportService('/opentelemetry.proto.collector.logs.v1.LogsService/Export')],
]

export interface GrpcReceiverParts {
  readonly intake: ExportIntake
  readonly metrics: IngestMetrics
  readonly logger: Logger
  readonly token: ExportToken
}

export interface RunningGrpcReceiver {
  readonly port: number
  close (): Promise<void>
}

export async function startGrpcReceiver (parts: GrpcReceiverParts, host: string, port: number): Promise<RunningGrpcReceiver> {
  const server = new Server({
    'grpc.max_receive_message_length': LIMITS.exportBytes,
    // An exporter's connection lives between exports; one idle this long is closed (it reconnects).
    'grpc.max_connection_idle_ms': 5 * 60_000,
  })
  for (const [signal, service] of SERVICES) {
    server.addService(service, {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => { receive(signal, call, callback, parts) },
    })
  }
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (err, boundPort) => {
      if (err === null) resolve(boundPort)
      else reject(new ConfigError([`SUPERTRACE_INGEST_GRPC_PORT=${port} cannot be opened on ${host} (${err.message}): is another process listening there? For example SUPERTRACE_INGEST_GRPC_PORT=${port === 4317 ? 4327 : 4317}, or 0 to take OTLP/HTTP only`]))
    })
  })
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      // Exports in progress finish; a stuck one is cut after a second.
      const force = setTimeout(() => { server.forceShutdown(); resolve() }, 1000)
      server.tryShutdown(() => { clearTimeout(force); resolve() })
    }),
  }
}

function receive (signal: Signal, call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>, parts: GrpcReceiverParts): void {
  if (!parts.token.accepts(call.metadata.get('authorization')[0])) {
    parts.metrics.countExport(signal, 'grpc', 'unauthorized')
    callback({ code: status.UNAUTHENTICATED, details: 'this receiver takes exports with `authorization: Bearer <SUPERTRACE_INGEST_TOKEN>` metadata only (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>)' })
    return
  }
  try {
    const { rejected, reason } = parts.intake.take(signal, 'protobuf', call.request)
    parts.metrics.countExport(signal, 'grpc', rejected === 0 ? 'accepted' : 'partial')
    callback(null, exportResponse(signal, 'protobuf', rejected, reason))
  } catch (err) {
    if (err instanceof DecodeError) {
      parts.metrics.countExport(signal, 'grpc', 'bad_request')
      parts.logger.debug(`a gRPC export could not be decoded: ${err.message}`)
      callback({ code: status.INVALID_ARGUMENT, details: err.message })
      return
    }
    parts.logger.error('an export could not be taken', err)
    callback({ code: status.INTERNAL, details: 'the receiver failed to take this export; see its log' })
  }
}
