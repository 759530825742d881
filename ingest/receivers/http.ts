/**
 * OTLP/HTTP (SUPERTRACE_INGEST_PORT, default 4318): `POST /v1/traces` and `POST /v1/logs`,
 * `application/x-protobuf` or `application/json`, gzip or not. Each export is checked in
 * the order that costs least first: the path and method, the token, the load, the content
 * type; then its body is read (bounded before and after inflating), decoded and taken.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { DecodeError, ExportAbortedError, ExportTooLargeError, UnsupportedEncodingError } from '../../core/errors.ts'
import type { Logger } from '../../core/log.ts'
import { LIMITS } from '../limits.ts'
import type { ExportOutcome, IngestMetrics, Signal } from '../operations/metrics.ts'
import { readExportBody } from '../otlp/body.ts'
import { CONTENT_TYPES, exportResponse, statusBody, type Encoding } from './answers.ts'
import type { ExportIntake } from './intake.ts'
import type { ExportToken } from './token.ts'

const PATHS: Readonly<Record<string, Signal>> = { '/v1/traces': 'traces', '/v1/logs': 'logs' }

export interface HttpReceiverParts {
  readonly intake: ExportIntake
  readonly metrics: IngestMetrics
  readonly logger: Logger
  readonly token: ExportToken
}

/** The bytes of export bodies being read now, against LIMITS.bodiesInFlightBytes. */
class BodiesInFlight {
  #bytes = 0

  /** Reserves room for a body of `bytes`; false when there is none (the export is refused for now). */
  reserve (bytes: number): boolean {
    if (this.#bytes + bytes > LIMITS.bodiesInFlightBytes) return false
    this.#bytes += bytes
    return true
  }

  release (bytes: number): void {
    this.#bytes -= bytes
  }
}

export function httpReceiver (parts: HttpReceiverParts): Server {
  const inFlight = new BodiesInFlight()
  const server = createServer((req, res) => { void receive(req, res, parts, inFlight) })
  // An SDK keeps its connection between exports; one that stalls mid-body is cut.
  server.requestTimeout = 30_000
  return server
}

async function receive (req: IncomingMessage, res: ServerResponse, parts: HttpReceiverParts, inFlight: BodiesInFlight): Promise<void> {
  const q = (req.url ?? '/').indexOf('?')
  const signal = PATHS[q === -1 ? req.url ?? '/' : (req.url ?? '/').slice(0, q)]
  const encoding = encodingOf(req.headers['content-type'])
  const answerAs: Encoding = encoding ?? 'json'
  if (signal === undefined) return refuse(req, res, 404, answerAs, 'OTLP/HTTP takes POST /v1/traces and POST /v1/logs')
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST')
    return refuse(req, res, 405, answerAs, `${req.url ?? ''} takes POST only`)
  }
  const count = (outcome: ExportOutcome): void => { parts.metrics.countExport(signal, 'http', outcome) }
  if (!parts.token.accepts(req.headers.authorization)) {
    count('unauthorized')
    res.setHeader('www-authenticate', 'Bearer')
    return refuse(req, res, 401, answerAs, 'this receiver takes exports with `Authorization: Bearer <SUPERTRACE_INGEST_TOKEN>` only (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>)')
  }
  if (encoding === undefined) {
    count('unsupported')
    return refuse(req, res, 415, answerAs, 'Content-Type must be application/x-protobuf or application/json')
  }
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > LIMITS.exportBytes) {
    count('too_large')
    return refuse(req, res, 413, encoding, `an export may be at most ${LIMITS.exportBytes} bytes; send smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)`)
  }
  // What a body will hold in memory at most: its declared length, or the cap when it is chunked.
  const reserved = Number.isSafeInteger(declared) && declared >= 0 ? declared : LIMITS.exportBytes
  if (!inFlight.reserve(reserved)) {
    count('overloaded')
    res.setHeader('retry-after', String(LIMITS.retryAfterSeconds))
    return refuse(req, res, 503, encoding, 'the receiver is taking in as much as it can; retry shortly')
  }
  try {
    const body = await readExportBody(req, { maxWireBytes: LIMITS.exportBytes, maxInflatedBytes: LIMITS.exportBytes })
    if (body instanceof ExportAbortedError) return // the exporter hung up mid-body: nothing to answer
    if (body instanceof ExportTooLargeError) {
      count('too_large')
      return refuse(req, res, 413, encoding, body.message)
    }
    if (body instanceof UnsupportedEncodingError) {
      count('unsupported')
      return refuse(req, res, 415, encoding, body.message)
    }
    if (body instanceof DecodeError) return badRequest(req, res, parts, encoding, count, body)
    const { rejected, reason } = parts.intake.take(signal, encoding, body)
    count(rejected === 0 ? 'accepted' : 'partial')
    send(res, 200, encoding, exportResponse(signal, encoding, rejected, reason))
  } catch (err) {
    if (err instanceof DecodeError) return badRequest(req, res, parts, encoding, count, err)
    parts.logger.error('an export could not be taken', err)
    refuse(req, res, 500, encoding, 'the receiver failed to take this export; see its log')
  } finally {
    inFlight.release(reserved)
  }
}

/** A malformed export is the sender's problem, worth a line at debug level only: an SDK sends it once and does not retry a 400. */
function badRequest (req: IncomingMessage, res: ServerResponse, parts: HttpReceiverParts, encoding: Encoding, count: (outcome: ExportOutcome) => void, err: DecodeError): void {
  count('bad_request')
  parts.logger.debug(`an export to ${req.url ?? ''} could not be decoded: ${err.message}`)
  refuse(req, res, 400, encoding, err.message)
}

function encodingOf (contentType: string | undefined): Encoding | undefined {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase()
  if (type === CONTENT_TYPES.protobuf) return 'protobuf'
  if (type === CONTENT_TYPES.json) return 'json'
  return undefined
}

/** A failure answer; the rest of the body is not read, so the connection is closed after it. */
function refuse (req: IncomingMessage, res: ServerResponse, status: number, encoding: Encoding, message: string): void {
  if (!req.complete) res.setHeader('connection', 'close')
  send(res, status, encoding, statusBody(encoding, status, message))
}

function send (res: ServerResponse, status: number, encoding: Encoding, body: Buffer): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'content-type': CONTENT_TYPES[encoding], 'content-length': body.length })
  res.end(body)
}
