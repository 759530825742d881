/**
 * NestJS catches every error a controller, guard, pipe or middleware throws in its
 * own ExceptionsHandler, which answers with Nest's 500 or hands the error to the
 * app's exception filter; the framework instrumentations under it never see the
 * error. supertrace keeps each error there, before any filter runs. A 4xx
 * HttpException (a NotFoundException, say) is the app's answer, not a failure.
 * OpenTelemetry's NestJS instrumentation supports Nest up to 11 and records only
 * what a route handler throws, not middleware errors or Nest 12.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation'
import { captureActiveException } from '../request-spans.ts'

type Next = (this: unknown, exception: unknown, host: unknown) => unknown
interface ExceptionsHandlerModule { ExceptionsHandler: { prototype: { next: Next } } }

const originals = new WeakMap<Next, Next>()

export class NestErrorsInstrumentation extends InstrumentationBase {
  constructor () {
    super('supertrace-nest-errors', '1.0.0', {})
  }

  protected init (): InstrumentationNodeModuleDefinition {
    const versions = ['>=8.0.0 <13']
    const handler = new InstrumentationNodeModuleFile('@nestjs/core/exceptions/exceptions-handler.js', versions, (loaded: ExceptionsHandlerModule) => {
      const proto = loaded.ExceptionsHandler.prototype
      if (!originals.has(proto.next)) proto.next = keepServerErrors(proto.next)
      return loaded
    }, (loaded: ExceptionsHandlerModule) => {
      const proto = loaded.ExceptionsHandler.prototype
      proto.next = originals.get(proto.next) ?? proto.next
    })
    return new InstrumentationNodeModuleDefinition('@nestjs/core', versions, undefined, undefined, [handler])
  }
}

function keepServerErrors (next: Next): Next {
  const wrapped: Next = function (this: unknown, exception, host) {
    if (!isClientError(exception)) captureActiveException(exception)
    return next.call(this, exception, host)
  }
  originals.set(wrapped, next)
  return wrapped
}

/** A 4xx HttpException is not a failure worth a record. Never throws into Nest: a hostile `getStatus` counts as a 5xx. */
function isClientError (exception: unknown): boolean {
  try {
    const status = (exception as { getStatus?: () => unknown } | null)?.getStatus?.()
    return typeof status === 'number' && status < 500
  } catch {
    return false
  }
}
