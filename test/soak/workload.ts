/**
 * The load: `clients` clients at once, each taking the mix in turn at a steady pace
 * (together `ratePerSecond` operations a second), each operation carrying a token
 * of its own. Keep-alive connections are shared as a browser's are, so a response
 * that strayed onto the wrong connection would reach another client's request.
 */
import { Agent } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { PATHS } from './bodies.ts'
import { echoOverWebSocket, httpGet, type EchoOutcome, type HttpOutcome } from './client.ts'

export const KINDS = ['200', 'anonymous 500', 'superuser 500', 'websocket'] as const
export type Kind = typeof KINDS[number]

/** Ten operations: half 200s, a fifth each anonymous and superuser 500s, a tenth WebSockets. */
const MIX: readonly Kind[] = ['200', 'anonymous 500', '200', 'superuser 500', '200', 'websocket', '200', 'anonymous 500', '200', 'superuser 500']

/** Who the client is: no cookie, a session that is not a superuser's, or the superuser's session. */
export type Visitor = 'no cookie' | 'visitor session' | 'superuser session'

/**
 * The longest any operation may take before it counts as a hang. The slowest
 * legitimate one waits out a paused app (2 s), then a Redis timeout (250 ms) and
 * the record wait (SUPERTRACE_TRACE_WAIT_MS, 1 s); 15 s leaves room for a busy machine.
 */
export const DEADLINE_MS = 15_000

/** Messages per WebSocket conversation. */
const ECHOES = 3

/** What one operation asked and what its client saw: an HTTP outcome, or a WebSocket's. */
export type Operation = {
  readonly visitor: Visitor
  readonly token: string
  /** Milliseconds since the run began. */
  readonly startedAt: number
  readonly endedAt: number
} & Performed

type Performed =
  | { readonly kind: Exclude<Kind, 'websocket'>, readonly outcome: HttpOutcome }
  | { readonly kind: 'websocket', readonly outcome: EchoOutcome }

export interface WorkloadOptions {
  readonly proxyUrl: string
  readonly superuserCookie: string
  readonly visitorCookie: string
  readonly clients: number
  readonly ratePerSecond: number
  /** Milliseconds since the run began after which no operation starts. */
  readonly untilMs: number
  readonly now: () => number
  /** Set when the run must stop early (a fault could not be injected). */
  readonly signal: AbortSignal
}

/** A token unique in the run, short and plain (test/soak/bodies.ts). */
function tokenFor (runId: string, client: number, sequence: number): string {
  return `soak-${runId}-c${client}-${sequence}`
}

/** Runs the clients until `untilMs`; `onDone` gets every operation as it completes. */
export async function runWorkload (options: WorkloadOptions, onDone: (operation: Operation) => void): Promise<void> {
  // fifo: every connection is reused in turn, so none sits idle until the proxy's keep-alive timeout (5 s) and
  // a reset on a reused connection cannot be the client's own race with that timeout: it is the proxy's doing.
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients, scheduling: 'fifo' })
  const runId = Date.now().toString(36)
  const periodMs = (1000 * options.clients) / options.ratePerSecond
  try {
    await Promise.all(Array.from({ length: options.clients }, async (_, client) => {
      // Clients start spread over one period, so that they do not fire together.
      let nextAt = options.now() + (periodMs * client) / options.clients
      for (let sequence = 0; ; sequence++) {
        const wait = nextAt - options.now()
        if (wait > 0) await sleep(wait)
        if (options.now() >= options.untilMs || options.signal.aborted) return
        nextAt += periodMs
        const kind = MIX[(sequence + client) % MIX.length] as Kind
        // Each round of the mix changes who asks, so each kind is seen by every visitor that matters to it.
        const visitor = visitorFor(kind, Math.floor(sequence / MIX.length))
        const token = tokenFor(runId, client, sequence)
        const startedAt = options.now()
        const performed = await perform(options, agent, kind, visitor, token)
        onDone({ ...performed, visitor, token, startedAt, endedAt: options.now() })
      }
    }))
  } finally {
    agent.destroy()
  }
}

function visitorFor (kind: Kind, round: number): Visitor {
  switch (kind) {
    case 'superuser 500': return 'superuser session'
    case 'anonymous 500': return round % 2 === 0 ? 'no cookie' : 'visitor session'
    case 'websocket': return 'no cookie' // Node's WebSocket, like a browser's, sets no headers of its own choosing
    default: return (['no cookie', 'visitor session', 'superuser session'] as const)[round % 3] as Visitor
  }
}

async function perform (options: WorkloadOptions, agent: Agent, kind: Kind, visitor: Visitor, token: string): Promise<Performed> {
  const cookie = visitor === 'superuser session' ? options.superuserCookie : visitor === 'visitor session' ? options.visitorCookie : undefined
  const headers = { accept: 'text/html', ...(cookie === undefined ? {} : { cookie }) }
  switch (kind) {
    case '200': return { kind, outcome: await httpGet(`${options.proxyUrl}${PATHS.ok(token)}`, headers, agent, DEADLINE_MS) }
    case 'anonymous 500':
    case 'superuser 500': return { kind, outcome: await httpGet(`${options.proxyUrl}${PATHS.fail(token)}`, headers, agent, DEADLINE_MS) }
    case 'websocket': {
      const messages = Array.from({ length: ECHOES }, (_, i) => `${token}:${i + 1}`)
      return { kind, outcome: await echoOverWebSocket(`${options.proxyUrl.replace(/^http/, 'ws')}${PATHS.echo(token)}`, messages, DEADLINE_MS) }
    }
  }
}
