/**
 * Recognises a failure that repeats an earlier one, so that an error storm (the same
 * bug hit hundreds of times a second) stores a few full records and, for the rest, a
 * pointer of a few hundred bytes (core/record.ts, RepeatRecord).
 *
 * Two failures are the same when they share the exception's type, the shape of its
 * message (numbers, hex IDs and quoted values blanked), the innermost app frame (file
 * and line) and the route (or, without one, the method and the path's shape), and the
 * status. Kept per process: each app process stores its own full records of a failure,
 * which costs little and needs no Redis round trip to decide.
 */
import type { TraceRecord } from '../core/record.ts'

/** A failure's full records are counted per window of this length. */
export const REPEAT_WINDOW_MS = 60_000
/**
 * The first failures of a kind in a window keep a full record each, so a developer who reproduces a bug
 * a few times sees every page whole; past that it is a storm, and later ones point at the first.
 */
export const FULL_RECORDS_PER_FAILURE = 20
/** Kinds of failure remembered at once; past it the oldest is forgotten (its next failure gets a full record again). */
const MAX_KINDS = 1000
const MESSAGE_SHAPE_CHARS = 200

export function fingerprintOf (record: TraceRecord): string {
  const exception = record.exceptions[0]
  const frame = exception?.frames.find((f) => f.origin === 'app') ?? exception?.frames[0]
  const where = record.request.route ?? `${record.request.method} ${shape(record.request.url.split('?', 1)[0] ?? '')}`
  return `${exception?.type ?? ''}\n${shape(exception?.message.slice(0, MESSAGE_SHAPE_CHARS) ?? '')}\n${frame === undefined ? '' : `${frame.file}:${frame.line}`}\n${where}\n${record.response.status}`
}

/** Blanks what differs between two occurrences of the same failure: quoted values, IDs and numbers. */
function shape (text: string): string {
  return text.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, '"…"').replace(/\b[0-9a-f]{8,}\b|\d+/gi, '#')
}

interface Kind {
  /** The first full record of this kind in the window: what later repeats point at. */
  readonly requestId: string
  readonly since: number
  full: number
}

/** What to store for a failure: its own full record, or a pointer to an earlier one. */
export type RepeatDecision =
  | { readonly repeat: false, /** An earlier full record of the same kind, a fallback when this one's does not fit the budget. */ readonly earlier?: Earlier }
  | { readonly repeat: true, readonly earlier: Earlier }

export interface Earlier {
  readonly requestId: string
  /** Epoch milliseconds at which it was decided, so no later than when its record was stored. */
  readonly since: number
}

export class RepeatTracker {
  readonly #kinds = new Map<string, Kind>()

  decide (fingerprint: string, requestId: string, now: number): RepeatDecision {
    const kind = this.#kinds.get(fingerprint)
    if (kind === undefined || now - kind.since >= REPEAT_WINDOW_MS) {
      // Deleted first so that the newest kinds stay at the end of the Map and the oldest go first.
      this.#kinds.delete(fingerprint)
      this.#kinds.set(fingerprint, { requestId, since: now, full: 1 })
      if (this.#kinds.size > MAX_KINDS) this.#kinds.delete(this.#kinds.keys().next().value as string)
      return { repeat: false }
    }
    const earlier = { requestId: kind.requestId, since: kind.since }
    if (kind.full >= FULL_RECORDS_PER_FAILURE) return { repeat: true, earlier }
    kind.full++
    return { repeat: false, earlier }
  }

  /** The full record of `requestId` was not stored: later repeats must not point at it. */
  forget (fingerprint: string, requestId: string): void {
    if (this.#kinds.get(fingerprint)?.requestId === requestId) this.#kinds.delete(fingerprint)
  }
}
