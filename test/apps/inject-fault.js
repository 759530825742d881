// Loaded into the proxy with NODE_OPTIONS=--import=… by the unhandled-error tests: on
// SIGUSR2 it raises, outside any handler of the proxy, the fault SUPERTRACE_TEST_FAULT names.
import { EventEmitter } from 'node:events'

process.on('SIGUSR2', () => {
  if (process.env.SUPERTRACE_TEST_FAULT === 'reset-socket') {
    // An 'error' event nobody listens to, as a socket reset by its peer emits it.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
    new EventEmitter().emit('error', reset)
  } else {
    // A rejected promise nobody awaits, from a bug.
    void Promise.reject(new TypeError('Cannot read properties of undefined (reading \'total\')'))
  }
})
