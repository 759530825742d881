/**
 * What Node can do: a minimal forwarder on undici's `Pool.dispatch()` with the
 * hop-by-hop headers stripped (undici refuses some of them), and nothing else.
 * PORT and UPSTREAM from the environment.
 */
import { createServer, type ServerResponse } from 'node:http'
import { Pool, type Dispatcher } from 'undici'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'expect'])
const pool = new Pool(String(process.env.UPSTREAM), { connections: 64, pipelining: 1 })

class Forward implements Dispatcher.DispatchHandler {
  readonly res: ServerResponse
  controller: Dispatcher.DispatchController | null = null

  constructor (res: ServerResponse) {
    this.res = res
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
  }

  onResponseStart (_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>, message?: string): void {
    const out: Record<string, string | string[]> = {}
    for (const name in headers) {
      const value = headers[name]
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
    }
    this.res.writeHead(status, message, out)
  }

  onResponseData (controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause()
      this.res.once('drain', () => controller.resume())
    }
  }

  onResponseEnd (): void {
    this.res.end()
  }

  onResponseError (_c: Dispatcher.DispatchController, _error: Error): void {
    if (this.res.headersSent) this.res.destroy()
    else this.res.writeHead(502).end()
  }
}

createServer((req, res) => {
  const raw = req.rawHeaders
  const headers: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has((raw[i] as string).toLowerCase())) headers.push(raw[i] as string, raw[i + 1] as string)
  }
  const forward = new Forward(res)
  res.once('close', () => { if (!res.writableFinished) forward.controller?.abort(new Error('client gone')) })
  pool.dispatch({ path: req.url ?? '/', method: req.method ?? 'GET', headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, forward)
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'))

// An orderly exit on SIGTERM, so that a profile taken with --cpu-prof is written (bench/profile.ts).
process.on('SIGTERM', () => process.exit(0))
