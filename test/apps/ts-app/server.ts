// A TypeScript app, compiled with a source map by the test that runs it: frames in
// a record must point at this file and its lines, not at the compiled JavaScript.
import { trace } from '@opentelemetry/api'
import { createServer } from 'node:http'

interface Order {
  readonly id: string
  readonly total: number
}

function priceOf (order: Order | undefined): number {
  const discount: number = 0.1
  return order!.total * (1 - discount) // the throwing line
}

const port = Number(process.env.PORT ?? 3000)
createServer((req, res) => {
  try {
    res.end(String(priceOf(undefined)))
  } catch (err) {
    // Reported on the request's span, as a framework's error handler would.
    trace.getActiveSpan()?.recordException(err as Error)
    res.statusCode = 500
    res.end('failed')
  }
}).listen(port, '127.0.0.1', () => console.log(`listening on ${port}`))
