/**
 * The programs from outside npm that each npm script needs, and the one way they are
 * set up, so that `npm ci && npm start` and `npm ci && npm test` are all a fresh
 * machine needs: what is missing is installed with apt-get when we are root on
 * Debian (a container, a CI runner); anywhere else we stop at once and print the
 * command to run. `npm start` (deploy/demo/start.ts) calls `ensureSystemPackages`; the
 * test scripts run this file first: `node deploy/system-packages.ts test`.
 *
 * SUPERTRACE_SETUP_DRY_RUN=1 prints the apt-get commands instead of running them.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface SystemPackage {
  /** The program looked for on PATH. */
  readonly command: string
  /** Debian's package that provides it. */
  readonly apt: string
  /** An environment variable that may name the program's file instead (where it is not on PATH). */
  readonly fileVariable?: string
}

const REDIS_SERVER: SystemPackage = { command: 'redis-server', apt: 'redis-server' }

/** What each script needs, by its npm name. */
export const SYSTEM_PACKAGES = {
  start: [REDIS_SERVER],
  test: [
    REDIS_SERVER,
    // Cluster tests create their cluster with `redis-cli --cluster create`.
    { command: 'redis-cli', apt: 'redis-tools' },
    // The debug page is checked in a real browser (test/debug-page-in-a-browser.test.ts).
    { command: 'chromium', apt: 'chromium', fileVariable: 'CHROMIUM_PATH' },
    // Django sessions are pickled and unpickled by a real Python (test/helpers/django-sessions.ts).
    { command: 'python3', apt: 'python3' },
    // Stack texts of other languages are printed by their real runtimes (test/stacks/, test/stack-texts-of-real-runtimes-read-as-chains.test.ts).
    { command: 'javac', apt: 'default-jdk-headless' },
    { command: 'go', apt: 'golang-go' },
    { command: 'ruby', apt: 'ruby' },
    { command: 'php', apt: 'php-cli' },
    // Sentinel-over-TLS tests make their CA and certificates with it (test/helpers/tls.ts).
    { command: 'openssl', apt: 'openssl' },
  ],
  // No Docker engine: images are built with buildah on a base made by mmdebstrap and imported by podman.
  'test:image': [
    REDIS_SERVER,
    { command: 'buildah', apt: 'buildah' },
    { command: 'podman', apt: 'podman' },
    { command: 'mmdebstrap', apt: 'mmdebstrap' },
  ],
} as const satisfies Readonly<Record<string, readonly SystemPackage[]>>

export type ScriptName = keyof typeof SYSTEM_PACKAGES

const RUN_AGAIN: Readonly<Record<ScriptName, string>> = { start: 'npm start', test: 'npm test', 'test:image': 'npm run test:image' }

/** The file `command` runs, from the first directory of `path` that has it. */
export function findOnPath (command: string, path = process.env.PATH ?? ''): string | undefined {
  return path.split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, command)).find(isExecutable)
}

export function onPath (command: string, path = process.env.PATH ?? ''): boolean {
  return findOnPath(command, path) !== undefined
}

function isExecutable (file: string): boolean {
  try { accessSync(file, constants.X_OK); return true } catch { return false }
}

export function missingPackages (needed: readonly SystemPackage[], env: NodeJS.ProcessEnv = process.env): SystemPackage[] {
  return needed.filter((p) => {
    const file = p.fileVariable === undefined ? undefined : env[p.fileVariable]
    return !(file !== undefined && file !== '' ? isExecutable(file) : onPath(p.command, env.PATH))
  })
}

/** What to do about the missing packages: nothing, run apt-get, or stop with a message. */
export type SetupPlan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install', readonly commands: ReadonlyArray<readonly string[]> }
  | { readonly kind: 'stop', readonly message: string }

export interface Machine {
  readonly isRoot: boolean
  readonly hasAptGet: boolean
}

/** `script` is how the user runs it again (`npm test`); `alternative` another way out, if there is one. */
export function setupPlan (missing: readonly SystemPackage[], machine: Machine, script: string, alternative?: string): SetupPlan {
  if (missing.length === 0) return { kind: 'ready' }
  const apt = missing.map((p) => p.apt)
  if (machine.isRoot && machine.hasAptGet) return { kind: 'install', commands: [['update'], ['install', '-y', ...apt]] }
  const [names, isAre, itThem] = [inWords(missing.map((p) => p.command)), missing.length === 1 ? 'is' : 'are', missing.length === 1 ? 'it' : 'them']
  const also = alternative === undefined ? '' : `\n(${alternative})`
  const message = machine.hasAptGet
    ? `${script} needs ${names}, which ${isAre} not installed. Install ${itThem}, then run ${script} again:\n  sudo apt-get update && sudo apt-get install -y ${apt.join(' ')}${also}\n`
    : `${script} needs ${names}, which ${isAre} not installed, and there is no apt-get here. Install ${itThem} with this system's package manager (Debian: apt-get install -y ${apt.join(' ')}), then run ${script} again.${also}\n`
  return { kind: 'stop', message }
}

/** `a`, `a and b`, `a, b and c`. */
function inWords (names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`
}

/**
 * Makes sure the programs `script` needs are there, installing them if it can.
 * Exits the process (code 1) when it cannot, having said what to run.
 */
export function ensureSystemPackages (script: ScriptName, options: { readonly alternative?: string } = {}): void {
  const needed = SYSTEM_PACKAGES[script]
  const missing = missingPackages(needed)
  const plan = setupPlan(missing, { isRoot: process.getuid?.() === 0, hasAptGet: onPath('apt-get') }, RUN_AGAIN[script], options.alternative)
  if (plan.kind === 'ready') return
  if (plan.kind === 'stop') {
    process.stderr.write(plan.message)
    process.exit(1)
  }
  const names = missing.map((p) => p.apt).join(' ')
  const dryRun = process.env.SUPERTRACE_SETUP_DRY_RUN === '1'
  process.stdout.write(`${inWords(missing.map((p) => p.command))} not found; installing Debian's ${names} with apt-get${dryRun ? ' (dry run: SUPERTRACE_SETUP_DRY_RUN=1)' : ''}…\n`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of plan.commands) {
    if (dryRun) {
      process.stdout.write(`apt-get ${args.join(' ')}\n`)
      continue
    }
    if (spawnSync('apt-get', args, { stdio: 'inherit', env }).status !== 0) {
      process.stderr.write(`apt-get ${args.join(' ')} failed; install ${names} yourself and try again\n`)
      process.exit(1)
    }
  }
  const stillMissing = dryRun ? [] : missingPackages(needed)
  if (stillMissing.length > 0) {
    process.stderr.write(`apt-get installed ${names}, but ${inWords(stillMissing.map((p) => p.command))} still not on PATH (${process.env.PATH ?? ''})\n`)
    process.exit(1)
  }
}

if (import.meta.main) {
  const script = process.argv[2]
  if (script === undefined || !Object.hasOwn(SYSTEM_PACKAGES, script)) {
    process.stderr.write(`Usage: node deploy/system-packages.ts <${Object.keys(SYSTEM_PACKAGES).join('|')}>\n`)
    process.exit(2)
  }
  ensureSystemPackages(script as ScriptName)
}
