/**
 * Real scaled-out Redis deployments for the tests, each in temporary directories,
 * on free ports, and stopped when the test ends: a Redis Cluster of three masters,
 * and a master with one replica watched by three sentinels.
 */
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'
import { Redis, type RedisOptions } from 'ioredis'
import { freePort, run, type Started } from './processes.ts'
import type { TestCertificates } from './tls.ts'
import { waitUntil } from './wait-until.ts'

const execFileAsync = promisify(execFile)

/** A Redis server of the deployment, with a plain client for the test's own checks. */
export interface RedisNode {
  readonly port: number
  readonly process: Started
  readonly client: Redis
}

/**
 * The servers' working directories, removed when the test file's process exits. Not in a test's
 * after hooks: those run before the servers' own (registered later) have killed them, and a sentinel
 * still rewriting its config there made the removal fail, and a failed hook skips the kills after it.
 */
const tempDirs: string[] = []

async function tempDir (name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `supertrace-${name}-`))
  if (tempDirs.length === 0) process.once('exit', () => { for (const made of tempDirs) rmSync(made, { recursive: true, force: true }) })
  tempDirs.push(dir)
  return dir
}

/** How the test's own clients reach a server: its password, and TLS when it listens on nothing else. */
type ClientAccess = Pick<RedisOptions, 'password' | 'tls'>

function client (t: TestContext, port: number, access: ClientAccess = {}): Redis {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true, ...access })
  redis.on('error', () => {})
  t.after(() => redis.disconnect())
  return redis
}

async function startServer (t: TestContext, args: readonly string[], port: number, ready = 'Ready to accept connections', access: ClientAccess = {}): Promise<RedisNode> {
  const server = run(t, 'redis-server', args)
  await server.waitFor(ready)
  return { port, process: server, client: client(t, port, access) }
}

export interface RunningCluster {
  readonly masters: readonly RedisNode[]
  /** SUPERTRACE_REDIS_CLUSTER_NODES for the app and the proxy. */
  readonly nodesSetting: string
  /** Ignored but for credentials in cluster mode: what startApp/startProxy put in SUPERTRACE_REDIS_URL. */
  readonly url: string
}

/** Three masters, no replicas, all 16384 slots assigned, cluster_state:ok on every node. */
export async function startRedisCluster (t: TestContext): Promise<RunningCluster> {
  const masters = await Promise.all([0, 1, 2].map(async (i) => {
    const [port, busPort, dir] = await Promise.all([freePort(), freePort(), tempDir(`cluster-${i}`)])
    return startServer(t, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-port', String(busPort),
      '--cluster-node-timeout', '2000',
    ], port)
  }))
  const addresses = masters.map((m) => `127.0.0.1:${m.port}`)
  await execFileAsync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'])
  for (const master of masters) await waitUntil(`node ${master.port} reports cluster_state:ok`, async () => (await master.client.cluster('INFO')).includes('cluster_state:ok'))
  return { masters, nodesSetting: addresses.join(','), url: 'redis://127.0.0.1' }
}

export interface RunningSentinels {
  /** The master at start; after a failover, `replica` is. */
  readonly master: RedisNode
  readonly replica: RedisNode
  readonly sentinels: readonly RedisNode[]
  readonly masterName: string
  /** SUPERTRACE_REDIS_SENTINELS for the app and the proxy. */
  readonly sentinelsSetting: string
  /** Ignored but for credentials and db in sentinel mode: what startApp/startProxy put in SUPERTRACE_REDIS_URL. */
  readonly url: string
  /** The port the sentinels currently name as master. */
  masterPort (): Promise<number>
}

/** What a Sentinel deployment asks of its clients; by default nothing (no passwords, no TLS). */
export interface SentinelDeploymentOptions {
  /** `requirepass` of the master and the replica (with the replica's `masterauth` and the sentinels' `auth-pass`). */
  readonly masterPassword?: string
  /** `requirepass` of every sentinel (sentinels sign in to each other with it too). */
  readonly sentinelPassword?: string
  /** Every server, sentinels included, on TLS alone (`port 0`), with this certificate; clients need not show one. */
  readonly tls?: TestCertificates
}

/** The configuration lines that put a server on TLS alone, and its replication and sentinel links too. */
function tlsLines (tls: TestCertificates | undefined, port: number): string[] {
  if (tls === undefined) return [`port ${port}`]
  return ['port 0', `tls-port ${port}`, `tls-cert-file ${tls.certFile}`, `tls-key-file ${tls.keyFile}`, `tls-ca-cert-file ${tls.caFile}`, 'tls-auth-clients no', 'tls-replication yes']
}

/** Configuration lines (values without spaces) as redis-server's arguments: `--port 0 --tls-port 6380 …`. */
function asArguments (lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const [name = '', ...value] = line.split(' ')
    return [`--${name}`, ...value]
  })
}

/**
 * A master, one replica in sync with it, and three sentinels (quorum 2) that know the
 * replica and each other. A master is judged down after 1 s without an answer, so a
 * failover takes a few seconds. `options` adds passwords and TLS as production has them.
 */
export async function startRedisSentinels (t: TestContext, options: SentinelDeploymentOptions = {}): Promise<RunningSentinels> {
  const masterName = 'supertrace-test'
  const { masterPassword, sentinelPassword, tls } = options
  const tlsAccess = tls === undefined ? {} : { tls: { ca: tls.ca } }
  const dataAccess: ClientAccess = { ...tlsAccess, password: masterPassword }
  const sentinelAccess: ClientAccess = { ...tlsAccess, password: sentinelPassword }
  const [masterPort, replicaPort] = [await freePort(), await freePort()]
  // Each in a directory of its own: a full resynchronisation writes an RDB file there.
  const common = async (name: string, port: number): Promise<string[]> => [
    ...asArguments(tlsLines(tls, port)), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', await tempDir(name),
    ...masterPassword === undefined ? [] : ['--requirepass', masterPassword, '--masterauth', masterPassword],
  ]
  const master = await startServer(t, await common('master', masterPort), masterPort, undefined, dataAccess)
  const replica = await startServer(t, [...await common('replica', replicaPort), '--replicaof', '127.0.0.1', String(masterPort)], replicaPort, 'MASTER <-> REPLICA sync: Finished with success', dataAccess)
  const sentinels = await Promise.all([0, 1, 2].map(async (i) => {
    const [port, dir] = await Promise.all([freePort(), tempDir(`sentinel-${i}`)])
    const config = join(dir, 'sentinel.conf')
    // A sentinel rewrites its own configuration file, so each gets a writable one.
    await writeFile(config, [
      ...tlsLines(tls, port), 'bind 127.0.0.1', `dir ${dir}`,
      ...sentinelPassword === undefined ? [] : [`requirepass ${sentinelPassword}`],
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
      ...masterPassword === undefined ? [] : [`sentinel auth-pass ${masterName} ${masterPassword}`],
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
      '',
    ].join('\n'))
    return startServer(t, [config, '--sentinel'], port, 'Sentinel ID is', sentinelAccess)
  }))
  for (const sentinel of sentinels) {
    await waitUntil(`sentinel ${sentinel.port} knows the replica and the other sentinels`, async () => {
      const fields = await sentinel.client.call('SENTINEL', 'MASTER', masterName) as string[]
      const field = (name: string): string | undefined => fields[fields.indexOf(name) + 1]
      return field('num-slaves') === '1' && field('num-other-sentinels') === '2'
    })
  }
  const masterPortNow = async (): Promise<number> => {
    for (const sentinel of sentinels) {
      const address = await sentinel.client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName).catch(() => null) as string[] | null
      if (address !== null) return Number(address[1])
    }
    throw new Error('no sentinel answered')
  }
  const userinfo = masterPassword === undefined ? '' : `:${encodeURIComponent(masterPassword)}@`
  return {
    master,
    replica,
    sentinels,
    masterName,
    sentinelsSetting: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    url: `${tls === undefined ? 'redis' : 'rediss'}://${userinfo}127.0.0.1`,
    masterPort: masterPortNow,
  }
}
