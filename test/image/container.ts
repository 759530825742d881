// Builds the Dockerfile and runs the image with buildah, the way a container engine would: no Docker
// engine runs on these machines. `--isolation=chroot` needs no daemon and no user namespaces; the host
// network lets the container's proxy reach the test's app and Redis on loopback.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { repoRoot, Started, type Teardown } from '../helpers/processes.ts'
import { ensureStandInBaseImage } from './stand-in-base-image.ts'

const ISOLATION = ['--isolation=chroot', '--network=host'] as const

/** What the image says about itself; the HEALTHCHECK is kept because it is built in Docker's format (OCI's has none). */
export interface ImageConfig {
  readonly User: string
  readonly Entrypoint: readonly string[] | null
  readonly Cmd: readonly string[] | null
  readonly Env: readonly string[]
  readonly ExposedPorts: Readonly<Record<string, object>>
  readonly StopSignal?: string
  readonly Labels: Readonly<Record<string, string>>
}

export interface BuiltImage {
  readonly tag: string
  readonly config: ImageConfig
  readonly healthcheck?: { readonly Test: readonly string[], readonly Interval: number, readonly Timeout: number }
  /** Bytes, uncompressed: the base image's and this Dockerfile's layers. */
  readonly size: number
  readonly baseSize: number
}

interface Inspected {
  readonly Config: ImageConfig
  readonly Healthcheck?: BuiltImage['healthcheck']
  readonly Size: number
}

function inspect (image: string): Inspected {
  const [found] = JSON.parse(execFileSync('podman', ['image', 'inspect', image], { encoding: 'utf8' })) as [Inspected]
  return found
}

/**
 * `buildah bud` of one of the repository's Dockerfiles (context: the repository), never pulling: the
 * stand-in base image is in the local store under the name the `FROM` uses. A CA bundle the host trusts
 * (NODE_EXTRA_CA_CERTS, as behind a TLS-inspecting proxy) is mounted as a build secret and named by the
 * build argument of the same name.
 */
export function buildImage (tag: string, dockerfile: string, log: (line: string) => void): BuiltImage {
  const base = ensureStandInBaseImage(log)
  const caBundle = process.env.NODE_EXTRA_CA_CERTS
  const trustArgs = caBundle !== undefined && existsSync(caBundle)
    ? ['--secret', `id=extra-ca-certs,src=${caBundle}`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/secrets/extra-ca-certs']
    : []
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  const revision = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim() || 'unknown'
  const started = process.hrtime.bigint()
  const build = spawnSync('buildah', [
    'bud', ...ISOLATION, '--pull=never', '--format=docker', '--layers',
    ...trustArgs, '--build-arg', `VERSION=${version}`, '--build-arg', `REVISION=${revision}`,
    '--tag', tag, '--file', dockerfile, '.',
  ], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (build.status !== 0) throw new Error(`buildah bud of ${dockerfile} failed (${build.status}):\n${build.stdout}\n${build.stderr}`)
  const buildSeconds = Number(process.hrtime.bigint() - started) / 1e9
  log(`built ${tag} from ${dockerfile} in ${buildSeconds.toFixed(1)} s`)
  const { Config: config, Healthcheck: healthcheck, Size: size } = inspect(tag)
  return { tag, config, healthcheck, size, baseSize: inspect(base).Size }
}

/** A container of the image (`buildah from`), removed when the test ends. */
export class Container {
  readonly #name: string
  readonly #image: BuiltImage
  /** `buildah run` options: the environment and user it was started with, which `exec` reuses. */
  #runOptions: readonly string[] = []
  /** What `start` ran in CMD's place, if anything. */
  #args: readonly string[] | undefined
  #main: Started | undefined

  private constructor (name: string, image: BuiltImage) {
    this.#name = name
    this.#image = image
  }

  /** `hosts`: names the container resolves, as Compose's service names (all on this machine's network here). */
  static create (t: Teardown, image: BuiltImage, hosts: Readonly<Record<string, string>> = {}): Container {
    const addHosts = Object.entries(hosts).map(([name, address]) => `--add-host=${name}:${address}`)
    const container = new Container(execFileSync('buildah', ['from', '--pull=never', ...addHosts, image.tag], { encoding: 'utf8' }).trim(), image)
    t.after(() => container.#remove())
    return container
  }

  /** `docker run -e … [args]`: the image's ENTRYPOINT and CMD (or `args` in CMD's place), as its USER (or `user`, `uid:gid`), in its WORKDIR. */
  start (env: Readonly<Record<string, string>>, user?: string, args?: readonly string[]): Started {
    this.#args = args
    this.#runOptions = [...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]), ...user === undefined ? [] : ['--user', user]]
    this.#main = new Started(spawn('buildah', ['run', ...ISOLATION, ...this.#runOptions, this.#name, '--', ...this.#command()], { stdio: ['ignore', 'pipe', 'pipe'] }))
    return this.#main
  }

  /** `docker exec`: a command in the container, with the environment and user it was started with. */
  exec (command: readonly string[]): { status: number | null, output: string } {
    const result = spawnSync('buildah', ['run', ...ISOLATION, ...this.#runOptions, this.#name, '--', ...command], { encoding: 'utf8', timeout: 20_000 })
    return { status: result.status, output: result.stdout + result.stderr }
  }

  /** `docker stop`: the image's STOPSIGNAL to the main process; resolves with the container's exit status. */
  async stop (): Promise<number | null> {
    const buildah = this.#started().child
    const exited = once(buildah, 'exit')
    const command = this.#command()
    const main = descendants(buildah.pid ?? 0).find((pid) => isRunning(pid, command))
    if (main === undefined) throw new Error(`the container's ${command.join(' ')} is not running:\n${this.#started().output}`)
    process.kill(main, this.#image.config.StopSignal ?? 'SIGTERM')
    await exited
    return buildah.exitCode
  }

  #command (): string[] {
    return [...this.#image.config.Entrypoint ?? [], ...this.#args ?? this.#image.config.Cmd ?? []]
  }

  #started (): Started {
    if (this.#main === undefined) throw new Error('the container was not started')
    return this.#main
  }

  // Killing buildah alone would leave the container's processes running: kill every process under it.
  async #remove (): Promise<void> {
    const buildah = this.#main?.child
    if (buildah !== undefined && buildah.exitCode === null && buildah.signalCode === null) {
      const exited = once(buildah, 'exit')
      for (const pid of [...descendants(buildah.pid ?? 0), buildah.pid ?? 0]) {
        try { process.kill(pid, 'SIGKILL') } catch { /* it has exited */ }
      }
      await exited
    }
    spawnSync('buildah', ['rm', this.#name], { stdio: 'ignore' })
  }
}

/** Every process under `pid`, nearest first. */
function descendants (pid: number): number[] {
  const found: number[] = []
  for (let level = childPids(pid); level.length > 0; level = level.flatMap(childPids)) found.push(...level)
  return found
}

/** Whether `pid` runs `command`: its argv, with the program named by its path or its name. */
function isRunning (pid: number, command: readonly string[]): boolean {
  try {
    const [program = '', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    // A program that re-executed itself (`supertrace proxy` adds V8's flags) has node flags before its script, and the script's path made absolute.
    const withoutFlags = args.filter((arg) => !arg.startsWith('--'))
    const expected = command.slice(1)
    return basename(program) === command[0] && withoutFlags.length === expected.length &&
      withoutFlags.every((arg, i) => arg === expected[i] || arg.endsWith(`/${expected[i] ?? ''}`))
  } catch {
    return false // it has exited
  }
}

/** Every thread's children: buildah is a Go program, and any of its threads may have started one. */
function childPids (pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number))
  } catch {
    return [] // it has exited
  }
}
