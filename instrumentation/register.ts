/**
 * `node --import supertrace/register app.js` (or `--require`, or the app's first import).
 *
 * Starts OpenTelemetry's NodeSDK with the HTTP, Express, ioredis and undici instrumentations and a
 * SupertraceSpanProcessor, keeps any span export the app configured through OTEL_*
 * variables, and hooks ES modules so that `import express from 'express'` is
 * instrumented too. If the process already has a tracer provider, supertrace does
 * not replace it and says how to add its processor instead.
 */
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { trace, ProxyTracerProvider } from '@opentelemetry/api'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { register as registerAsyncHooks } from 'node:module'
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs'
import { Logger } from '../core/log.ts'
import { exportProcessorsFromEnv } from './exporters.ts'
import { SupertraceSpanProcessor } from './processor.ts'

const logger = new Logger('instrumentation')

function hasTracerProvider (): boolean {
  const provider = trace.getTracerProvider()
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('supertrace') !== undefined
}

function start (): void {
  if (hasTracerProvider()) {
    logger.warn('this process already has an OpenTelemetry tracer provider; supertrace/register leaves it alone. Add `new SupertraceSpanProcessor()` (from \'supertrace\') to its spanProcessors instead.')
    return
  }
  // ioredis and undici (fetch) give the debug page's waterfall its Redis commands and outgoing calls.
  const instrumentations = [new HttpInstrumentation(), new ExpressInstrumentation(), new IORedisInstrumentation(), new UndiciInstrumentation()]
  // ES modules are only patched through a loader hook, limited to the modules the instrumentations patch.
  const include = instrumentations.flatMap((i) => i.getModuleDefinitions().map((d) => d.name))
  if (supportsSyncHooks()) registerSyncHooks({ include })
  else registerAsyncHooks('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } })

  const env = process.env
  const sdk = new NodeSDK({
    instrumentations,
    spanProcessors: [new SupertraceSpanProcessor(), ...exportProcessorsFromEnv(env, logger)],
    // Only what the app asks for: NodeSDK would otherwise export metrics and logs to localhost:4318.
    ...(env.OTEL_METRICS_EXPORTER === undefined ? { metricReaders: [] } : {}),
    ...(env.OTEL_LOGS_EXPORTER === undefined ? { logRecordProcessors: [] } : {}),
  })
  sdk.start()
}

try {
  start()
} catch (err) {
  // Never stop the app: without supertrace it still runs, only without records.
  logger.error('supertrace could not start; the app runs without it', err)
}
