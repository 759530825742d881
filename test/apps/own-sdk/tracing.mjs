// An app's own OpenTelemetry set-up, loaded with `node --import ./tracing.mjs server.cjs`.
// supertrace is one line in it (SupertraceSpanProcessor) plus, for an app that samples,
// the sampler wrapper; SUPERTRACE_REDIS_URL is the only other configuration.
// WITHOUT_SUPERTRACE=1 gives the same set-up as it was before supertrace was added.
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace'
import { SupertraceSampler, SupertraceSpanProcessor } from 'supertrace'

const withSupertrace = process.env.WITHOUT_SUPERTRACE !== '1'
const ratio = process.env.APP_SAMPLE_RATIO
const sampler = ratio === undefined ? undefined : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Number(ratio)) })
const exporter = new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 100 })

new NodeSDK({
  serviceName: 'own-sdk-app',
  instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()],
  spanProcessors: withSupertrace ? [exporter, new SupertraceSpanProcessor()] : [exporter],
  ...(sampler === undefined ? {} : { sampler: withSupertrace ? new SupertraceSampler(sampler) : sampler }),
  metricReaders: [],
  logRecordProcessors: [],
}).start()
