/** Opening a listening port at start-up (the proxy's public and admin ports, the receiver's ports), one way for all. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigError } from './errors.ts'

/**
 * Listens on `host:port`, or rejects: a port in use or not allowed is a ConfigError that
 * names the setting (`env`) and a value to try, so the process exits as for a wrong setting.
 */
export function listen (server: Server, port: number, host: string, env: string, otherPort: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        // Two proxies on one machine both on the default port: say which setting to change.
        reject(new ConfigError([`${env}=${port} is already in use on ${host}: another process (another supertrace?) listens there; for example ${env}=${port === otherPort ? otherPort + 1 : otherPort}`]))
      } else if (err.code === 'EACCES') {
        reject(new ConfigError([`${env}=${port} cannot be opened on ${host}: ports below 1024 need privileges this process lacks; for example ${env}=${otherPort}`]))
      } else {
        reject(err)
      }
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** `http://host:port` of a listening server, with an IPv6 address in brackets. */
export function listeningUrl (server: Server): string {
  const address = server.address() as AddressInfo
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
}
