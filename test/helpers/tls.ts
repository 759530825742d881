/**
 * A throwaway certificate authority and one server certificate it signed, for
 * 127.0.0.1 and localhost, made with the machine's `openssl` in a temporary
 * directory that goes when the test ends.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

export interface TestCertificates {
  /** The CA's certificate: what a client trusts (NODE_EXTRA_CA_CERTS for the app and the proxy). */
  readonly caFile: string
  readonly ca: string
  readonly certFile: string
  readonly keyFile: string
}

export async function makeCertificates (t: TestContext): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'supertrace-tls-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = (name: string): string => join(dir, name)
  const openssl = (...args: string[]): Promise<unknown> => execFileAsync('openssl', args)
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=supertrace test CA', '-keyout', file('ca.key'), '-out', file('ca.crt'))
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'))
  await writeFile(file('server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n')
  await openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-days', '1', '-extfile', file('server.ext'), '-out', file('server.crt'))
  return { caFile: file('ca.crt'), ca: await readFile(file('ca.crt'), 'utf8'), certFile: file('server.crt'), keyFile: file('server.key') }
}
