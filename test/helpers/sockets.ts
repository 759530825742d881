/** Raw bytes on a TCP socket, what the transparent app saw, and a process's memory: for tests of the proxy's edges. */
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** Opens a socket to 127.0.0.1:port. */
export function openSocket (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Everything the socket receives until the peer closes it (or it errors): the whole reply to `bytes`. */
export function readUntilClosed (socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = ''
    socket.on('data', (chunk: Buffer) => { data += chunk.toString('latin1') })
    socket.on('error', () => {})
    socket.on('close', () => resolve(data))
  })
}

/** Sends `bytes` on a new connection and returns all that comes back before the proxy closes it. */
export async function sendRaw (port: number, bytes: string): Promise<string> {
  const socket = await openSocket(port)
  const reply = readUntilClosed(socket)
  socket.write(bytes)
  return reply
}

/** Polls `read` until its value stops growing (the same for `steady` polls in a row), and returns that value. */
export async function whenSettled (read: () => Promise<number>, steady = 4): Promise<number> {
  let last = await read()
  let same = 0
  while (same < steady) {
    await sleep(150)
    const now = await read()
    same = now === last ? same + 1 : 0
    last = now
  }
  return last
}

/** A process's resident memory (VmRSS) in bytes, from /proc. */
export function residentBytes (pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(line?.match(/\d+/)?.[0] ?? 0) * 1024
}

export interface AppRequest {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string | string[]>
  readonly rawHeaders: string[]
  /** The TCP port the request came from: one per connection. */
  readonly remotePort: number
  readonly bodyBytes: number
  readonly complete: boolean
  readonly aborted: boolean
}

export interface AppState {
  readonly requests: AppRequest[]
  readonly uploadBytes: number
  readonly downloadBytes: number
}

/** What test/apps/transparent-app.js has seen so far, asked of the app directly (not through the proxy). */
export async function appState (app: { url: string }): Promise<AppState> {
  const response = await fetch(`${app.url}/_state`)
  return await response.json() as AppState
}
