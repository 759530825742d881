/**
 * hapi errors OpenTelemetry's hapi instrumentation never records: a handler that
 * returns an Error (or a Boom) instead of throwing it. Every hapi
 * server gets a first `onPreResponse` extension that keeps a 5xx error response's
 * Error, before the app's own extensions may replace it with a page of their own.
 * hapi's `request` error event would be simpler, but it fires after the response has
 * been sent, too late for the held 5xx. A thrown error that the instrumentation
 * recorded too is the same object (hapi boomifies it in place) and is kept once.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation'
import { captureActiveException } from '../request-spans.ts'

interface HapiRequest { readonly response: { readonly isBoom?: boolean, readonly output?: { readonly statusCode: number } } | null }
interface HapiToolkit { readonly continue: symbol }
type Extension = (request: HapiRequest, h: HapiToolkit) => symbol
type AddExtension = ((event: string, method: Extension) => void) & { __original?: AddExtension }
interface HapiServer { readonly ext: AddExtension }
type ServerFactory = (...args: unknown[]) => HapiServer
interface HapiModule { server: ServerFactory, Server: ServerFactory }

export class HapiErrorsInstrumentation extends InstrumentationBase {
  constructor () {
    super('supertrace-hapi-errors', '1.0.0', {})
  }

  protected init (): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition('@hapi/hapi', ['>=17.0.0 <22'], (loaded: HapiModule | { default: HapiModule }) => {
      const hapi = exportsOf(loaded)
      // Replaced without shimmer's marks: OpenTelemetry's hapi instrumentation skips a `server` already marked as wrapped.
      for (const name of ['server', 'Server'] as const) hapi[name] = listenForErrors(hapi[name])
      return loaded
    }, (loaded: HapiModule | { default: HapiModule }) => {
      const hapi = exportsOf(loaded)
      for (const name of ['server', 'Server'] as const) hapi[name] = originals.get(hapi[name]) ?? hapi[name]
    })
  }
}

/** An ES module import gives the namespace, whose `default` is the CommonJS exports. */
function exportsOf (loaded: HapiModule | { default: HapiModule }): HapiModule {
  return (loaded as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Module' ? (loaded as { default: HapiModule }).default : loaded as HapiModule
}

function keepServerError (request: HapiRequest, h: HapiToolkit): symbol {
  const response = request.response
  if (response?.isBoom === true && (response.output?.statusCode ?? 500) >= 500) captureActiveException(response)
  return h.continue
}

const originals = new WeakMap<ServerFactory, ServerFactory>()

function listenForErrors (create: ServerFactory): ServerFactory {
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const server = create.apply(this, args)
    // hapi's own `ext`, not the instrumentation's wrapper of it: supertrace's extension must not add a span to every request.
    const ext = server.ext.__original ?? server.ext
    ext.call(server, 'onPreResponse', keepServerError)
    return server
  }
  originals.set(wrapped, create)
  return wrapped
}
