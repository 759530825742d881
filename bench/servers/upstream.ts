/**
 * The small app every proxy variant forwards to: node:http answering from
 * prebuilt buffers, so that the app costs as little as it can and the proxy in
 * front is what the figures measure.
 *
 *   /small         200, 12 bytes          /64k    200, 64 KiB
 *   /500           500, the same 12 bytes
 *   /500-recorded  500 after storing a record under the request's x-request-id
 *                  (what `supertrace/register` does before it lets a 500 go), marked
 *                  with x-supertrace-record; without an x-request-id it is a plain 500.
 *
 * PORT, BENCH_REDIS_URL, BENCH_RECORD (a record's JSON) and BENCH_RECORD_ID (the
 * request ID inside it, replaced by each request's own) come from the environment.
 */
import { readFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { Redis } from 'ioredis'
import { RECORD_HEADER, recordKey, REQUEST_ID_HEADER } from '../../core/protocol.ts'

const SMALL = Buffer.from('hello world\n')
const BIG = Buffer.alloc(64 * 1024, 'x')
const TEXT = { 'content-type': 'text/plain' }
/** Long enough for a bench cell, short enough that Redis does not grow during the run. */
const RECORD_TTL_SECONDS = 20

const env = process.env
const record = env.BENCH_RECORD === undefined ? undefined : readFileSync(env.BENCH_RECORD, 'utf8')
const recordId = env.BENCH_RECORD_ID ?? ''
const redis = env.BENCH_REDIS_URL === undefined ? undefined : new Redis(env.BENCH_REDIS_URL)

function send (res: ServerResponse, status: number, body: Buffer, extra?: Record<string, string>): void {
  res.writeHead(status, { ...TEXT, ...extra, 'content-length': body.length })
  res.end(body)
}

createServer((req, res) => {
  switch (req.url) {
    case '/small': return send(res, 200, SMALL)
    case '/64k': return send(res, 200, BIG)
    case '/500': return send(res, 500, SMALL)
    case '/500-recorded': {
      const id = req.headers[REQUEST_ID_HEADER]
      if (typeof id !== 'string' || redis === undefined || record === undefined) return send(res, 500, SMALL)
      redis.set(recordKey(id), record.replaceAll(recordId, id), 'EX', RECORD_TTL_SECONDS).then(
        () => send(res, 500, SMALL, { [RECORD_HEADER]: '1' }),
        () => send(res, 500, SMALL))
      return
    }
    default: return send(res, 404, SMALL)
  }
}).listen(Number(env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'))
