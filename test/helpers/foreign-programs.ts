/**
 * The small programs of test/stacks/, run by their language's real runtime to print an
 * exception's text as that language's OpenTelemetry SDK records it.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { findOnPath } from '../../deploy/system-packages.ts'
import { repoRoot } from './processes.ts'

export const stacksDir = `${repoRoot}test/stacks/`

/**
 * Whether `command` is installed; when it is not, the test is skipped: `npm test` installs
 * it (deploy/system-packages.ts), so only a run outside it can lack it. Under CI a missing
 * runtime fails the test instead.
 */
export function hasRuntime (t: TestContext, command: string): boolean {
  if (findOnPath(command) !== undefined) return true
  if (process.env.CI === 'true') throw new Error(`${command} is not installed; npm test installs it (deploy/system-packages.ts)`)
  t.skip(`${command} is not installed: run npm test, which installs it, or apt-get install it`)
  return false
}

/** What `command args` prints on stdout (or stderr), once it exited as expected. */
export function programOutput (command: string, args: readonly string[], options: { readonly cwd?: string, readonly exitCode?: number, readonly stderr?: boolean } = {}): string {
  // GOTOOLCHAIN=local: the go command must never download a toolchain.
  const run = spawnSync(command, args, { cwd: options.cwd ?? stacksDir, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } })
  if (run.status !== (options.exitCode ?? 0)) throw new Error(`${command} ${args.join(' ')} exited with ${run.status}: ${run.stderr}`)
  return options.stderr === true ? run.stderr : run.stdout
}

/** The line number (from 1) of the one line of `file` that holds `marker`. */
export function markedLine (file: string, marker: string): number {
  const lines = readFileSync(file, 'utf8').split('\n')
  const found = lines.flatMap((line, index) => line.includes(marker) ? [index + 1] : [])
  if (found.length !== 1) throw new Error(`${file} has ${found.length} lines marked ${JSON.stringify(marker)}, not one`)
  return found[0] ?? 0
}
