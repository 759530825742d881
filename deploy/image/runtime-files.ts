// The image's run-time files: the compiled proxy and, of node_modules, only the files it loads.
// The package's other dependencies serve the instrumentation (OpenTelemetry is most of their weight) and
// have no place in the proxy's image. node-file-trace follows every import and require from the entry,
// as Node would resolve them; a file it cannot follow stops the build rather than the proxy at run time.
//
//   node deploy/image/runtime-files.ts <out>     (from the project's root, after `tsc`)
import { nodeFileTrace } from '@vercel/nft'
import { cpSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'

const ENTRY = 'dist/cli.js'
const [out] = process.argv.slice(2)
if (out === undefined) {
  process.stderr.write('usage: node deploy/image/runtime-files.ts <out>\n')
  process.exit(64)
}

const { fileList, warnings } = await nodeFileTrace([ENTRY], { base: process.cwd() })
// An optional dependency that is not installed is a warning too (ioredis, undici), and so is an asset in a folder
// a package reads whole that is no script (@grpc/grpc-js's proto/ folders hold LICENSE files): both are
// copied or left as Node would find them. Anything else is fatal.
const isHarmless = (message: string): boolean => /^Failed to resolve dependency/.test(message) || /^Failed to parse \S+[/\\][^/\\.]+ as (script|module):/.test(message)
const unresolved = [...warnings].filter((warning) => !isHarmless(warning.message))
if (unresolved.length > 0) {
  process.stderr.write(`cannot trace ${ENTRY}:\n${unresolved.map((warning) => `  ${warning.message}`).join('\n')}\n`)
  process.exit(1)
}
for (const file of fileList) {
  mkdirSync(join(out, dirname(file)), { recursive: true })
  cpSync(file, join(out, file))
}
process.stdout.write(`${fileList.size} files reached from ${ENTRY}, copied to ${out}\n`)
