/**
 * `npx supertrace proxy` (and `npm exec`, `npm run`) starts the proxy through a shell,
 * `sh -c supertrace proxy`. A SIGTERM to npm reaches that shell, which dies of it
 * without passing it on: the proxy would go on serving, re-parented to PID 1, on a port
 * nobody can get back. So, when npm started it, the proxy watches its parent and, once it
 * is gone, stops as on SIGTERM. Not otherwise: a proxy left running on purpose (`nohup`,
 * `setsid`) outlives its shell, and the image's runs as PID 1 with no parent to lose.
 */

/** How often the parent is looked at: a second's wait for a stop nobody is timing is enough. */
const WATCH_MS = 1000

/** Calls `onGone` once, when the parent npm started the proxy under is gone. */
export function whenNpmParentEnds (env: NodeJS.ProcessEnv, onGone: () => void): void {
  // npm sets npm_lifecycle_event for everything it runs: `npx` for exec, the script's name for run.
  if (env.npm_lifecycle_event === undefined) return
  const parent = process.ppid
  // Unref'd: the watch never keeps a stopped proxy alive.
  const watch = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(watch)
    onGone()
  }, WATCH_MS).unref()
}
