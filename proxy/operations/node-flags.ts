/**
 * The V8 settings `supertrace proxy` runs with unless told otherwise. A sidecar's memory is
 * paid in every pod, and V8's young generation is most of what a running proxy adds to its
 * code: it grows to 3 × 16 MB semi-spaces under load (64 MB at 8 MB), where the proxy keeps
 * almost nothing alive between requests. Capped at 1 MB, RSS under the bench's small-200 load
 * fell from about 128 to 99 MB, and on 64 KiB bodies from 177 to 104 MB, for 3–14% more CPU per
 * request; 2 and 4 MB saved no CPU that two A/B runs agreed on (bench/node-flags.ts;
 * docs/benchmarks.md, "Memory at rest and under load").
 *
 * A flag given to node, or in NODE_OPTIONS (`NODE_OPTIONS=--max-semi-space-size=16`), wins:
 * only the flags the user did not set are added.
 */
const DEFAULT_NODE_FLAGS: ReadonlyArray<{ readonly name: string, readonly value: string }> = [
  { name: '--max-semi-space-size', value: '1' },
]

/** The default flags that neither node's own arguments nor NODE_OPTIONS set, as `--name=value`. */
export function missingNodeFlags (execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)]
  // V8 reads `--max_semi_space_size` as the same flag.
  const isGiven = (name: string): boolean => given.some((arg) => arg.replaceAll('_', '-').split('=')[0] === name)
  return DEFAULT_NODE_FLAGS.filter((flag) => !isGiven(flag.name)).map((flag) => `${flag.name}=${flag.value}`)
}

/**
 * Replaces this process by the same command with the default flags added, when any is
 * missing (V8 reads them only when it starts); the process keeps its ID, its
 * stdio and its place under a container runtime. Returns when nothing is missing.
 */
export function execWithDefaultNodeFlags (): void {
  const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS)
  if (missing.length === 0 || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)], process.env)
}
