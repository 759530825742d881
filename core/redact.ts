/**
 * What may be stored and shown. Always active (unlike Django's filter, which is off
 * under DEBUG): supertrace runs in production.
 *
 * The instrumentation runs every value of a record through a Redactor before it
 * reaches Redis, since a secret once stored cannot be taken back. The proxy runs one
 * of its own (with its own SUPERTRACE_REDACT) over everything it shows, so that a
 * record from an older or differently configured app still cannot put a secret on a
 * page: of each record, the request's URL, query, headers, cookies and body (JSON
 * members by name), the environment, the resource, and every span's and event's
 * attributes; of what it saw itself, the app's original response headers and body
 * and the request's URL when there is no record; and the URLs of the recent-failures list.
 *
 * Two rules, because a name list alone misses secrets under names nobody expected
 * (docs/design.md#redaction):
 *   - by name: a value whose name (header, cookie, query or body field, environment
 *     variable, local variable, span attribute) contains a sensitive fragment is
 *     replaced whole, whatever it looks like;
 *   - by shape: wherever a value appears (messages and stacks included), URL
 *     userinfo, bearer and basic credentials, JWTs, PEM private keys, payment card
 *     numbers and `name=value` pairs under a sensitive name are replaced.
 * A redacted value becomes exactly REDACTED, so a secret's length does not show.
 */
import { REDACTED, type AttributeValue, type Attributes, type Pairs } from './record.ts'
import { nameList, type Setting } from './settings.ts'

/**
 * Django's list (`API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE`, 5.2) with the
 * cookie not limited to META, plus what projects keep adding themselves.
 */
const SENSITIVE_FRAGMENTS = ['API', 'AUTH', 'TOKEN', 'KEY', 'SECRET', 'PASS', 'SIGNATURE', 'COOKIE', 'SESSION', 'CSRF', 'CARD', 'JWT', 'PRIVATE', 'CREDENTIAL']
/**
 * SUPERTRACE_REDACT, one row read by both sides: the app hides these names in the record it
 * stores; the proxy in what it saw itself (the app's original response, the URL) and, once
 * more, in the records it shows.
 */
export const redactSetting = {
  env: 'SUPERTRACE_REDACT',
  description: `More name fragments whose values are hidden, on top of ${SENSITIVE_FRAGMENTS.join(', ')}: in the records the app stores and on the proxy's pages (the app's original response included). Give the app and the proxy the same value.`,
  default: [] as readonly string[],
  defaultText: 'none (the built-in fragments only)',
  example: 'DATABASE_URL,WEBHOOK',
  parse: nameList,
} satisfies Setting<readonly string[]>

/** Always hidden, whatever the fragments: they carry the session itself. */
const ALWAYS_SENSITIVE = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization'])

/** Attributes that hold a URL or a query string (current and older semantic conventions). */
const URL_ATTRIBUTES = new Set(['url.full', 'http.url', 'http.target', 'url.original'])
const QUERY_ATTRIBUTES = new Set(['url.query'])
/** Attributes that hold a database statement, whose literals may be anything a user typed. */
const STATEMENT_ATTRIBUTES = new Set(['db.statement', 'db.query.text'])

const PEM_PRIVATE_KEY = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi
const BEARER = /\b(Bearer)\s+[\w\-.~+/]+=*/gi
/** Basic credentials are base64; a minimum length keeps prose ("Basic auth failed") readable. */
const BASIC = /\b(Basic)\s+[A-Za-z0-9+/]{8,}={0,2}/g
/** A base64url JSON header (`{"…` is `eyJ…`) and a dot; the rest is optional, so a JWT cut short in a preview is still caught. */
const JWT = /\beyJ[\w-]+\.[\w-]*(?:\.[\w-]*)?/g
/**
 * 13 to 19 digits, optionally grouped by spaces or dashes. Only runs that start
 * like a card (issuers use 2–6) and pass the Luhn check are replaced, so epoch
 * milliseconds (which start with 1) and most order numbers stay readable.
 */
const CARD_CANDIDATE = /(?<![\w-])[2-6](?:[ -]?\d){12,18}(?![\w-])/g
/**
 * `name=value` inside free text: a query string in a URL quoted by an error message
 * (`fetch https://api/x?api_key=… failed`), a command-line flag (`--db-password=…`),
 * a logged setting. `==`, `===` and template placeholders (`token=${…}`, source code) are not values.
 */
const NAMED_VALUE = /(?<![\w.])([A-Za-z_][\w.-]*)=(?!=)(?!\$\{)([^\s&;,'"`<>()[\]{}]+)/g
/**
 * A JSON member with a scalar value (`"password": "x"`, `"pin": 1234`), for a body seen only
 * as text. A string cut short by a preview's limit still counts. An object or array under a
 * sensitive name is not hidden whole here (a parsed body is: see `jsonReplacer`); its own
 * members are checked by their names.
 */
const JSON_MEMBER = /"((?:[^"\\\n]|\\.){1,200})"(\s*:\s*)(?:"(?:[^"\\]|\\.)*(?:"|$)|-?\d[\d.eE+-]*|true|false)/g
/** A quoted SQL string literal, with '' as an escaped quote. */
const SQL_STRING_LITERAL = /'(?:[^']|'')*'/g
/**
 * A Redis key under a session prefix (connect-redis's `sess:`, or `app:session:`): the rest
 * of the key is the session ID, which logs its holder in. The prefix stays readable.
 */
const SESSION_KEY = /\b(sess(?:ion)?:)\S+/gi

export class Redactor {
  readonly #sensitiveName: RegExp

  /** `extraNames`: more name fragments to hide (SUPERTRACE_REDACT), matched like the built-in ones. */
  constructor (extraNames: readonly string[] = []) {
    const fragments = [...SENSITIVE_FRAGMENTS, ...extraNames.map((name) => name.trim()).filter((name) => name !== '')]
    this.#sensitiveName = new RegExp(fragments.map(escapeRegExp).join('|'), 'i')
  }

  /** Case-insensitive: does the name contain a sensitive fragment (or is it Authorization, Cookie, Set-Cookie)? */
  isSensitiveName (name: string): boolean {
    return ALWAYS_SENSITIVE.has(name.toLowerCase()) || this.#sensitiveName.test(name)
  }

  /** Replaces every secret-shaped part of a free text (a message, a stack, a header value). */
  text (value: string): string {
    return value
      .replace(PEM_PRIVATE_KEY, REDACTED)
      .replace(URL_USERINFO, `$1${REDACTED}@`)
      .replace(BEARER, `$1 ${REDACTED}`)
      .replace(BASIC, `$1 ${REDACTED}`)
      .replace(JWT, REDACTED)
      .replace(CARD_CANDIDATE, (digits) => isCardNumber(digits) ? REDACTED : digits)
      .replace(NAMED_VALUE, (pair, name: string) => this.isSensitiveName(name) ? `${name}=${REDACTED}` : pair)
  }

  /** A body shown as text (JSON, a form, anything): the shape rules, and JSON members under sensitive names. */
  bodyText (value: string): string {
    return this.text(value).replace(JSON_MEMBER, (member, name: string, colon: string) => this.isSensitiveName(name) ? `"${name}"${colon}"${REDACTED}"` : member)
  }

  /** One named value: hidden whole under a sensitive name, else by shape. */
  named (name: string, value: string): string {
    return this.isSensitiveName(name) ? REDACTED : this.text(value)
  }

  pairs (pairs: Pairs): Pairs {
    return pairs.map(([name, value]) => [name, this.named(name, value)] as const)
  }

  /** Span, event and resource attributes. */
  attributes (attributes: Attributes): Attributes {
    const redacted: Record<string, AttributeValue> = {}
    for (const [key, value] of Object.entries(attributes)) redacted[key] = this.#attribute(key, value)
    return redacted
  }

  /** Query values under sensitive names (or shaped like secrets), and URL userinfo, replaced. Works on full URLs and on paths. */
  url (url: string): string {
    const hashAt = url.indexOf('#')
    const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt)
    // A fragment can carry tokens too (OAuth's implicit flow puts `access_token=` there).
    const fragment = hashAt === -1 ? '' : `#${this.#query(url.slice(hashAt + 1))}`
    const queryAt = beforeHash.indexOf('?')
    if (queryAt === -1) return this.text(beforeHash) + fragment
    return `${this.text(beforeHash.slice(0, queryAt))}?${this.#query(beforeHash.slice(queryAt + 1))}${fragment}`
  }

  /**
   * A `JSON.stringify` replacer: values under sensitive keys hidden, strings by shape.
   * For structured values the app holds (a parsed body, a local variable's object).
   */
  readonly jsonReplacer = (key: string, value: unknown): unknown => {
    if (key !== '' && this.isSensitiveName(key)) return REDACTED
    return typeof value === 'string' ? this.text(value) : value
  }

  #attribute (key: string, value: AttributeValue): AttributeValue {
    if (this.isSensitiveName(key)) return REDACTED
    if (typeof value === 'string') {
      if (URL_ATTRIBUTES.has(key)) return this.url(value)
      if (QUERY_ATTRIBUTES.has(key)) return this.#query(value)
      if (STATEMENT_ATTRIBUTES.has(key)) return this.text(value.replace(SQL_STRING_LITERAL, `'${REDACTED}'`).replace(SESSION_KEY, `$1${REDACTED}`))
      return this.text(value)
    }
    if (typeof value === 'number') return Number.isSafeInteger(value) && isCardNumber(String(value)) ? REDACTED : value
    // OpenTelemetry lets `undefined` and other oddities through at run time; they are kept as they are.
    return Array.isArray(value) ? value.map((item) => typeof item === 'string' ? this.text(item) : item) : value
  }

  /** `a=1&token=x` → `a=1&token=********************`; names and separators are kept as they were. */
  #query (query: string): string {
    return query.split('&').map((part) => {
      const eq = part.indexOf('=')
      if (eq === -1) return this.text(part)
      const value = part.slice(eq + 1)
      const decoded = decodeQueryComponent(value)
      const hidden = this.isSensitiveName(decodeQueryComponent(part.slice(0, eq))) || this.text(decoded) !== decoded
      return hidden ? `${part.slice(0, eq)}=${REDACTED}` : part
    }).join('&')
  }
}

function decodeQueryComponent (value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

/** The Luhn checksum every payment card number satisfies (ISO/IEC 7812). */
function isCardNumber (candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '')
  if (!/^[2-6]\d{12,18}$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
  }
  return sum % 10 === 0
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
