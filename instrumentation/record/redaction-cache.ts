/**
 * Redacts the texts that every record of the process carries again (environment values,
 * source lines) once, not once per record: a CPU profile of a failing request put about
 * a quarter of the app's busy time in redacting them (docs/benchmarks.md, "The failing
 * request, app side").
 *
 * Keyed by the text itself, and a redaction depends on nothing else (the Redactor is the
 * process's one, fixed at start), so nothing stale can be served: a variable set or
 * changed in process.env, or a file re-read after it changed, is a new key. Bounded in
 * entries and characters, least recently used first out. Only for what the process holds
 * anyway: request data (headers, messages, stacks) is not kept, so it lives no longer
 * than its request.
 */
import { REDACTED } from '../../core/record.ts'
import type { Redactor } from '../../core/redact.ts'
import { LIMITS } from './limits.ts'

export class RedactionCache {
  readonly #redactor: Redactor
  /** Text → its redaction, in the order last used (a Map keeps insertion order). */
  readonly #entries = new Map<string, string>()
  #chars = 0

  constructor (redactor: Redactor) {
    this.#redactor = redactor
  }

  /** `redactor.text(value)`, from the cache when it has it. */
  text (value: string): string {
    const cached = this.#entries.get(value)
    if (cached !== undefined) {
      this.#entries.delete(value)
      this.#entries.set(value, cached)
      return cached
    }
    const redacted = this.#redactor.text(value)
    this.#keep(value, redacted)
    return redacted
  }

  /** What it holds now: entries, and characters of texts and redactions. */
  get footprint (): { readonly entries: number, readonly chars: number } {
    return { entries: this.#entries.size, chars: this.#chars }
  }

  /** `redactor.named(name, value)`: a sensitive name hides the value whole, whatever it is, without caching it. */
  named (name: string, value: string): string {
    return this.#redactor.isSensitiveName(name) ? REDACTED : this.text(value)
  }

  #keep (value: string, redacted: string): void {
    const size = value.length + redacted.length
    if (size > LIMITS.cachedRedactionChars) return
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size < LIMITS.cachedRedactions && this.#chars + size <= LIMITS.cachedRedactionChars) break
      this.#entries.delete(oldest)
      this.#chars -= oldest.length + entry.length
    }
    this.#entries.set(value, redacted)
    this.#chars += size
  }
}
