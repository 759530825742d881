/**
 * The start of a content-coded body, decoded for the page's "What the user saw", so
 * a superuser reads the app's 500 and not compressed bytes. Bounded both ways: the
 * input is the held body (at most SUPERTRACE_MAX_BUFFER_BYTES), the output stops at
 * `max` bytes, so a small "zip bomb" costs no more than a plain body would.
 */
import type { Transform } from 'node:stream'
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'

// A body cut short (the app broke off) still decodes as far as it goes: flush instead of failing at its end.
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => createGunzip({ finishFlush: constants.Z_SYNC_FLUSH }),
  'x-gzip': () => createGunzip({ finishFlush: constants.Z_SYNC_FLUSH }),
  deflate: () => createInflate({ finishFlush: constants.Z_SYNC_FLUSH }),
  br: () => createBrotliDecompress({ finishFlush: constants.BROTLI_OPERATION_FLUSH }),
}

/** The first `max` decoded bytes, or undefined for a coding this does not undo (or a body that is not in it). */
export function decodeBodyStart (body: Buffer, encoding: string, max: number): Promise<Buffer | undefined> {
  const make = DECODERS[encoding.trim().toLowerCase()]
  if (make === undefined || body.length === 0) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const decoder = make()
    const chunks: Buffer[] = []
    let size = 0
    const finish = (): void => {
      decoder.destroy()
      resolve(size === 0 ? undefined : Buffer.concat(chunks, Math.min(size, max)))
    }
    decoder.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= max) finish()
    })
    decoder.on('end', finish)
    decoder.on('error', finish)
    decoder.end(body)
  })
}
