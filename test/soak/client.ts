/**
 * The soak's clients: one HTTP request or one WebSocket conversation, each bounded
 * by a deadline, each resolving exactly once with what the client saw. A body is
 * only a body if it arrived complete: a connection cut mid-body is an error here,
 * never a short body.
 */
import { request, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'

export type HttpOutcome =
  | { readonly type: 'response', readonly status: number, readonly headers: IncomingHttpHeaders, readonly body: string }
  /** Refused, reset, or cut mid-body: `reason` is the error code or what was cut; `where` says on which connection and when, for the report. */
  | { readonly type: 'error', readonly reason: string, readonly where: string }
  | { readonly type: 'timeout' }

export function httpGet (url: string, headers: OutgoingHttpHeaders, agent: Agent, deadlineMs: number): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let isSettled = false
    const sentAt = performance.now()
    const where = (): string => `on a ${req.reusedSocket ? 'reused keep-alive' : 'new'} connection, ${Math.round(performance.now() - sentAt)} ms after sending`
    const settle = (outcome: HttpOutcome): void => {
      if (isSettled) return
      isSettled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const req = request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', (err: NodeJS.ErrnoException) => settle({ type: 'error', reason: `cut mid-body (${err.code ?? err.message})`, where: where() }))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        const declared = res.headers['content-length']
        if (!res.complete || (declared !== undefined && Number(declared) !== body.length)) settle({ type: 'error', reason: `cut mid-body (${body.length} bytes)`, where: where() })
        else settle({ type: 'response', status: res.statusCode ?? 0, headers: res.headers, body: body.toString() })
      })
    })
    const timer = setTimeout(() => {
      settle({ type: 'timeout' })
      req.destroy()
    }, deadlineMs)
    req.on('error', (err: NodeJS.ErrnoException) => settle({ type: 'error', reason: err.code ?? err.message, where: where() }))
    req.end()
  })
}

export type EchoOutcome =
  | { readonly type: 'echoed' }
  | { readonly type: 'mismatch', readonly sent: string, readonly received: string }
  /** Refused, or closed before every message came back. */
  | { readonly type: 'error', readonly reason: string }
  | { readonly type: 'timeout' }

/** Opens a WebSocket (Node's own client), sends `messages` one at a time, expects each back, then closes cleanly. */
export function echoOverWebSocket (url: string, messages: readonly string[], deadlineMs: number): Promise<EchoOutcome> {
  return new Promise((resolve) => {
    let isSettled = false
    let echoed = 0
    const socket = new WebSocket(url)
    const settle = (outcome: EchoOutcome): void => {
      if (isSettled) return
      isSettled = true
      clearTimeout(timer)
      if (socket.readyState !== WebSocket.CLOSED) socket.close()
      resolve(outcome)
    }
    const timer = setTimeout(() => settle({ type: 'timeout' }), deadlineMs)
    socket.addEventListener('open', () => socket.send(messages[0] ?? ''))
    socket.addEventListener('message', (event: MessageEvent) => {
      const sent = messages[echoed] ?? ''
      const received = String(event.data)
      if (received !== sent) {
        settle({ type: 'mismatch', sent, received })
        return
      }
      echoed++
      if (echoed < messages.length) socket.send(messages[echoed] ?? '')
      else socket.close(1000)
    })
    socket.addEventListener('close', (event: CloseEvent) => {
      if (echoed === messages.length && event.wasClean) settle({ type: 'echoed' })
      else settle({ type: 'error', reason: `closed after ${echoed} of ${messages.length} echoes (code ${event.code})` })
    })
  })
}
