/**
 * Clients that cost a proxy memory without costing it work: connections that sent one request
 * and then sit idle on keep-alive, and clients that ask for a body and read it very slowly.
 * Each opens its sockets in batches (under the listen backlog) and closes them all at `leave()`.
 */
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Crowd {
  /** Sockets still open (the proxy may close some: a keep-alive timeout, a limit). */
  readonly open: () => number
  leave (): Promise<void>
}

const BATCH = 250

async function gather (url: string, count: number, request: string, onSocket: (socket: Socket) => void): Promise<Crowd> {
  const { hostname, port } = new URL(url)
  const sockets = new Set<Socket>()
  for (let made = 0; made < count; made += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - made) }, () => new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(request)
        resolve()
      })
      onSocket(socket)
      sockets.add(socket)
      socket.on('error', resolve)
      socket.on('close', () => { sockets.delete(socket); resolve() })
    })))
  }
  return {
    open: () => sockets.size,
    async leave () {
      for (const socket of sockets) socket.destroy()
      while (sockets.size > 0) await sleep(10)
    },
  }
}

/** `count` keep-alive connections, each after one request for `path` whose answer it read. */
export function idleConnections (url: string, path: string, count: number): Promise<Crowd> {
  return gather(url, count, `GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`, (socket) => socket.resume())
}

/** `count` clients that each ask for `path` and then read only `bytesPerSecond` of it. */
export function slowReaders (url: string, path: string, count: number, bytesPerSecond = 1024): Promise<Crowd> {
  return gather(url, count, `GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`, (socket) => {
    socket.pause()
    const reader = setInterval(() => { socket.read(Math.min(bytesPerSecond, socket.readableLength)) }, 1000)
    socket.on('close', () => clearInterval(reader))
  })
}
