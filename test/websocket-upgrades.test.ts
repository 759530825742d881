import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { repoRoot, startStack } from './helpers/processes.ts'

const plainApp = `${repoRoot}test/apps/plain-app.js`

function upgrade (url: string): Promise<{ response?: IncomingMessage, socket?: Socket, refused?: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'Upgrade', upgrade: 'websocket' }, agent: false })
    req.on('upgrade', (response, socket) => resolve({ response, socket }))
    req.on('response', (refused) => { refused.resume(); resolve({ refused }) })
    req.on('error', reject)
    req.end()
  })
}

test('a WebSocket upgrade is proxied both ways, with a request ID', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp })

  const { response, socket } = await upgrade(`${proxy.url}/echo`)

  assert.equal(response?.statusCode, 101)
  assert.match(String(response?.headers['x-seen-request-id']), /^[0-9a-f]{32}$/)
  socket?.write('ping')
  const [echoed] = await Promise.all([new Promise<string>((resolve) => socket?.once('data', (chunk: Buffer) => resolve(chunk.toString())))])
  assert.equal(echoed, 'ping')
  socket?.destroy()
})

test('an upgrade the app refuses reaches the client with the app\'s status', async (t) => {
  const { proxy } = await startStack(t, { appFile: plainApp })

  const { refused } = await upgrade(`${proxy.url}/not-a-socket`)

  assert.equal(refused?.statusCode, 404)
})
