/** The check every secrets test makes of what it saw: a page, a stored record, a log. */
import assert from 'node:assert/strict'

/** Fails, naming `where` and the secret's kind, if `text` holds any of `secrets` as given or URL-encoded (as a cookie or a query carries it). */
export function assertNoSecret (secrets: Readonly<Record<string, string>>, text: string, where: string): void {
  for (const [kind, secret] of Object.entries(secrets)) {
    assert.ok(!text.includes(secret), `${where} shows the ${kind} secret:\n${text}`)
    assert.ok(!text.includes(encodeURIComponent(secret)), `${where} shows the ${kind} secret, URL-encoded`)
  }
}
