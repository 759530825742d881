/**
 * Step 2, verify (express-session): `connect.sid` holds `s:<id>.<signature>`,
 * URL-encoded, where the signature is HMAC-SHA256(<id>) under the app's secret in
 * base64 without padding. This is what express-session does through
 * cookie-signature's `unsign()`: every secret of a rotation list is tried, and
 * the comparison is in constant time. An unsigned or forged cookie has no session ID.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export type SignatureCheck =
  | { readonly kind: 'valid', readonly sessionId: string, /** 0-based, in SUPERTRACE_SESSION_SECRET's order */ readonly secretIndex: number }
  | { readonly kind: 'not-url-encoded' }
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'forged' }

export function verifyExpressSession (cookieValue: string, secrets: readonly string[]): SignatureCheck {
  const decoded = decodeCookieValue(cookieValue)
  if (decoded === undefined) return { kind: 'not-url-encoded' }
  if (!decoded.startsWith('s:')) return { kind: 'unsigned' }
  const signed = decoded.slice(2)
  const dot = signed.lastIndexOf('.')
  if (dot === -1) return { kind: 'forged' }
  const sessionId = signed.slice(0, dot)
  const given = Buffer.from(signed)
  for (let i = 0; i < secrets.length; i++) {
    // As cookie-signature does: the whole `<id>.<signature>` is compared, never a prefix.
    const expected = Buffer.from(`${sessionId}.${sign(sessionId, secrets[i] ?? '')}`)
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { kind: 'valid', sessionId, secretIndex: i }
  }
  return { kind: 'forged' }
}

/** The signature express-session appends (cookie-signature's `sign()`, without the value). */
export function sign (value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')
}

/** As the `cookie` package decodes a value for express-session: percent-decoding when there is a `%`. */
function decodeCookieValue (value: string): string | undefined {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
