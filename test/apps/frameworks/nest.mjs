// NestJS 12 (ES module) without decorator syntax: the decorators are called as the
// compiled form of a decorated TypeScript app calls them. NEST_ADAPTER picks the
// platform (express or fastify). `// fails: <kind>` marks where each error is thrown;
// `next` is a middleware that passes its error to next(), `middleware` one that throws.
import { Catch, Controller, Get, Module, UseFilters } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { OWN_500_PAGE } from './shared.mjs'

function decorateMethod (target, name, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name)
  for (const decorate of decorators) decorate(target.prototype, name, descriptor)
}

/** The app's own exception filter: its own 500 page. */
class OwnErrorPage {
  catch (exception, host) {
    host.switchToHttp().getResponse().status(500).type('text/html').send(OWN_500_PAGE)
  }
}
Catch()(OwnErrorPage)

class FailingController {
  sync () {
    throw new TypeError('handler threw in nest') // fails: sync
  }

  async async () {
    await Promise.resolve()
    throw new RangeError('handler rejected in nest') // fails: async
  }

  next () { return 'never' }
  middleware () { return 'never' }

  handled () {
    throw new URIError('handled by the app in nest') // fails: handled
  }
}
Controller()(FailingController)
for (const name of ['sync', 'async', 'next', 'middleware']) decorateMethod(FailingController, name, Get(name))
decorateMethod(FailingController, 'handled', Get('handled'), UseFilters(new OwnErrorPage()))

function passError (req, res, next) {
  next(new Error('passed to next() in nest middleware')) // fails: next
}
function checkAccess () {
  throw new SyntaxError('middleware threw in nest') // fails: middleware
}

class AppModule {
  configure (consumer) {
    consumer.apply(passError).forRoutes('next')
    consumer.apply(checkAccess).forRoutes('middleware')
  }
}
Module({ controllers: [FailingController] })(AppModule)

const adapter = process.env.NEST_ADAPTER === 'fastify'
  ? new (await import('@nestjs/platform-fastify')).FastifyAdapter()
  : undefined
const app = await NestFactory.create(AppModule, ...(adapter === undefined ? [] : [adapter]), { logger: ['fatal'] })
await app.listen(Number(process.env.PORT), '127.0.0.1')
process.stdout.write(`nest-${process.env.NEST_ADAPTER ?? 'express'} listening\n`)
