/**
 * Which format a client gets (RFC 9110 §12.5.1): the explicitly named type it
 * prefers most, among HTML, JSON, Markdown and plain text. A client that names
 * none of them (curl's `*\/*`, no Accept at all) gets plain text, which reads well
 * in a terminal; browsers name text/html.
 */

export type PageFormat = 'html' | 'json' | 'markdown' | 'text'

const MEDIA_TYPES: Readonly<Record<string, PageFormat>> = {
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/json': 'json',
  'text/markdown': 'markdown',
  'text/plain': 'text',
}

/** On equal preference: the richer format first. */
const ORDER: readonly PageFormat[] = ['html', 'json', 'markdown', 'text']

export const CONTENT_TYPES: Readonly<Record<PageFormat, string>> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  text: 'text/plain; charset=utf-8',
}

export function negotiateFormat (accept: string | undefined): PageFormat {
  if (accept === undefined) return 'text'
  let best: PageFormat | undefined
  let bestQ = 0
  // Long Accept headers are cut: no client needs more than this to say what it wants.
  for (const range of accept.slice(0, 2048).split(',')) {
    const [type = '', ...params] = range.split(';')
    const format = MEDIA_TYPES[type.trim().toLowerCase()]
    if (format === undefined) continue
    const q = qualityOf(params)
    if (q > bestQ || (q === bestQ && q > 0 && best !== undefined && ORDER.indexOf(format) < ORDER.indexOf(best))) {
      best = format
      bestQ = q
    }
  }
  return best ?? 'text'
}

function qualityOf (params: readonly string[]): number {
  for (const param of params) {
    const [name, value] = param.split('=')
    if (name?.trim().toLowerCase() !== 'q' || value === undefined) continue
    const q = Number(value.trim())
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0
  }
  return 1
}
