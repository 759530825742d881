/**
 * `node --import ./bench/apps/otel-plain.ts app.js`: OpenTelemetry's NodeSDK set up
 * as instrumentation/register.ts sets it up (the same instrumentations, the same ES
 * module hook, no metrics or logs), with no span processor: spans are made, then
 * dropped. The yardstick for what supertrace's own processor adds.
 */
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace'
import { register as registerAsyncHooks } from 'node:module'
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs'

const instrumentations = [new HttpInstrumentation(), new ExpressInstrumentation()]
const include = instrumentations.flatMap((i) => i.getModuleDefinitions().map((d) => d.name))
if (supportsSyncHooks()) registerSyncHooks({ include })
else registerAsyncHooks('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } })
// A processor that does nothing: with none at all, NodeSDK installs no tracer provider and no span is even recorded.
new NodeSDK({ instrumentations, spanProcessors: [new NoopSpanProcessor()], metricReaders: [], logRecordProcessors: [] }).start()
