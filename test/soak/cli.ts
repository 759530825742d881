/**
 * `npm run soak [-- --minutes 10]`: see runSoak (test/soak/soak.ts). Prints progress,
 * each violation as it happens and the summary; exits 1 on any violation.
 */
import { parseArgs } from 'node:util'
import { FAULT_KINDS, type FaultKind } from './faults.ts'
import { formatReport } from './report.ts'
import { DEFAULT_OPTIONS, runSoak, type SoakOptions } from './soak.ts'
import { TeardownList } from './teardown.ts'

const HELP = `Usage: npm run soak -- [options]

Runs Redis, an instrumented app and the proxy on loopback under a steady mixed
load (200s, anonymous and superuser 500s, WebSocket echoes) while Redis and the
app are killed and paused on a schedule. Exits 1 if any response was lost,
duplicated, late or given to the wrong client, if anyone but the superuser got
a debug page, or if the proxy's memory grew past the bound.

Options:
  --minutes N        how long the load runs (default ${DEFAULT_OPTIONS.minutes})
  --fault-every S    seconds between faults (default ${DEFAULT_OPTIONS.faultEverySeconds})
  --clients N        clients at once (default ${DEFAULT_OPTIONS.clients})
  --rate N           operations a second, all clients together (default ${DEFAULT_OPTIONS.ratePerSecond})
  --warmup S         fault-free seconds at the start; memory is measured from there (default ${DEFAULT_OPTIONS.warmupSeconds})
  --calm S           fault-free seconds at the end (default ${DEFAULT_OPTIONS.calmSeconds})
  --faults LIST      the faults taken in turn, comma-separated (default: ${FAULT_KINDS.join(',')})
  --help             this text
`

function positive (name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive number; for example --${name} ${fallback}\n`)
    process.exit(2)
  }
  return value
}

function faultKinds (raw: string): FaultKind[] {
  const kinds = raw.split(',').map((name) => name.trim())
  const unknown = kinds.filter((name) => !(FAULT_KINDS as readonly string[]).includes(name))
  if (kinds.length === 0 || unknown.length > 0) {
    process.stderr.write(`--faults takes names from: ${FAULT_KINDS.join(', ')}; for example --faults 'Redis killed,app paused'\n`)
    process.exit(2)
  }
  return kinds as FaultKind[]
}

function readOptions (): SoakOptions | null {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      'fault-every': { type: 'string' },
      clients: { type: 'string' },
      rate: { type: 'string' },
      warmup: { type: 'string' },
      calm: { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help === true) return null
  const d = DEFAULT_OPTIONS
  return {
    minutes: positive('minutes', values.minutes, d.minutes),
    faultEverySeconds: positive('fault-every', values['fault-every'], d.faultEverySeconds),
    clients: Math.round(positive('clients', values.clients, d.clients)),
    ratePerSecond: positive('rate', values.rate, d.ratePerSecond),
    warmupSeconds: positive('warmup', values.warmup, d.warmupSeconds),
    calmSeconds: positive('calm', values.calm, d.calmSeconds),
    faultKinds: values.faults === undefined ? d.faultKinds : faultKinds(values.faults),
  }
}

const options = readOptions()
if (options === null) {
  process.stdout.write(HELP)
} else {
  const teardown = new TeardownList()
  // Ctrl-C still stops every process the soak started.
  process.once('SIGINT', () => { void teardown.run().then(() => process.exit(130)) })
  try {
    const report = await runSoak(teardown, options, (line) => process.stdout.write(`${line}\n`))
    process.stdout.write(`\n${formatReport(report)}\n`)
    process.exitCode = report.violations.length === 0 ? 0 : 1
  } catch (err) {
    process.stderr.write(`the soak could not run: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exitCode = 1
  } finally {
    await teardown.run()
  }
}
