/**
 * SupertraceSampler: the app's own sampling decides what is exported, and every
 * request is still recorded, so a failing one gets its full record.
 *
 * Two things make that work:
 *  - a span the sampler drops (NOT_RECORD) never reaches any span processor; the
 *    app's decision is kept as "record, not sampled" instead, which the exporting
 *    BatchSpanProcessor skips (it exports sampled spans only) and supertrace sees;
 *  - the proxy's `traceparent` says "sampled" so that parent-based apps keep
 *    recording without this sampler, and its `tracestate` says the proxy decided
 *    nothing: such a request is sampled as a new trace by the app's own sampler
 *    (a 10% ratio stays 10%, decided on the request ID).
 */
import { trace, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  createAlwaysRecordSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace'
import { PROXY_TRACESTATE_KEY, PROXY_TRACESTATE_VALUE } from '../core/protocol.ts'

export class SupertraceSampler implements Sampler {
  readonly #sampler: Sampler

  /** `appSampler` decides what is exported; by default the SDK's own default, parent-based always-on. */
  constructor (appSampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {
    this.#sampler = createAlwaysRecordSampler(appSampler)
  }

  shouldSample (context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpanContext(context)
    if (parent?.isRemote !== true || parent.traceState?.get(PROXY_TRACESTATE_KEY) !== PROXY_TRACESTATE_VALUE) {
      return this.#sampler.shouldSample(context, traceId, spanName, spanKind, attributes, links)
    }
    // The proxy's parent made no decision: decide as for a new trace, and do not pass its marker on downstream.
    const result = this.#sampler.shouldSample(trace.deleteSpan(context), traceId, spanName, spanKind, attributes, links)
    return { ...result, traceState: result.traceState ?? parent.traceState.unset(PROXY_TRACESTATE_KEY) }
  }

  toString (): string {
    return `SupertraceSampler{${this.#sampler.toString()}}`
  }
}

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, as NodeSDK reads
 * them (sdk-node's create-from-env, which it does not export); undefined when unset.
 */
export function samplerFromEnv (env: NodeJS.ProcessEnv, warn: (message: string) => void): Sampler | undefined {
  const name = env.OTEL_TRACES_SAMPLER?.trim()
  if (name === undefined || name === '') return undefined
  const ratio = (): Sampler => new TraceIdRatioBasedSampler(ratioFromEnv(env, warn))
  switch (name) {
    case 'always_on': return new AlwaysOnSampler()
    case 'always_off': return new AlwaysOffSampler()
    case 'traceidratio': return ratio()
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: ratio() })
    default:
      warn(`OTEL_TRACES_SAMPLER=${name} is not a sampler supertrace/register knows (always_on, always_off, traceidratio, parentbased_*); using the default`)
      return undefined
  }
}

function ratioFromEnv (env: NodeJS.ProcessEnv, warn: (message: string) => void): number {
  const value = Number(env.OTEL_TRACES_SAMPLER_ARG)
  if (env.OTEL_TRACES_SAMPLER_ARG !== undefined && env.OTEL_TRACES_SAMPLER_ARG.trim() !== '' && value >= 0 && value <= 1) return value
  warn('OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, for example OTEL_TRACES_SAMPLER_ARG=0.1; using 1')
  return 1
}
