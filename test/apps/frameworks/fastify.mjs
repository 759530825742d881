// Fastify 5 (ES module), seen through the hooks supertrace adds to every Fastify instance. `// fails: <kind>` marks the line
// each failure is thrown from.
import Fastify from 'fastify'
import { OWN_500_PAGE } from './shared.mjs'

const app = Fastify()
app.get('/sync', () => {
  throw new TypeError('handler threw in fastify') // fails: sync
})
app.get('/async', async () => {
  await Promise.resolve()
  throw new RangeError('handler rejected in fastify') // fails: async
})
app.get('/next', (request, reply) => {
  reply.send(new Error('passed to reply.send() in fastify')) // fails: next
})
app.get('/middleware', {
  onRequest: async function checkAccess () {
    throw new SyntaxError('onRequest hook threw in fastify') // fails: middleware
  },
}, () => 'never')
// The app's own error handler, for the routes of this plugin: its own 500 page.
await app.register(async (scope) => {
  scope.setErrorHandler((error, request, reply) => reply.code(500).type('text/html').send(OWN_500_PAGE))
  scope.get('/handled', () => {
    throw new URIError('handled by the app in fastify') // fails: handled
  })
})

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.stdout.write('fastify listening\n')
