/**
 * The framework test apps mark each line an error is thrown from with
 * `// fails: <kind>`; these helpers find that line and check what supertrace
 * recorded and showed for it.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import type { Redis } from 'ioredis'
import { recordKey } from '../../core/protocol.ts'
import { decodeRecord, type RecordedException, type TraceRecord } from '../../core/record.ts'
import { get } from './http.ts'

export interface FailingLine {
  readonly line: number
  /** The error's class and message, read from the `new XError('message')` on that line. */
  readonly type: string
  readonly message: string
}

/** Where `file` throws the error of `kind`. */
export function failingLine (file: string, kind: string): FailingLine {
  const lines = readFileSync(file, 'utf8').split('\n')
  const index = lines.findIndex((text) => text.includes(`// fails: ${kind}`))
  assert.ok(index >= 0, `${file} marks a line with "// fails: ${kind}"`)
  const thrown = /new (\w+)\('([^']+)'\)/.exec(lines[index] ?? '') ?? /throw\(\d+, '([^']+)'\)/.exec(lines[index] ?? '')
  assert.ok(thrown !== null, `the line marked "${kind}" in ${file} creates an error with a literal message`)
  return thrown.length === 3
    ? { line: index + 1, type: thrown[1] ?? '', message: thrown[2] ?? '' }
    : { line: index + 1, type: 'InternalServerError', message: thrown[1] ?? '' } // Koa's ctx.throw(500, message)
}

/** Asserts that `record` holds the error thrown at `expected`, with a stack frame at that file and line. */
export function assertRecordsFailure (record: TraceRecord, file: string, expected: FailingLine): RecordedException {
  const exception = record.exceptions.find((e) => e.message === expected.message)
  assert.ok(exception !== undefined, `the record holds "${expected.message}"; it has ${JSON.stringify(record.exceptions.map((e) => `${e.type}: ${e.message}`))}`)
  assert.equal(exception.type, expected.type)
  assert.ok(exception.frames.some((f) => f.file.replace(/^file:\/\//, '') === file && f.line === expected.line),
    `a frame points at ${file}:${expected.line}; the frames are ${JSON.stringify(exception.frames.map((f) => `${f.file}:${f.line}`))}`)
  return exception
}

/** The debug report a superuser gets as JSON for `url`. */
export async function superuserRecord (url: string, cookie: string): Promise<{ status: number, requestId: string, record: TraceRecord }> {
  const response = await get(url, { cookie, accept: 'application/json' })
  assert.match(String(response.headers['content-type']), /^application\/json/, `the superuser got the debug report for ${url}, not: ${response.status} ${response.text.slice(0, 200)}`)
  const report = JSON.parse(response.text) as { requestId: string, record: unknown, missingRecord: string | null }
  assert.equal(report.missingRecord, null, `a record arrived for ${url}`)
  return { status: response.status, requestId: report.requestId, record: decodeRecord(JSON.stringify(report.record)) }
}

/** A fresh trace context the test chooses, so it knows the record key of a request that never answers. */
export function chosenTraceparent (): { traceId: string, traceparent: string } {
  const traceId = Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('')
  return { traceId, traceparent: `00-${traceId}-${'1'.repeat(16)}-01` }
}

/** Sends a request that will not be answered and waits up to 10 s for its record to appear in Redis, then aborts it. */
export async function recordOfUnansweredRequest (url: string, redis: Redis): Promise<TraceRecord> {
  const { traceId, traceparent } = chosenTraceparent()
  const pending = request(url, { headers: { traceparent }, agent: false })
  pending.on('error', () => {})
  pending.end()
  try {
    return await recordInRedis(redis, traceId)
  } finally {
    pending.destroy()
  }
}

/** Waits up to 10 s for the record of `traceId` to appear in Redis. */
export async function recordInRedis (redis: Redis, traceId: string): Promise<TraceRecord> {
  for (let i = 0; i < 200; i++) {
    const json = await redis.get(recordKey(traceId))
    if (json !== null) return decodeRecord(json)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no record for ${traceId} in Redis after 10 s`)
}
