/**
 * The OpenTelemetry instrumentations supertrace/register starts, listed once: the
 * benchmark's plain NodeSDK (bench/apps/otel-plain.ts) starts the same ones, so
 * that the comparison measures supertrace and nothing else.
 */
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express'
import { HapiInstrumentation } from '@opentelemetry/instrumentation-hapi'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa'
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import type { Instrumentation } from '@opentelemetry/instrumentation'
import { register as registerAsyncHooks } from 'node:module'
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs'
import { FastifyHooksInstrumentation } from './error-taps/fastify-hooks.ts'

/** What the ES module hook needs of an instrumentation (packages may bring their own copy of InstrumentationBase). */
interface ModuleDefinition { readonly name: string, readonly files: ReadonlyArray<{ readonly name: string }> }
export type PatchingInstrumentation = Instrumentation & { getModuleDefinitions (): ModuleDefinition[] }

export function openTelemetryInstrumentations (): PatchingInstrumentation[] {
  return [
    new HttpInstrumentation(),
    new ExpressInstrumentation(),
    // Fastify's routes and errors, from hooks on every Fastify instance as it is created.
    new FastifyHooksInstrumentation(),
    new KoaInstrumentation(),
    new HapiInstrumentation(),
    // Redis commands and outgoing fetch calls: the children in the debug page's waterfall.
    // Redis through either client: ioredis, or node-redis (`redis`, v4 and v5), which connect-redis uses.
    new IORedisInstrumentation(),
    new RedisInstrumentation(),
    new UndiciInstrumentation(),
  ]
}

/**
 * What the ES module hook must intercept for one module definition: the package by
 * name, and each of its files patched on its own (such as NestJS's exceptions
 * handler), which the package imports by relative URL, not by that name.
 */
function hookedModules (definition: ModuleDefinition): (string | RegExp)[] {
  const files = definition.files.map((file) => new RegExp(`/node_modules/${file.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
  return [definition.name, ...files]
}

/** ES modules are only patched through a loader hook, limited to the modules the instrumentations patch. */
export function hookEsModules (instrumentations: readonly PatchingInstrumentation[]): void {
  const include = instrumentations.flatMap((i) => i.getModuleDefinitions().flatMap(hookedModules))
  if (supportsSyncHooks()) registerSyncHooks({ include })
  else registerAsyncHooks('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } })
}
