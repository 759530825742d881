/**
 * `node --import supertrace/register app.js` (or `--require`, or the app's first import).
 *
 * Starts OpenTelemetry's NodeSDK with the HTTP, Express, Fastify, Koa and hapi
 * instrumentations (plus ioredis and undici for the debug page's waterfall),
 * supertrace's error taps for hapi, NestJS and Express's default error handler
 * (finalhandler), a SupertraceSpanProcessor and a SupertraceSampler around the app's OTEL_TRACES_SAMPLER; keeps any span export the
 * app configured through OTEL_* variables, and hooks ES modules so that
 * `import express from 'express'` is instrumented too. If the process already has a tracer provider, supertrace does
 * not replace it and says how to add its processor instead.
 */
import { trace, ProxyTracerProvider } from '@opentelemetry/api'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { Logger } from '../core/log.ts'
import { exportProcessorsFromEnv } from './exporters.ts'
import { FinalhandlerErrorsInstrumentation } from './error-taps/finalhandler-errors.ts'
import { HapiErrorsInstrumentation } from './error-taps/hapi-errors.ts'
import { hookEsModules, openTelemetryInstrumentations } from './instrumentations.ts'
import { NestErrorsInstrumentation } from './error-taps/nest-errors.ts'
import { SupertraceSpanProcessor } from './processor.ts'
import { SupertraceSampler, samplerFromEnv } from './sampler.ts'

const logger = new Logger('instrumentation')

function hasTracerProvider (): boolean {
  const provider = trace.getTracerProvider()
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('supertrace') !== undefined
}

function start (): void {
  if (hasTracerProvider()) {
    logger.warn('this process already has an OpenTelemetry tracer provider; supertrace/register leaves it alone. Add `new SupertraceSpanProcessor()` (from \'supertrace\') to its spanProcessors instead, and wrap its sampler in `new SupertraceSampler(…)` if it samples.')
    return
  }
  // supertrace's own error taps come after the OpenTelemetry ones, whose patches (hapi's) they build on.
  const instrumentations = [...openTelemetryInstrumentations(), new HapiErrorsInstrumentation(), new NestErrorsInstrumentation(), new FinalhandlerErrorsInstrumentation()]
  hookEsModules(instrumentations)

  const env = process.env
  const sdk = new NodeSDK({
    instrumentations,
    // The app's OTEL_TRACES_SAMPLER still decides what is exported; every request is recorded for supertrace.
    sampler: new SupertraceSampler(samplerFromEnv(env, (message) => logger.warn(message))),
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
