/**
 * Step 6, field: a dotted path into the decoded session (`user.isAdmin`,
 * `passport.user`). Only the session's own properties are followed, never
 * inherited ones (`__proto__`, `constructor`), and arrays take numeric segments.
 */
import { SettingProblem } from '../../core/settings.ts'

export type FieldValue =
  | { readonly found: true, readonly value: unknown }
  | { readonly found: false, /** the segments that did resolve */ readonly resolved: string }

export class FieldPath {
  readonly path: string
  readonly #segments: readonly string[]

  constructor (path: string) {
    const segments = path.split('.')
    if (path.length > 256 || segments.some((s) => s === '' || /\s/.test(s))) throw new SettingProblem('be a dotted path of names without spaces, such as user.isAdmin')
    this.path = path
    this.#segments = segments
  }

  valueIn (session: unknown): FieldValue {
    let here = session
    for (let i = 0; i < this.#segments.length; i++) {
      const segment = this.#segments[i] ?? ''
      if (typeof here !== 'object' || here === null || !Object.hasOwn(here, segment)) return { found: false, resolved: this.#segments.slice(0, i).join('.') }
      here = (here as Record<string, unknown>)[segment]
    }
    return { found: true, value: here }
  }
}

export function fieldPath (raw: string): FieldPath {
  return new FieldPath(raw)
}
