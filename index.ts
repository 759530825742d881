/**
 * The package root: the span processor for apps that set up OpenTelemetry
 * themselves, the record format, and the proxy for programs that embed it.
 */
export { SupertraceSpanProcessor, type SupertraceSpanProcessorOptions } from './instrumentation/processor.ts'
export { SupertraceSampler } from './instrumentation/sampler.ts'
export { RecordWriter, type RecordWriterOptions } from './storage/writer.ts'
export type { RedisAddress, RedisTopology } from './core/redis-topology.ts'
export { instrumentationSettings, loadInstrumentationConfig, type InstrumentationConfig } from './instrumentation/config.ts'
export * from './core/record.ts'
export { Redactor } from './core/redact.ts'
export { recordKey, RECORD_CHANNEL, RECORD_HEADER, REQUEST_ID_HEADER, DEFAULT_SUPERUSERS_KEY, PROXY_TRACESTATE } from './core/protocol.ts'
export { ErrorCodes, SupertraceError, ConfigError, RecordFormatError, RedisError, UpstreamError, UpstreamTimeoutError, type ErrorCode } from './core/errors.ts'
export { startProxy, type RunningProxy } from './proxy/start.ts'
export { proxySettings, loadProxyConfig, type ProxyConfig } from './proxy/config.ts'
