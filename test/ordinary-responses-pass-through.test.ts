import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test } from 'node:test'
import { get, visible } from './helpers/http.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

test('a 200 reaches the client as the app sent it: status, headers and body', async (t) => {
  const { app, proxy } = await startStack(t)

  const direct = await get(`${app.url}/hello`)
  const proxied = await get(`${proxy.url}/hello`)

  assert.deepEqual(visible(proxied), visible(direct))
  assert.equal(proxied.text, 'hello\n')
})

test('a 64 KiB body arrives intact', async (t) => {
  const { app, proxy } = await startStack(t)

  const direct = await get(`${app.url}/large`)
  const proxied = await get(`${proxy.url}/large`)

  assert.equal(proxied.body.length, 64 * 1024)
  assert.deepEqual(visible(proxied), visible(direct))
})

test('repeated Set-Cookie headers arrive as separate headers', async (t) => {
  const { proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js` })

  const response = await get(`${proxy.url}/headers`)

  assert.deepEqual(response.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/'])
})

test('a streamed body reaches the client chunk by chunk, before the app has finished it', async (t) => {
  const { proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js` })

  // The app sends "first", then waits until the test, having received it, releases the rest.
  // A proxy that buffered the body would never deliver "first", and this test would time out.
  const body = await new Promise<string>((resolve, reject) => {
    request(`${proxy.url}/stream?id=s1`, { agent: false }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => {
        if (text === '') {
          assert.equal(chunk.toString(), 'first\n')
          void get(`${proxy.url}/release?id=s1`)
        }
        text += chunk.toString()
      })
      res.on('end', () => resolve(text))
    }).on('error', reject).end()
  })

  assert.equal(body, 'first\nsecond\n')
})
