/** SUPERTRACE_INGEST_TOKEN, checked the same way on both receivers, in constant time. */
import { timingSafeEqual } from 'node:crypto'

export class ExportToken {
  readonly #expected: Buffer | null

  /** `token`: '' takes every export. */
  constructor (token: string) {
    this.#expected = token === '' ? null : Buffer.from(`Bearer ${token}`)
  }

  /** Does this `Authorization` header (or gRPC `authorization` metadata) carry the token? */
  accepts (authorization: unknown): boolean {
    if (this.#expected === null) return true
    if (typeof authorization !== 'string') return false
    const given = Buffer.from(authorization)
    return given.length === this.#expected.length && timingSafeEqual(given, this.#expected)
  }
}
