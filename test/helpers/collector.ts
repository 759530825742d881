/** A tiny OTLP/HTTP receiver (JSON encoding): a real collector's endpoint, keeping what it receives. */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { TestContext } from 'node:test'

export interface ExportedSpan {
  readonly traceId: string
  readonly name: string
}

interface OtlpJson {
  resourceSpans?: { scopeSpans?: { spans?: { traceId: string, name: string }[] }[] }[]
}

export interface Collector {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string
  readonly spans: ExportedSpan[]
  /** The trace IDs received so far. */
  traceIds (): Set<string>
  /** Waits until no export has arrived for `quietMs` since it was called (so late batches are in), at most 10 s. */
  settle (quietMs?: number): Promise<void>
  /** Waits until spans of `traceIds` have all arrived (at most 10 s), then for the exports to settle. */
  receive (traceIds: Iterable<string>): Promise<void>
}

export async function startCollector (t: TestContext): Promise<Collector> {
  const spans: ExportedSpan[] = []
  let lastExport = Date.now()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      const parsed = JSON.parse(body) as OtlpJson
      for (const resource of parsed.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) spans.push({ traceId: span.traceId, name: span.name })
        }
      }
      lastExport = Date.now()
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const { port } = server.address() as { port: number }
  async function settle (quietMs = 1000): Promise<void> {
    lastExport = Math.max(lastExport, Date.now())
    const deadline = Date.now() + 10_000
    while (Date.now() - lastExport < quietMs && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    traceIds: () => new Set(spans.map((s) => s.traceId)),
    settle,
    async receive (traceIds) {
      const wanted = [...traceIds]
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && !wanted.every((id) => spans.some((s) => s.traceId === id))) await new Promise((resolve) => setTimeout(resolve, 50))
      await settle(500)
    },
  }
}
