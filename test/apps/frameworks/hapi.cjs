// hapi 21 (CommonJS). `// fails: <kind>` marks the line each failure is thrown from;
// /next returns its Error instead of throwing it, which hapi turns into a 500.
const Hapi = require('@hapi/hapi')

async function main () {
  const { OWN_500_PAGE } = await import('./shared.mjs')
  const server = Hapi.server({ port: Number(process.env.PORT), host: '127.0.0.1' })
  server.ext('onRequest', function checkAccess (request, h) {
    if (request.path === '/middleware') throw new SyntaxError('onRequest extension threw in hapi') // fails: middleware
    return h.continue
  })
  // The app's own error page for /handled, replacing hapi's JSON error.
  server.ext('onPreResponse', (request, h) => {
    if (request.path !== '/handled' || !request.response.isBoom) return h.continue
    return h.response(OWN_500_PAGE).code(500).type('text/html')
  })
  server.route([
    { method: 'GET', path: '/sync', handler: () => { throw new TypeError('handler threw in hapi') } }, // fails: sync
    { method: 'GET', path: '/async', handler: async () => { await Promise.resolve(); throw new RangeError('handler rejected in hapi') } }, // fails: async
    { method: 'GET', path: '/next', handler: () => new Error('returned from the handler in hapi') }, // fails: next
    { method: 'GET', path: '/middleware', handler: () => 'never' },
    { method: 'GET', path: '/handled', handler: () => { throw new URIError('handled by the app in hapi') } }, // fails: handled
  ])
  await server.start()
  process.stdout.write('hapi listening\n')
}

main()
