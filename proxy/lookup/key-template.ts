/**
 * Step 3, key: the Redis key of a session, from a template such as `sess:{id}`.
 * The session ID is put in place of `{id}` as it is: one key for one GET, never
 * a pattern (nothing here reaches KEYS or SCAN), so `*`, `?` or `{` in a cookie
 * are only characters of a key that does not exist.
 */
import { SettingProblem } from '../../core/settings.ts'

const PLACEHOLDER = '{id}'

export class KeyTemplate {
  readonly template: string
  readonly #before: string
  readonly #after: string

  constructor (template: string) {
    const at = template.indexOf(PLACEHOLDER)
    if (at === -1 || template.indexOf(PLACEHOLDER, at + 1) !== -1) throw new SettingProblem('contain {id} exactly once, where the session ID goes')
    if (!/^[\x21-\x7e]{1,256}$/.test(template)) throw new SettingProblem('be 1 to 256 printable characters with no spaces, and contain {id}')
    this.template = template
    this.#before = template.slice(0, at)
    this.#after = template.slice(at + PLACEHOLDER.length)
  }

  keyFor (sessionId: string): string {
    return this.#before + sessionId + this.#after
  }

  /** The key as it may be shown: the session ID masked by `maskId`. */
  describe (maskedId: string): string {
    return this.#before + maskedId + this.#after
  }
}

export function keyTemplate (raw: string): KeyTemplate {
  return new KeyTemplate(raw)
}
