/**
 * SupertraceSpanProcessor: keeps the spans of each in-flight request and, when the
 * request fails (a 5xx, or a server span that ends in error), writes its record to
 * Redis under the request's trace ID. Requests that succeed never touch Redis.
 *
 * It works in any OpenTelemetry setup: add it to your own `spanProcessors`, or let
 * `supertrace/register` do it. Everything it needs comes from the environment
 * (SUPERTRACE_REDIS_URL, SUPERTRACE_TTL_SECONDS, SUPERTRACE_HOLD_MS).
 *
 * From its construction to its shutdown it holds the process's patches
 * (patches/global-patches.ts); one processor per process records.
 */
import { context, SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api'
import { getRPCMetadata, RPCType, suppressTracing } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace'
import type { ServerResponse } from 'node:http'
import { Logger, setLogLevel } from '../core/log.ts'
import { Redactor } from '../core/redact.ts'
import { loadInstrumentationConfig, type InstrumentationConfig } from './config.ts'
import { GlobalPatches } from './patches/global-patches.ts'
import { LIMITS } from './record/limits.ts'
import { processFacts } from './record/process-facts.ts'
import { buildRecord, type RecordSources } from './record/record-builder.ts'
import { RedactionCache } from './record/redaction-cache.ts'
import { activeRequest, requestOf, trackSpan, type RequestSpans } from './request-spans.ts'
import { RecordWriter } from '../storage/writer.ts'

export interface SupertraceSpanProcessorOptions {
  /** Defaults to the settings read from the environment. */
  readonly config?: InstrumentationConfig
}

export class SupertraceSpanProcessor implements SpanProcessor {
  readonly #writer: RecordWriter
  readonly #logger = new Logger('instrumentation')
  readonly #pending = new Set<Promise<unknown>>()
  readonly #sources: RecordSources
  /** Undefined once shut down, and for a processor refused because another one holds the patches: it then records nothing. */
  #patches: GlobalPatches | undefined
  #shutdown: Promise<void> | undefined

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
      // The writer's own Redis commands must not become spans of the failing request.
      untraced: (run) => context.with(suppressTracing(context.active()), run),
    })
    const redactor = new Redactor(config.redact)
    this.#sources = { redactor, redactionCache: new RedactionCache(redactor), process: processFacts(config.commit), env: process.env }
    this.#patches = GlobalPatches.install({
      onFailingResponse: (response, request) => this.#onFailingResponse(response, request),
      holdMs: config.holdMs,
      onUncaughtError: {
        record: (request) => { void this.#write(request, false) },
        isWriting: () => this.#pending.size > 0,
        flush: () => this.forceFlush(),
      },
      locals: config.captureLocals
        ? { redactor, isInRequest: () => activeRequest() !== undefined, maxPerSecond: LIMITS.localsCapturesPerSecond, maxPausesPerSecond: LIMITS.localsPausesPerSecond, logger: this.#logger }
        : undefined,
    })
    if (this.#patches === undefined) {
      this.#logger.warn('another SupertraceSpanProcessor is already recording in this process; this one records nothing. Use one per process (supertrace/register adds one), or shut the first down before making another.')
    }
  }

  onStart (span: Span, parentContext: Context): void {
    if (this.#patches === undefined) return
    this.#patches.patchSpanClass(span)
    trackSpan(span, parentContext, span.kind === SpanKind.SERVER)
  }

  onEnd (span: ReadableSpan): void {
    if (this.#patches === undefined) return
    const request = requestOf(span)
    if (request === undefined || request.root !== span) return
    if (request.failedResponse === undefined && span.status.code !== SpanStatusCode.ERROR) return
    // Children such as Express's middleware spans end just after the server span, in the same tick.
    // Pending from now on, so that a process about to crash waits for it (see crash-capture.ts).
    this.#track(new Promise((resolve) => setImmediate(() => resolve(this.#write(request, true)))))
  }

  forceFlush (): Promise<void> {
    return Promise.all(this.#pending).then(() => undefined)
  }

  /** Removes the patches at once (the app runs as without supertrace), then lets the pending writes finish. Every call returns the same promise. */
  shutdown (): Promise<void> {
    this.#shutdown ??= this.#close()
    return this.#shutdown
  }

  async #close (): Promise<void> {
    this.#patches?.uninstall()
    this.#patches = undefined
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
    // A write scheduled before shutdown (onEnd's setImmediate) may run after it: the writer's connection is closed for good.
    if (this.#patches === undefined) return Promise.resolve(false)
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
