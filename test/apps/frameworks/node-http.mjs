// A plain node:http app (ES module). Its own try/catch turns an error into its own
// 500 page; the /crash routes let an error escape, which ends the process (as Node
// does when nothing handles it). `// fails: <kind>` marks where each error is thrown.
import { createServer } from 'node:http'
import { OWN_500_PAGE } from './shared.mjs'

function loadOrder () {
  throw new URIError('handled by the app in node-http') // fails: handled
}

const routes = {
  '/handled': (req, res) => {
    try {
      loadOrder()
    } catch {
      res.writeHead(500, { 'content-type': 'text/html' }).end(OWN_500_PAGE)
    }
  },
  '/crash/sync': () => {
    throw new TypeError('the request listener threw in node-http') // fails: crash-sync
  },
  '/crash/timer': () => {
    setTimeout(() => {
      throw new EvalError('a timer threw during a request in node-http') // fails: crash-timer
    }, 1)
  },
  '/crash/async': async () => {
    await Promise.resolve()
    throw new RangeError('a request rejected in node-http') // fails: crash-async
  },
}

// An app that decides itself what an uncaught exception does: it logs it and keeps serving.
if (process.env.KEEP_RUNNING === '1') process.on('uncaughtException', (err) => process.stderr.write(`the app logged: ${err.message}\n`))

createServer((req, res) => {
  const route = routes[req.url]
  if (route === undefined) res.writeHead(404).end()
  else route(req, res)
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('node-http listening\n'))
