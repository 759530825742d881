/**
 * hapi's own error event, for the errors OpenTelemetry's hapi instrumentation never
 * records: a handler that returns an Error (or a Boom) instead of throwing it
 * (capture notes §1). Every hapi server gets a listener on its `request` event's
 * `error` channel, which fires for thrown, rejected, returned and extension errors;
 * what the instrumentation already recorded is the same object and is kept once.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation'
import { captureActiveException } from './request-spans.ts'

interface HapiServer {
  readonly events: { on: (criteria: { name: string, channels: string[] }, listener: (request: unknown, event: { error?: unknown }) => void) => void }
}
type ServerFactory = (...args: unknown[]) => HapiServer
interface HapiModule { server: ServerFactory, Server: ServerFactory }

export class HapiErrorsInstrumentation extends InstrumentationBase {
  constructor () {
    super('supertrace-hapi-errors', '1.0.0', {})
  }

  protected init (): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition('@hapi/hapi', ['>=17.0.0 <22'], (loaded: HapiModule | { default: HapiModule }) => {
      const hapi = exportsOf(loaded)
      for (const name of ['server', 'Server'] as const) this._wrap(hapi, name, listenForErrors)
      return loaded
    }, (loaded: HapiModule | { default: HapiModule }) => {
      const hapi = exportsOf(loaded)
      for (const name of ['server', 'Server'] as const) this._unwrap(hapi, name)
    })
  }
}

/** An ES module import gives the namespace, whose `default` is the CommonJS exports. */
function exportsOf (loaded: HapiModule | { default: HapiModule }): HapiModule {
  return (loaded as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Module' ? (loaded as { default: HapiModule }).default : loaded as HapiModule
}

function listenForErrors (create: ServerFactory): ServerFactory {
  return function (this: unknown, ...args: unknown[]) {
    const server = create.apply(this, args)
    server.events.on({ name: 'request', channels: ['error'] }, (_request, event) => captureActiveException(event.error))
    return server
  }
}
