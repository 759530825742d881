import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { loadInstrumentationConfig } from '../instrumentation/config.ts'
import { proxyBin } from './helpers/processes.ts'

function startProxyWith (env: NodeJS.ProcessEnv): { status: number | null, stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SUPERTRACE_')))
  return spawnSync(process.execPath, [proxyBin, 'proxy'], { env: { ...clean, SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', ...env }, encoding: 'utf8', timeout: 10_000 })
}

test('setting both sentinels and cluster nodes stops the proxy, naming both variables with a valid example', () => {
  const { status, stderr } = startProxyWith({ SUPERTRACE_REDIS_SENTINELS: '127.0.0.1:26379', SUPERTRACE_REDIS_CLUSTER_NODES: '127.0.0.1:7000' })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_REDIS_SENTINELS and SUPERTRACE_REDIS_CLUSTER_NODES are both set.*; for example SUPERTRACE_REDIS_CLUSTER_NODES=10\.0\.0\.1:6379,10\.0\.0\.2:6379,10\.0\.0\.3:6379/)
})

test('a sentinel or node list that is not host:port pairs, and a master name with spaces, stop the proxy with examples', () => {
  const { status, stderr } = startProxyWith({ SUPERTRACE_REDIS_SENTINELS: 'sentinel-1', SUPERTRACE_REDIS_CLUSTER_NODES: '10.0.0.1:99999', SUPERTRACE_REDIS_SENTINEL_NAME: 'my master' })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_REDIS_SENTINELS="sentinel-1" is not valid: it must be host:port pairs separated by commas; for example SUPERTRACE_REDIS_SENTINELS=10\.0\.0\.1:26379/)
  assert.match(stderr, /SUPERTRACE_REDIS_CLUSTER_NODES="10\.0\.0\.1:99999" is not valid/)
  assert.match(stderr, /SUPERTRACE_REDIS_SENTINEL_NAME="my master" is not valid: .*; for example SUPERTRACE_REDIS_SENTINEL_NAME=mymaster/)
})

test('on a Redis Cluster, the lua lookup (whose script declares no keys) and a database other than 0 are refused at start-up', () => {
  const lua = startProxyWith({ SUPERTRACE_REDIS_CLUSTER_NODES: '127.0.0.1:7000', SUPERTRACE_LOOKUP: 'lua', SUPERTRACE_LOOKUP_SCRIPT: 'return 1' })
  assert.equal(lua.status, 78)
  assert.match(lua.stderr, /SUPERTRACE_LOOKUP=lua cannot run on a Redis Cluster/)
  const database = startProxyWith({ SUPERTRACE_REDIS_CLUSTER_NODES: '127.0.0.1:7000', SUPERTRACE_REDIS_URL: 'redis://127.0.0.1/3' })
  assert.equal(database.status, 78)
  assert.match(database.stderr, /SUPERTRACE_REDIS_URL selects database "3", but a Redis Cluster has only database 0/)
})

test('the instrumentation given both sentinels and cluster nodes warns once, naming both, and writes to SUPERTRACE_REDIS_URL', async () => {
  const warned = once(process, 'warning')
  const config = loadInstrumentationConfig({ SUPERTRACE_REDIS_SENTINELS: '127.0.0.1:26379', SUPERTRACE_REDIS_CLUSTER_NODES: '127.0.0.1:7000' })
  assert.deepEqual(config.redis.topology, { kind: 'single' })
  const [warning] = await warned as [Error & { code?: string }]
  assert.equal(warning.code, 'ST_CONFIG')
  assert.match(warning.message, /SUPERTRACE_REDIS_SENTINELS and SUPERTRACE_REDIS_CLUSTER_NODES are both set.*\(using SUPERTRACE_REDIS_URL alone\)/)
  assert.deepEqual(loadInstrumentationConfig({ SUPERTRACE_REDIS_SENTINELS: '[::1]:26379, 10.0.0.2:26379' }).redis.topology, { kind: 'sentinel', sentinels: [{ host: '::1', port: 26379 }, { host: '10.0.0.2', port: 26379 }], masterName: 'mymaster', sentinelAccess: { username: null, password: null, isTls: false } })
})

const SENTINEL_PASSWORD = 'S3CRETsentinelPASSWORD'

test('a sentinel password, user or TLS setting without SUPERTRACE_REDIS_SENTINELS stops the proxy, naming each with a valid example and never the password', () => {
  const { status, stderr } = startProxyWith({ SUPERTRACE_REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD, SUPERTRACE_REDIS_SENTINEL_USERNAME: 'supertrace', SUPERTRACE_REDIS_SENTINEL_TLS: 'true' })
  assert.equal(status, 78)
  for (const name of ['SUPERTRACE_REDIS_SENTINEL_PASSWORD', 'SUPERTRACE_REDIS_SENTINEL_USERNAME', 'SUPERTRACE_REDIS_SENTINEL_TLS']) {
    assert.match(stderr, new RegExp(`${name} is set, but SUPERTRACE_REDIS_SENTINELS is not: .*; name the sentinels too, for example SUPERTRACE_REDIS_SENTINELS=10\\.0\\.0\\.1:26379,10\\.0\\.0\\.2:26379,10\\.0\\.0\\.3:26379, or unset ${name}`))
  }
  assert.ok(!stderr.includes(SENTINEL_PASSWORD), `the password is not repeated:\n${stderr}`)
})

test('a sentinel user without its password, and a sentinel password ending in a newline (a Secret made from a file), stop the proxy; the password stays hidden', () => {
  const sentinels = { SUPERTRACE_REDIS_SENTINELS: '10.0.0.1:26379' }
  const user = startProxyWith({ ...sentinels, SUPERTRACE_REDIS_SENTINEL_USERNAME: 'supertrace' })
  assert.equal(user.status, 78)
  assert.match(user.stderr, /SUPERTRACE_REDIS_SENTINEL_USERNAME is set without SUPERTRACE_REDIS_SENTINEL_PASSWORD.*; for example SUPERTRACE_REDIS_SENTINEL_USERNAME=supertrace with SUPERTRACE_REDIS_SENTINEL_PASSWORD=sentinel-s3cret/)
  const newline = startProxyWith({ ...sentinels, SUPERTRACE_REDIS_SENTINEL_PASSWORD: `${SENTINEL_PASSWORD}\n` })
  assert.equal(newline.status, 78)
  assert.match(newline.stderr, /SUPERTRACE_REDIS_SENTINEL_PASSWORD=\(hidden\) is not valid: it must not end in a line break .*; for example SUPERTRACE_REDIS_SENTINEL_PASSWORD=sentinel-s3cret/)
  assert.ok(!newline.stderr.includes(SENTINEL_PASSWORD), `the password is not repeated:\n${newline.stderr}`)
})

test('the instrumentation given a sentinel password without sentinels warns once, naming it, and writes to SUPERTRACE_REDIS_URL', async () => {
  const warned = once(process, 'warning')
  const config = loadInstrumentationConfig({ SUPERTRACE_REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD })
  assert.deepEqual(config.redis.topology, { kind: 'single' })
  const [warning] = await warned as [Error & { code?: string }]
  assert.equal(warning.code, 'ST_CONFIG')
  assert.match(warning.message, /SUPERTRACE_REDIS_SENTINEL_PASSWORD is set, but SUPERTRACE_REDIS_SENTINELS is not.*for example SUPERTRACE_REDIS_SENTINELS=10\.0\.0\.1:26379.*\(using SUPERTRACE_REDIS_URL alone\)/)
  assert.ok(!warning.message.includes(SENTINEL_PASSWORD))
})

test('TLS to the sentinels follows SUPERTRACE_REDIS_URL (rediss: means TLS to the master and the sentinels alike) unless SUPERTRACE_REDIS_SENTINEL_TLS says otherwise', () => {
  const access = (env: NodeJS.ProcessEnv): unknown => {
    const topology = loadInstrumentationConfig({ SUPERTRACE_REDIS_SENTINELS: '10.0.0.1:26379', ...env }).redis.topology
    return topology.kind === 'sentinel' ? topology.sentinelAccess : topology
  }
  assert.deepEqual(access({ SUPERTRACE_REDIS_URL: 'rediss://:pw@redis/0' }), { username: null, password: null, isTls: true })
  assert.deepEqual(access({ SUPERTRACE_REDIS_URL: 'rediss://:pw@redis/0', SUPERTRACE_REDIS_SENTINEL_TLS: 'false' }), { username: null, password: null, isTls: false })
  assert.deepEqual(access({ SUPERTRACE_REDIS_URL: 'redis://:pw@redis/0', SUPERTRACE_REDIS_SENTINEL_TLS: 'true', SUPERTRACE_REDIS_SENTINEL_USERNAME: 'supertrace', SUPERTRACE_REDIS_SENTINEL_PASSWORD: 'pw' }), { username: 'supertrace', password: 'pw', isTls: true })
})
