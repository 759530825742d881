/**
 * Escaping for each place a value from the app or the request can land. HTML text
 * and attribute values go through `html`, a tagged template that escapes every
 * interpolation unless it is a fragment `html` built itself; data for the page's
 * script goes through `scriptJson`.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Safe in HTML text and in a quoted attribute value. */
function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
}

/** An HTML fragment that is already safe: built by `html`, never from a raw string. */
export class Html {
  readonly text: string
  constructor (text: string) {
    this.text = text
  }
}

/** Text that is safe where it lands because this program wrote it (the style sheet, the script, `scriptJson`'s output); never app data. */
export function trusted (text: string): Html {
  return new Html(text)
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[]

function fragment (value: HtmlValue): string {
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(fragment).join('')
  if (value === null || value === undefined || value === false) return ''
  return escapeHtml(String(value))
}

export function html (strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += fragment(values[i]) + (strings[i + 1] ?? '')
  return new Html(out)
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` cannot
 * close the element or open a comment, and U+2028/U+2029 cannot end a line in
 * older JavaScript parsers. `JSON.parse` reads it back unchanged.
 */
export function scriptJson (value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * Control characters shown as `\u{…}` in plain text and Markdown, so that a message
 * cannot drive the reader's terminal (ANSI escapes) or hide text (carriage returns).
 * Tabs and newlines stay.
 */
export function visibleControls (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`)
}
