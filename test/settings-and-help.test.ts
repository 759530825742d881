import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { ingestSettings } from '../ingest/config.ts'
import { instrumentationSettings } from '../instrumentation/config.ts'
import { proxySettings } from '../proxy/config.ts'
import { proxyBin } from './helpers/processes.ts'

function supertrace (args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null, stdout: string, stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SUPERTRACE_')))
  return spawnSync(process.execPath, [proxyBin, ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 10_000 })
}

test('supertrace --help lists the commands', () => {
  const { status, stdout } = supertrace(['--help'])
  assert.equal(status, 0)
  assert.match(stdout, /^ {2}proxy /m)
  assert.match(stdout, /^ {2}ingest /m)
  assert.match(stdout, /^ {2}health /m)
  assert.match(stdout, /node --import supertrace\/register/)
})

test('supertrace proxy --help lists every setting with its default', () => {
  const { status, stdout } = supertrace(['proxy', '--help'])
  assert.equal(status, 0)
  for (const setting of Object.values(proxySettings)) {
    assert.ok(stdout.includes(setting.env), `${setting.env} is listed`)
  }
  assert.match(stdout, /SUPERTRACE_PORT .*\n.*default 8080/)
  assert.match(stdout, /SUPERTRACE_ADMIN_PORT .*\n.*default 9901/)
  assert.match(stdout, /SUPERTRACE_LOG_LEVEL .*\n.*default info/)
  assert.match(stdout, /SUPERTRACE_HOST .*\n.*default 0\.0\.0\.0/)
  assert.match(stdout, /SUPERTRACE_SESSION_COOKIE .*\n.*default sessionid/)
  assert.match(stdout, /SUPERTRACE_REDIS_URL .*\n.*default redis:\/\/127\.0\.0\.1:6379/)
  assert.match(stdout, /SUPERTRACE_UPSTREAM .*\n.*required, e\.g\. http:\/\/127\.0\.0\.1:3000/)
})

test('without SUPERTRACE_UPSTREAM the proxy does not start, and says what to set', () => {
  const { status, stderr } = supertrace(['proxy'])
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_UPSTREAM is required; for example SUPERTRACE_UPSTREAM=http:\/\/127\.0\.0\.1:3000/)
})

test('every wrong setting is named at once, each with a valid example', () => {
  const { status, stderr } = supertrace(['proxy'], {
    SUPERTRACE_UPSTREAM: 'ftp://example',
    SUPERTRACE_PORT: '80800',
    SUPERTRACE_REDIS_URL: 'localhost:6379',
    SUPERTRACE_SESSION_COOKIE: 'session id',
    SUPERTRACE_TRACE_WAIT_MS: '-1',
  })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_UPSTREAM="ftp:\/\/example" is not valid: .*for example SUPERTRACE_UPSTREAM=http:\/\/127\.0\.0\.1:3000/)
  assert.match(stderr, /SUPERTRACE_PORT="80800" is not valid: it must be a whole number from 1 to 65535; for example SUPERTRACE_PORT=8080/)
  assert.match(stderr, /SUPERTRACE_REDIS_URL="localhost:6379" is not valid: it must be a URL starting with redis: or rediss:; for example SUPERTRACE_REDIS_URL=redis:\/\/127\.0\.0\.1:6379/)
  assert.match(stderr, /SUPERTRACE_SESSION_COOKIE="session id" is not valid/)
  assert.match(stderr, /SUPERTRACE_TRACE_WAIT_MS="-1" is not valid/)
})

test('an upstream with a path is refused: the proxy forwards whole origins', () => {
  const { status, stderr } = supertrace(['proxy'], { SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000/app' })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_UPSTREAM=.*must be an origin such as http:\/\/127\.0\.0\.1:3000, with no path/)
})

test('an unknown command is an error that shows the usage', () => {
  const { status, stderr } = supertrace(['prox'])
  assert.equal(status, 2)
  assert.match(stderr, /unknown command "prox"/)
  assert.match(stderr, /Usage: supertrace <command>/)
})

test('supertrace health fails when no proxy\'s admin server listens on SUPERTRACE_ADMIN_PORT', () => {
  const { status } = supertrace(['health'], { SUPERTRACE_ADMIN_PORT: '1' })
  assert.equal(status, 1)
})

test('a source-link template without {file} or not http(s), and a pages prefix that is no path, stop the proxy with an example', () => {
  const { status, stderr } = supertrace(['proxy'], {
    SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000',
    SUPERTRACE_SOURCE_URL: 'https://github.com/acme/shop/blob/main/#L{line}',
    SUPERTRACE_PAGES_PREFIX: '_supertrace/',
  })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_SOURCE_URL=.* must contain \{file\}.*for example SUPERTRACE_SOURCE_URL=https:\/\/github\.com\/acme\/shop\/blob\/\{commit\}\/\{file\}#L\{line\}/)
  assert.match(stderr, /SUPERTRACE_PAGES_PREFIX="_supertrace\/" is not valid: it must be a path such as \/_supertrace/)
  assert.match(supertrace(['proxy'], { SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', SUPERTRACE_SOURCE_URL: 'javascript:alert({file})' }).stderr, /SUPERTRACE_SOURCE_URL=.* must be a URL starting with https: or http:/)
})

test('SUPERTRACE_REDACT is one setting of both sides: proxy --help lists it, and a value that is no list of names stops the proxy with an example', () => {
  const help = supertrace(['proxy', '--help'])
  assert.match(help.stdout, /SUPERTRACE_REDACT +More name fragments whose values are hidden.*on the proxy's pages.*\n.*default none/)
  assert.equal(instrumentationSettings.redact, proxySettings.redact, 'the same row on both sides')

  const { status, stderr } = supertrace(['proxy'], { SUPERTRACE_UPSTREAM: 'http://127.0.0.1:3000', SUPERTRACE_REDACT: 'account number;iban' })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_REDACT="account number;iban" is not valid: it must be names separated by commas \(letters, digits, _, - and \.\); for example SUPERTRACE_REDACT=DATABASE_URL,WEBHOOK/)
})

test('supertrace ingest --help lists every setting of the receiver with its default', () => {
  const { status, stdout } = supertrace(['ingest', '--help'])
  assert.equal(status, 0)
  for (const setting of Object.values(ingestSettings)) assert.ok(stdout.includes(setting.env), `${setting.env} is listed`)
  assert.match(stdout, /SUPERTRACE_INGEST_PORT .*\n.*default 4318/)
  assert.match(stdout, /SUPERTRACE_INGEST_GRPC_PORT .*\n.*default 4317/)
  assert.match(stdout, /SUPERTRACE_INGEST_HOST .*\n.*default 127\.0\.0\.1/)
  assert.match(stdout, /OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/127\.0\.0\.1:4318/, 'it says how to point an SDK at it')
})

test('every wrong setting of the receiver is named at once, each with a valid example, and it does not start; the token is never repeated', () => {
  const { status, stderr } = supertrace(['ingest'], { SUPERTRACE_INGEST_PORT: 'http', SUPERTRACE_INGEST_BUFFER_MB: '0', SUPERTRACE_INGEST_TOKEN: 'has spaces in it', SUPERTRACE_INGEST_GRPC_PORT: '9902' })
  assert.equal(status, 78)
  assert.match(stderr, /SUPERTRACE_INGEST_PORT="http" is not valid: .*; for example SUPERTRACE_INGEST_PORT=4318/)
  assert.match(stderr, /SUPERTRACE_INGEST_BUFFER_MB="0" is not valid: .*; for example SUPERTRACE_INGEST_BUFFER_MB=64/)
  assert.match(stderr, /SUPERTRACE_INGEST_TOKEN=\(hidden\) is not valid/)
  assert.equal(stderr.includes('has spaces in it'), false)
  assert.match(stderr, /SUPERTRACE_INGEST_ADMIN_PORT=9902 is SUPERTRACE_INGEST_GRPC_PORT too/)
  assert.match(stderr, /See: supertrace ingest --help/)
})
