/** The proxy's own short answers (refusals, 502 and 504), as plain text. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { STATUS_CODES } from '../../core/node-http.ts'

export function sendPlain (res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** The same answer as raw bytes, for a socket with no ServerResponse (a refused upgrade); the connection closes after it. */
export function plainResponseBytes (status: number, text: string): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
}
