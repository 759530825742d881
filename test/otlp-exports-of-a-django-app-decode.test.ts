/**
 * Real exports of a Django app on the OpenTelemetry Python SDK, as its exporter POSTed them
 * (kept outside the repository; skipped where they are absent).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { decodeTracesProtobuf } from '../ingest/otlp/protobuf.ts'
import { DJANGO_SAMPLES, skipWithoutDjangoSamples } from './helpers/otlp-samples.ts'

const skip = skipWithoutDjangoSamples
const sample = (name: string): Uint8Array => readFileSync(`${DJANGO_SAMPLES ?? ''}/${name}`)

test('a Django request that failed decodes to its five spans, the server span carrying the exception and the proxy\'s parent', { skip }, () => {
  const { spans, rejected } = decodeTracesProtobuf(sample('order-fails.pb'))

  assert.equal(rejected, 0)
  assert.equal(spans.length, 5)
  assert.deepEqual(new Set(spans.map((span) => span.traceId)), new Set(['4bf92f3577b34da6a3ce929d0e0e0007']))
  const server = spans.filter((span) => span.kind === 'server')
  assert.equal(server.length, 1)
  assert.equal(server[0]?.name, 'GET orders/<int:order_id>/')
  assert.equal(server[0]?.parentSpanId, '00f067aa0ba902b7')
  assert.deepEqual(server[0]?.status, { code: 'error', message: 'RuntimeError: cannot price order 7' })
  assert.equal(server[0]?.attributes['http.status_code'], 500)
  assert.equal(server[0]?.resource.attributes['telemetry.sdk.language'], 'python')
  const exceptions = server[0]?.events.filter((event) => event.name === 'exception') ?? []
  assert.equal(exceptions.length, 1)
  assert.equal(exceptions[0]?.attributes['exception.type'], 'RuntimeError')
  const stacktrace = String(exceptions[0]?.attributes['exception.stacktrace'])
  assert.match(stacktrace, /KeyError: 'SPRING'/)
  assert.match(stacktrace, /The above exception was the direct cause of the following exception:[\s\S]*RuntimeError: cannot price order 7/)
  for (const child of spans.filter((span) => span.kind !== 'server')) {
    assert.equal(child.parentSpanId, server[0]?.spanId, child.name)
    assert.ok(child.startUs >= (server[0]?.startUs ?? Infinity) && child.endUs <= (server[0]?.endUs ?? 0), `${child.name} lies within the request`)
  }
})

test('a Django login decodes to its seven spans: the server span, two SQLite queries and four Redis commands', { skip }, () => {
  const { spans, rejected } = decodeTracesProtobuf(sample('login-post.pb'))

  assert.equal(rejected, 0)
  assert.equal(spans.length, 7)
  assert.deepEqual(spans.map((span) => span.kind).sort(), ['client', 'client', 'client', 'client', 'client', 'client', 'server'])
  assert.equal(spans.find((span) => span.kind === 'server')?.name, 'POST login/')
  assert.equal(spans.find((span) => span.kind === 'server')?.parentSpanId, undefined)
})
