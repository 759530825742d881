/**
 * The error that reaches Express's default error handler, `finalhandler` (Express 4
 * and 5, Connect), whichever way Express itself was loaded. OpenTelemetry's Express
 * instrumentation patches the package named `express`; an app that loads Express by
 * a path (Express's own examples do, `require('../../')`) or vendors it is not
 * patched, but Express still requires `finalhandler` by name, so its errors are kept
 * here. An error the Express instrumentation recorded too is the same object and is
 * kept once. A 4xx (`createError(404)`, say) is the app's answer, not a failure.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation'
import { captureActiveException } from '../request-spans.ts'

type Done = (err?: unknown) => void
type FinalHandler = (req: unknown, res: unknown, options?: unknown) => Done

const wrappers = new WeakSet<FinalHandler>()

export class FinalhandlerErrorsInstrumentation extends InstrumentationBase {
  constructor () {
    super('supertrace-finalhandler-errors', '1.0.0', {})
  }

  // No unpatch: the module's export is the function itself, which cannot be swapped back in the module cache.
  protected init (): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition('finalhandler', ['>=1.0.0 <3'], keepServerErrors)
  }
}

function keepServerErrors (finalhandler: FinalHandler): FinalHandler {
  if (wrappers.has(finalhandler)) return finalhandler
  const wrapped: FinalHandler = function (this: unknown, req, res, options) {
    const done = finalhandler.call(this, req, res, options)
    return (err) => {
      if (err !== undefined && err !== null && !isClientError(err)) captureActiveException(err)
      done(err)
    }
  }
  wrappers.add(wrapped)
  return wrapped
}

/** As finalhandler reads an error's status: `status`, else `statusCode`, when 400–599. Never throws. */
function isClientError (err: unknown): boolean {
  try {
    const { status, statusCode } = err as { status?: unknown, statusCode?: unknown }
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : statusCode
    return typeof code === 'number' && code >= 400 && code < 500
  } catch {
    return false
  }
}
