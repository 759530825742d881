/** The tests' one way to wait for a condition: poll it, and fail naming what never came. */
import { setTimeout as sleep } from 'node:timers/promises'

/** Polls `check` every 20 ms until it holds; throws naming `what` after `ms`, and at once what `check` throws. */
export async function waitUntil (what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${ms / 1000} s waiting: ${what}`)
    await sleep(20)
  }
}
