/**
 * The floor for a Node proxy: a bare `http-proxy` 1.18 server with a keep-alive
 * agent, as most Node reverse proxies are built. PORT and UPSTREAM from the environment.
 */
import httpProxy from 'http-proxy'
import { Agent, createServer } from 'node:http'

const agent = new Agent({ keepAlive: true, maxSockets: 64 })
const proxy = httpProxy.createProxyServer({ target: process.env.UPSTREAM, agent })
// Without a listener, http-proxy rethrows upstream errors and the process exits.
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502).end()
  else res.destroy()
})
createServer((req, res) => proxy.web(req, res)).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'))
