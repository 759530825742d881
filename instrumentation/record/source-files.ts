/**
 * The app's source files and their source maps, read on demand when a record is
 * made (never on a successful request) and cached, bounded in count and in size
 * (least recently used first out). Reads are synchronous: they happen once per file,
 * only for failed requests, and keep the record builder simple.
 *
 * Source maps are applied here rather than with `process.setSourceMapsEnabled` /
 * `module.setSourceMapsSupport`: those make every `err.stack` the app formats pay
 * for mapping, while supertrace only needs it for the few stacks it records.
 * `module.SourceMap` (public since Node 13.7) does the decoding.
 */
import { readFileSync, statSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { LIMITS } from './limits.ts'

interface SourceFile {
  /** The file's lines, or undefined when it could not be read (or is too large). */
  readonly lines: readonly string[] | undefined
  /** Its source map, when it has one. */
  readonly map: SourceMap | undefined
  /** The URL the map's `sources` are resolved against. */
  readonly mapUrl: string | undefined
  /** Original sources embedded in the map (`sourcesContent`), by resolved URL. */
  readonly embedded: ReadonlyMap<string, string>
  /** Roughly what it holds in memory: the file's and the map's characters. */
  readonly size: number
}

export interface OriginalPosition {
  readonly file: string
  readonly line: number
  readonly column: number
}

const cache = new Map<string, SourceFile>()
let cachedSize = 0
const UNREADABLE: SourceFile = { lines: undefined, map: undefined, mapUrl: undefined, embedded: new Map(), size: 0 }
const SOURCE_MAPPING_URL = /\/\/[#@] sourceMappingURL=(\S+)\s*$/

/** A frame's file as a path (V8 prints CommonJS frames as paths, ES module frames as file: URLs). */
function toPath (file: string): string | undefined {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file)
    } catch {
      return undefined
    }
  }
  return file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file) ? file : undefined
}

function readText (path: string): string | undefined {
  try {
    if (statSync(path).size > LIMITS.sourceFileBytes) return undefined
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function load (file: string): SourceFile {
  const cached = cache.get(file)
  if (cached !== undefined) {
    // Least recently used goes first when the cache is full.
    cache.delete(file)
    cache.set(file, cached)
    return cached
  }
  const path = toPath(file)
  const text = path === undefined ? undefined : readText(path)
  const loaded = text === undefined || path === undefined ? UNREADABLE : withMap(path, text)
  for (const [oldest, entry] of cache) {
    if (cache.size < LIMITS.cachedSourceFiles && cachedSize + loaded.size <= LIMITS.cachedSourceBytes) break
    cache.delete(oldest)
    cachedSize -= entry.size
  }
  cache.set(file, loaded)
  cachedSize += loaded.size
  return loaded
}

function withMap (path: string, text: string): SourceFile {
  const lines = text.split(/\r?\n/)
  const tail = lines.slice(-3).join('\n')
  const reference = SOURCE_MAPPING_URL.exec(tail)?.[1]
  const withoutMap = { lines, map: undefined, mapUrl: undefined, embedded: new Map(), size: text.length }
  if (reference === undefined) return withoutMap
  try {
    const fileUrl = pathToFileURL(path)
    const mapUrl = new URL(reference, fileUrl)
    const json = mapUrl.protocol === 'data:'
      ? Buffer.from(reference.slice(reference.indexOf(',') + 1), reference.includes(';base64,') ? 'base64' : 'utf8').toString('utf8')
      : readText(fileURLToPath(mapUrl))
    if (json === undefined) return withoutMap
    const payload = JSON.parse(json) as { sources?: string[], sourceRoot?: string, sourcesContent?: Array<string | null> }
    const base = mapUrl.protocol === 'data:' ? fileUrl.href : mapUrl.href
    const embedded = new Map<string, string>()
    payload.sources?.forEach((source, i) => {
      const content = payload.sourcesContent?.[i]
      if (typeof content === 'string') embedded.set(resolveSource(source, payload.sourceRoot, base), content)
    })
    return { lines, map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]), mapUrl: base, embedded, size: text.length + json.length }
  } catch {
    return withoutMap
  }
}

function resolveSource (source: string, sourceRoot: string | undefined, base: string): string {
  const root = sourceRoot === undefined || sourceRoot === '' ? '' : sourceRoot.endsWith('/') ? sourceRoot : `${sourceRoot}/`
  return new URL(root + source, base).href
}

/**
 * Where a position of generated code came from, when the file has a source map:
 * the original file in the style the frame used (a path, or a file: URL).
 */
export function originalPosition (file: string, line: number, column: number): OriginalPosition | undefined {
  const { map, mapUrl } = load(file)
  if (map === undefined || mapUrl === undefined) return undefined
  const origin = map.findOrigin(line, column) as { fileName?: string, lineNumber?: number, columnNumber?: number }
  if (origin.fileName === undefined || origin.lineNumber === undefined) return undefined
  const resolved = resolveSource(origin.fileName, map.payload.sourceRoot, mapUrl)
  const original = file.startsWith('file://') || !resolved.startsWith('file://') ? resolved : fileURLToPath(resolved)
  return { file: original, line: origin.lineNumber, column: origin.columnNumber ?? column }
}

/** The lines of a file (an original source embedded in a map is found too), or undefined. */
export function sourceLines (file: string): readonly string[] | undefined {
  const url = file.startsWith('file://') ? file : toPath(file) === undefined ? undefined : pathToFileURL(file).href
  if (url !== undefined) {
    for (const source of cache.values()) {
      const content = source.embedded.get(url)
      if (content !== undefined) return content.split(/\r?\n/)
    }
  }
  return load(file).lines
}
