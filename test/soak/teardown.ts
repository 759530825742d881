/** The clean-ups of a soak run outside node:test: what a TestContext's `after` hooks would do, run on demand. */
import type { Teardown } from '../helpers/processes.ts'

export class TeardownList implements Teardown {
  readonly #steps: Array<() => unknown> = []

  after (fn: () => unknown): void {
    this.#steps.push(fn)
  }

  /** Runs every step, the last registered first; one that fails does not stop the others. */
  async run (): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step()
      } catch {}
    }
  }
}
