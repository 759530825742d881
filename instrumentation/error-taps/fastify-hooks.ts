/**
 * Fastify, seen through the channel every Fastify instance announces itself on
 * (`fastify.initialization`, in Fastify 4 and 5): two hooks on each new instance, so
 * no module is patched and a bundled or vendored Fastify is seen too.
 * - `onRequest` names the route on the HTTP server span (its `http.route`, and the
 *   record's route).
 * - `onError` keeps a 5xx error, whether a handler threw it, rejected with it,
 *   passed it to `reply.send()` or a hook threw it, before the app's own error
 *   handler may answer with a page of its own. A 4xx (a validation error, say) is the
 *   app's answer, not a failure.
 * It replaces `@fastify/otel`, whose every release depends on @opentelemetry/core 2,
 * which accepts no @opentelemetry/api from 1.10 on: installing it beside the
 * OpenTelemetry 3 packages made npm warn `ERESOLVE overriding peer dependency`.
 */
import { context } from '@opentelemetry/api'
import { getRPCMetadata, RPCType } from '@opentelemetry/core'
import { InstrumentationBase } from '@opentelemetry/instrumentation'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { captureActiveException } from '../request-spans.ts'

interface FastifyRequest { readonly routeOptions?: { readonly url?: string } }
type Hook = (request: FastifyRequest, reply: unknown, payloadOrDone: unknown, done?: () => void) => void
interface FastifyInstance { addHook (name: 'onRequest' | 'onError', hook: Hook): unknown }

const INITIALIZATION = 'fastify.initialization'

export class FastifyHooksInstrumentation extends InstrumentationBase {
  constructor () {
    super('supertrace-fastify-hooks', '1.0.0', {})
  }

  protected init (): [] {
    return []
  }

  override enable (): void {
    super.enable()
    subscribe(INITIALIZATION, addHooks)
  }

  override disable (): void {
    super.disable()
    unsubscribe(INITIALIZATION, addHooks)
  }
}

function addHooks (message: unknown): void {
  const fastify = (message as { fastify?: FastifyInstance }).fastify
  if (typeof fastify?.addHook !== 'function') return
  fastify.addHook('onRequest', nameRoute)
  fastify.addHook('onError', keepServerError)
}

/** Callback hooks, not async ones: no promise per request. */
function nameRoute (request: FastifyRequest, reply: unknown, done: unknown): void {
  const metadata = getRPCMetadata(context.active())
  const route = request.routeOptions?.url
  if (metadata?.type === RPCType.HTTP && route !== undefined) metadata.route = route
  ;(done as () => void)()
}

function keepServerError (request: FastifyRequest, reply: unknown, error: unknown, done?: () => void): void {
  if (!isClientError(error)) captureActiveException(error)
  done?.()
}

/** As Fastify reads an error's status: `statusCode`, else `status`; anything below 400 becomes a 500. Never throws. */
function isClientError (error: unknown): boolean {
  try {
    const { statusCode, status } = error as { statusCode?: unknown, status?: unknown }
    const code = statusCode ?? status
    return typeof code === 'number' && code >= 400 && code < 500
  } catch {
    return false
  }
}
