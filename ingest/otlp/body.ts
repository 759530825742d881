/**
 * Reading an OTLP export's request body within limits: as sent (`Content-Encoding` absent or
 * `identity`) or gzip (`gzip`, `x-gzip`), the only compression OTLP/HTTP exporters use. It
 * answers nothing: the receiver maps each error to its OTLP answer (ExportTooLargeError 413,
 * UnsupportedEncodingError 415, DecodeError 400; ExportAbortedError has no one to answer).
 */
import type { IncomingMessage } from 'node:http'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import { DecodeError, ExportAbortedError, ExportTooLargeError, UnsupportedEncodingError } from '../../core/errors.ts'

export interface BodyLimits {
  /** Bytes accepted as sent: the body itself, compressed or not. */
  readonly maxWireBytes: number
  /** Bytes accepted once inflated; an uncompressed body is held to the smaller of the two. */
  readonly maxInflatedBytes: number
}

export type BodyError = ExportTooLargeError | UnsupportedEncodingError | DecodeError | ExportAbortedError

const inflate = promisify(gunzip)

/**
 * The export's bytes, inflated, or the error that stopped them. Never rejects. On
 * ExportTooLargeError the rest of the body is left unread and the request paused, so
 * nothing more is buffered: answer it with `Connection: close`.
 */
export async function readExportBody (request: IncomingMessage, limits: BodyLimits): Promise<Buffer | BodyError> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip'
  if (!gzipped && encoding !== 'identity' && encoding !== '') {
    return new UnsupportedEncodingError(`Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not gzip or identity`)
  }
  const maxBytes = gzipped ? limits.maxWireBytes : Math.min(limits.maxWireBytes, limits.maxInflatedBytes)
  const wire = await readWithin(request, maxBytes)
  if (!gzipped || !Buffer.isBuffer(wire)) return wire
  try {
    // maxOutputLength makes zlib stop inflating at the cap: a gzip bomb costs at most that much memory.
    return await inflate(wire, { maxOutputLength: limits.maxInflatedBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return new ExportTooLargeError(`the export inflates to more than ${limits.maxInflatedBytes} bytes`, { cause: error })
    }
    return new DecodeError(`the export is not valid gzip: ${(error as Error).message}`, { cause: error })
  }
}

function readWithin (request: IncomingMessage, maxBytes: number): Promise<Buffer | ExportTooLargeError | ExportAbortedError> {
  const tooLarge = (): ExportTooLargeError => new ExportTooLargeError(`the export is larger than ${maxBytes} bytes as sent`)
  const declaredLength = Number(request.headers['content-length'])
  if (declaredLength > maxBytes) {
    request.pause()
    return Promise.resolve(tooLarge())
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (result: Buffer | ExportTooLargeError | ExportAbortedError): void => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose)
      resolve(result)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= maxBytes) {
        chunks.push(chunk)
        return
      }
      request.pause()
      finish(tooLarge())
    }
    const onEnd = (): void => finish(Buffer.concat(chunks, size))
    const onError = (error: Error): void => finish(new ExportAbortedError(`the exporter's connection broke after ${size} bytes of the export`, { cause: error }))
    const onClose = (): void => {
      if (!request.complete) finish(new ExportAbortedError(`the exporter's connection closed after ${size} bytes of the export`))
    }
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose)
  })
}
