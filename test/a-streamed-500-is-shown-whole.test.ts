/**
 * A superuser's page shows the app's 500 as the visitor got it, all of it: the record can
 * arrive while the body is still streaming, and the page waits for the body's end.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get } from './helpers/http.ts'
import { ACCEPT } from './helpers/pages.ts'
import { repoRoot, startStack } from './helpers/processes.ts'

const SUPERUSER = 'sessionid=boss'
const WHOLE_BODY = 'chunk 1 of 5\nchunk 2 of 5\nchunk 3 of 5\nchunk 4 of 5\nchunk 5 of 5\nthe end\n'
/** The body under "What the user saw" in the text page: labelled plainly "Body" (not "still arriving"), every line indented. */
const WHOLE_BODY_IN_TEXT = `  Body:\n${WHOLE_BODY.split('\n').map((line) => `    ${line}`).join('\n')}`

test('a 500 whose body streams on after its record is stored is shown whole, in text and in JSON, every time', { timeout: 60_000 }, async (t) => {
  // The plain app stores the record first, then sends the body in five chunks 40 ms apart.
  const { proxy } = await startStack(t, { appFile: `${repoRoot}test/apps/plain-app.js`, nodeFlags: [], superusers: ['boss'], proxyEnv: { SUPERTRACE_TRACE_WAIT_MS: '5000', SUPERTRACE_REDIS_TIMEOUT_MS: '5000' } })

  for (let i = 0; i < 10; i++) {
    const text = await get(`${proxy.url}/streamed-500`, { cookie: SUPERUSER, accept: ACCEPT.text })
    assert.match(text.text, /stored before the body was sent/, 'the page of the record')
    assert.ok(text.text.includes(WHOLE_BODY_IN_TEXT), `text page ${i + 1} shows the whole body:\n${text.text}`)

    const json = JSON.parse((await get(`${proxy.url}/streamed-500`, { cookie: SUPERUSER, accept: ACCEPT.json })).text) as { original: { bodyPreview: string, bodyBytes: number, isBodyComplete: boolean } }
    const { bodyPreview, bodyBytes, isBodyComplete } = json.original
    assert.deepEqual({ bodyPreview, bodyBytes, isBodyComplete }, { bodyPreview: WHOLE_BODY, bodyBytes: WHOLE_BODY.length, isBodyComplete: true }, `JSON page ${i + 1}`)
  }
})
