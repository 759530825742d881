/**
 * SupertraceSpanProcessor: keeps the spans of each in-flight request and, when the
 * request fails (a 5xx, or a server span that ends in error), writes its record to
 * Redis under the request's trace ID. Requests that succeed never touch Redis.
 *
 * It works in any OpenTelemetry setup: add it to your own `spanProcessors`, or let
 * `supertrace/register` do it. Everything it needs comes from the environment
 * (SUPERTRACE_REDIS_URL, SUPERTRACE_TTL_SECONDS, SUPERTRACE_HOLD_MS).
 */
import { context, SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api'
import { getRPCMetadata, RPCType } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace'
import type { ServerResponse } from 'node:http'
import { Logger, setLogLevel } from '../core/log.ts'
import { Redactor } from '../core/redact.ts'
import { loadInstrumentationConfig, type InstrumentationConfig } from './config.ts'
import { LIMITS } from './limits.ts'
import { startLocalsCapture } from './locals.ts'
import { processFacts } from './process-facts.ts'
import { buildRecord, type RecordSources } from './record-builder.ts'
import { RedactionCache } from './redaction-cache.ts'
import { captureUncaughtErrors } from './crash-capture.ts'
import { activeRequest, captureRecordedExceptions, requestOf, trackSpan, type RequestSpans } from './request-spans.ts'
import { holdFailingResponses } from './response-hold.ts'
import { RecordWriter } from './writer.ts'

export interface SupertraceSpanProcessorOptions {
  /** Defaults to the settings read from the environment. */
  readonly config?: InstrumentationConfig
}

export class SupertraceSpanProcessor implements SpanProcessor {
  readonly #writer: RecordWriter
  readonly #logger = new Logger('instrumentation')
  readonly #pending = new Set<Promise<unknown>>()
  readonly #sources: RecordSources
  readonly #stopLocalsCapture: () => void
  #isShutdown = false

  constructor (options: SupertraceSpanProcessorOptions = {}) {
    const config = options.config ?? loadInstrumentationConfig()
    // The processor is the instrumentation's entry point, whichever way the app adds it (register.ts or its own NodeSDK).
    setLogLevel(config.logLevel)
    this.#writer = new RecordWriter({
      redisUrl: config.redis.url,
      topology: config.redis.topology,
      ttlSeconds: config.ttlSeconds,
      budgetBytes: config.recordBudgetMb * 1_000_000,
      maxInFlight: config.recordsInFlight,
      logger: this.#logger,
    })
    const redactor = new Redactor(config.redact)
    this.#sources = { redactor, redactionCache: new RedactionCache(redactor), process: processFacts(config.commit), env: process.env }
    // V8 keeps 10 frames by default, often all inside the framework; the record keeps up to this many.
    if (Error.stackTraceLimit < LIMITS.framesPerException) Error.stackTraceLimit = LIMITS.framesPerException
    this.#stopLocalsCapture = config.captureLocals
      ? startLocalsCapture({ redactor, isInRequest: () => activeRequest() !== undefined, maxPerSecond: LIMITS.localsCapturesPerSecond, maxPausesPerSecond: LIMITS.localsPausesPerSecond, logger: this.#logger })
      : () => {}
    holdFailingResponses((response, request) => this.#onFailingResponse(response, request), config.holdMs)
    captureUncaughtErrors({
      record: (request) => { void this.#write(request, false) },
      isWriting: () => this.#pending.size > 0,
      flush: () => this.forceFlush(),
    })
  }

  onStart (span: Span, parentContext: Context): void {
    captureRecordedExceptions(span)
    trackSpan(span, parentContext, span.kind === SpanKind.SERVER)
  }

  onEnd (span: ReadableSpan): void {
    const request = requestOf(span)
    if (request === undefined || request.root !== span || this.#isShutdown) return
    if (request.failedResponse === undefined && span.status.code !== SpanStatusCode.ERROR) return
    // Children such as Express's middleware spans end just after the server span, in the same tick.
    // Pending from now on, so that a process about to crash waits for it (see crash-capture.ts).
    this.#track(new Promise((resolve) => setImmediate(() => resolve(this.#write(request, true)))))
  }

  forceFlush (): Promise<void> {
    return Promise.all(this.#pending).then(() => undefined)
  }

  async shutdown (): Promise<void> {
    if (this.#isShutdown) return
    this.#isShutdown = true
    this.#stopLocalsCapture()
    await this.forceFlush()
    await this.#writer.close()
  }

  #onFailingResponse (response: ServerResponse, request: RequestSpans): Promise<unknown> {
    // The server span learns its route only when it ends; the framework's instrumentation already knows it now.
    const metadata = getRPCMetadata(context.active())
    const route = metadata?.type === RPCType.HTTP ? metadata.route : undefined
    // Kept for the rewrite once the request's spans have ended, so the complete record still has the request's details.
    request.failedResponse = { status: response.statusCode, request: response.req, route }
    return this.#write(request, false)
  }

  #write (request: RequestSpans, complete: boolean): Promise<unknown> {
    // After shutdown the hooks are still installed, but the writer's connection is closed for good.
    if (this.#isShutdown) return Promise.resolve(false)
    let written: Promise<unknown>
    try {
      const { record, json } = buildRecord(request, request.failedResponse, complete, this.#sources)
      written = this.#writer.write(record, json)
    } catch (err) {
      this.#logger.error('a record could not be built', err, request.requestId)
      return Promise.resolve(false)
    }
    return this.#track(written)
  }

  #track (written: Promise<unknown>): Promise<unknown> {
    this.#pending.add(written)
    void written.finally(() => this.#pending.delete(written))
    return written
  }
}
