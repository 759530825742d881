/**
 * Step 1, cookie: the session cookie's value from a raw Cookie header.
 *
 * The value is data: it is never decoded into a pattern, a key prefix or a
 * command, and anything odd about it (absent, empty, sent twice, too long)
 * is an answer of its own, so that the pipeline can say "no" and explain why.
 */
import { LIMITS } from '../limits.ts'

export type CookieLookup =
  | { readonly kind: 'found', readonly value: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'empty' }
  /** Two cookies of the name: which one the app reads is not ours to guess, so neither counts. */
  | { readonly kind: 'repeated' }
  | { readonly kind: 'too-long', readonly length: number }

/** The named cookie's value, its surrounding double quotes (RFC 6265 §4.1.1) removed. */
export function findCookie (cookieHeader: string | undefined, name: string): CookieLookup {
  if (cookieHeader === undefined || cookieHeader === '') return ABSENT
  let found: string | undefined
  for (const pair of cookieHeader.split(';')) {
    const eq = pair.indexOf('=')
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue
    if (found !== undefined) return REPEATED
    found = pair.slice(eq + 1).trim()
  }
  if (found === undefined) return ABSENT
  if (found.length >= 2 && found.startsWith('"') && found.endsWith('"')) found = found.slice(1, -1)
  if (found === '') return EMPTY
  if (found.length > LIMITS.cookieValueChars) return { kind: 'too-long', length: found.length }
  return { kind: 'found', value: found }
}

/** Whether a Cookie header carries the named cookie at all: a cheap test that decides whether a 500 is held. */
export function hasCookie (cookieHeader: string | undefined, name: string): boolean {
  return cookieHeader !== undefined && cookieHeader.includes(name) && findCookie(cookieHeader, name).kind !== 'absent'
}

/**
 * A cookie value or session ID as it may be shown to a person: its first few
 * characters and its length, enough to tell two sessions apart, never enough to use one.
 */
export function mask (value: string): string {
  const shown = value.slice(0, Math.min(4, Math.floor(value.length / 4)))
  return `${JSON.stringify(shown).slice(1, -1)}… (${value.length} characters)`
}

const ABSENT: CookieLookup = { kind: 'absent' }
const EMPTY: CookieLookup = { kind: 'empty' }
const REPEATED: CookieLookup = { kind: 'repeated' }
