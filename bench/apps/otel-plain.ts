/**
 * `node --import ./bench/apps/otel-plain.ts app.js`: OpenTelemetry's NodeSDK set up
 * as instrumentation/register.ts sets it up (the same OpenTelemetry instrumentations
 * from the same list, the same ES module hook, no metrics or logs), with no span
 * processor: spans are made, then dropped. The yardstick for what supertrace adds.
 */
import { NodeSDK } from '@opentelemetry/sdk-node'
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace'
import { hookEsModules, openTelemetryInstrumentations } from '../../instrumentation/instrumentations.ts'

const instrumentations = openTelemetryInstrumentations()
hookEsModules(instrumentations)
// A processor that does nothing: with none at all, NodeSDK installs no tracer provider and no span is even recorded.
new NodeSDK({ instrumentations, spanProcessors: [new NoopSpanProcessor()], metricReaders: [], logRecordProcessors: [] }).start()
