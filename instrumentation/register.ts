/**
 * `node --import supertrace/register app.js` (or `--require`, or the app's first import).
 *
 * Starts OpenTelemetry's NodeSDK with the HTTP, Express, Fastify, Koa and hapi
 * instrumentations (plus ioredis and undici for the debug page's waterfall),
 * supertrace's error taps for hapi and NestJS, a SupertraceSpanProcessor and a
 * SupertraceSampler around the app's OTEL_TRACES_SAMPLER; keeps any span export the
 * app configured through OTEL_* variables, and hooks ES modules so that
 * `import express from 'express'` is instrumented too. If the process already has a tracer provider, supertrace does
 * not replace it and says how to add its processor instead.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express'
import { HapiInstrumentation } from '@opentelemetry/instrumentation-hapi'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { trace, ProxyTracerProvider } from '@opentelemetry/api'
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { register as registerAsyncHooks } from 'node:module'
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs'
import { Logger } from '../core/log.ts'
import { exportProcessorsFromEnv } from './exporters.ts'
import { HapiErrorsInstrumentation } from './hapi-errors.ts'
import { NestErrorsInstrumentation } from './nest-errors.ts'
import { SupertraceSpanProcessor } from './processor.ts'
import { SupertraceSampler, samplerFromEnv } from './sampler.ts'

const logger = new Logger('instrumentation')

function hasTracerProvider (): boolean {
  const provider = trace.getTracerProvider()
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('supertrace') !== undefined
}

/**
 * What the ES module hook must intercept for one module definition: the package by
 * name, and each of its files patched on its own (such as NestJS's exceptions
 * handler), which the package imports by relative URL, not by that name.
 */
function hookedModules (definition: InstrumentationModuleDefinition): (string | RegExp)[] {
  const files = definition.files.map((file) => new RegExp(`/node_modules/${file.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
  return [definition.name, ...files]
}

function start (): void {
  if (hasTracerProvider()) {
    logger.warn('this process already has an OpenTelemetry tracer provider; supertrace/register leaves it alone. Add `new SupertraceSpanProcessor()` (from \'supertrace\') to its spanProcessors instead, and wrap its sampler in `new SupertraceSampler(…)` if it samples.')
    return
  }
  const instrumentations = [
    new HttpInstrumentation(),
    new ExpressInstrumentation(),
    // Fastify's own, maintained instrumentation; it adds itself to every Fastify instance as it is created.
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    new KoaInstrumentation(),
    new HapiInstrumentation(),
    new HapiErrorsInstrumentation(),
    new NestErrorsInstrumentation(),
    // Redis commands and outgoing fetch calls: the children in the debug page's waterfall.
    new IORedisInstrumentation(),
    new UndiciInstrumentation(),
  ]
  // ES modules are only patched through a loader hook, limited to the modules the instrumentations patch.
  const include = instrumentations.flatMap((i) => i.getModuleDefinitions().flatMap(hookedModules))
  if (supportsSyncHooks()) registerSyncHooks({ include })
  else registerAsyncHooks('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } })

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
