/** Reading the proxy's /metrics on its admin port, as Prometheus would. */
import assert from 'node:assert/strict'
import { get } from './http.ts'

/** The samples of a Prometheus text exposition, as `name{labels}` → value. */
function samples (text: string): Map<string, number> {
  const found = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    found.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return found
}

export async function scrape (adminUrl: string): Promise<Map<string, number>> {
  const response = await get(`${adminUrl}/metrics`)
  assert.equal(response.status, 200)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return samples(response.text)
}
