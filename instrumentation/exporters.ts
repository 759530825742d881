/**
 * The app's own span export, as the standard OTEL_* variables configure it.
 *
 * NodeSDK builds exporters from the environment only when it is given no span
 * processors, and supertrace gives it one; so the same rules are applied here.
 * One difference, on purpose: with nothing configured NodeSDK would export OTLP to
 * localhost:4318, and an app that exported nothing before supertrace exports
 * nothing after it.
 */
import { OTLPTraceExporter as OtlpGrpc } from '@opentelemetry/exporter-trace-otlp-grpc'
import { OTLPTraceExporter as OtlpJson } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProto } from '@opentelemetry/exporter-trace-otlp-proto'
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace'
import type { Logger } from '../core/log.ts'

export function exportProcessorsFromEnv (env: NodeJS.ProcessEnv, logger: Logger): SpanProcessor[] {
  const names = listOf(env.OTEL_TRACES_EXPORTER)
  const hasEndpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  if (names.length === 0 && hasEndpoint) names.push('otlp')
  const processors: SpanProcessor[] = []
  for (const name of names) {
    if (name === 'none') return []
    if (name === 'console') processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }))
    else if (name === 'otlp') processors.push(new BatchSpanProcessor({ exporter: otlpExporter(env), ...batchOptions(env) }))
    else logger.warn(`OTEL_TRACES_EXPORTER=${name} is not supported by supertrace/register (otlp, console or none); build your own NodeSDK with SupertraceSpanProcessor to use it`)
  }
  return processors
}

function otlpExporter (env: NodeJS.ProcessEnv): SpanExporter {
  switch ((env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim()) {
    case 'grpc': return new OtlpGrpc()
    case 'http/json': return new OtlpJson()
    default: return new OtlpProto()
  }
}

/** The OTEL_BSP_* variables, which sdk-trace 3's BatchSpanProcessor no longer reads itself (sdk-node's create-from-env does). */
function batchOptions (env: NodeJS.ProcessEnv): { maxQueueSize?: number, scheduledDelayMillis?: number, exportTimeoutMillis?: number, maxExportBatchSize?: number } {
  const read = (name: string): number | undefined => {
    const value = Number(env[name])
    return env[name] !== undefined && env[name] !== '' && Number.isFinite(value) && value >= 0 ? value : undefined
  }
  return {
    maxQueueSize: read('OTEL_BSP_MAX_QUEUE_SIZE'),
    scheduledDelayMillis: read('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: read('OTEL_BSP_EXPORT_TIMEOUT'),
    maxExportBatchSize: read('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  }
}

function listOf (value: string | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))]
}
