/**
 * The soak's rules, checked on every operation as it completes. What a fault
 * explains (a 502 while the app is down, the app's own 500 for a superuser while
 * Redis is) is counted, not excused in general: outside a fault's window the same
 * outcome is a violation.
 */
import { isRequestId } from '../../core/protocol.ts'
import { errorBody, okBody, TOKEN_PATTERN } from './bodies.ts'
import type { EchoOutcome, HttpOutcome } from './client.ts'
import { APP_FAULTS, REDIS_FAULTS, type FaultLog } from './faults.ts'
import { KINDS, type Kind, type Operation } from './workload.ts'

export const RULES = {
  hang: 'every request gets a complete answer within the deadline',
  lost: 'no request fails (refused, reset, 502, WebSocket cut) unless the app was down or paused',
  wrongResponse: 'every response is its own request\'s: the token and request ID it names are its own',
  duplicate: 'no request ID is given to two responses',
  leakedPage: 'no one but the superuser ever gets a debug page',
  othersPage: 'a superuser\'s debug page is for his own request',
  unexplainedFallback: 'a superuser gets the app\'s own 500 only during a fault, or with ST_REDIS logged for that request',
  recovery: 'after each fault, the superuser gets debug pages again',
  memory: 'the proxy\'s memory stays flat after warm-up',
} as const
export type Rule = keyof typeof RULES

export interface Violation {
  readonly rule: Rule
  /** Milliseconds since the run began. */
  readonly at: number
  readonly detail: string
}

/** Found only on supertrace's HTML debug page (proxy/debug-page/html.ts), never in the app's 500. */
const DEBUG_PAGE_MARKERS = ['<script type="application/json" id="page-data">', '<dt>Request ID</dt>']
const PAGE_REQUEST_ID = /<dt>Request ID<\/dt><dd><code>([0-9a-f]{32})<\/code>/

export function isDebugPage (body: string): boolean {
  return DEBUG_PAGE_MARKERS.some((marker) => body.includes(marker))
}

function excerpt (text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)
}

export class SoakChecks {
  readonly violations: Violation[] = []
  /** What is allowed but worth a look: a fallback the proxy explained in its log. */
  readonly notes: Array<{ readonly at: number, readonly text: string }> = []
  /** Per kind, how many operations ended each way. */
  readonly tallies = new Map<Kind, Map<string, number>>(KINDS.map((kind) => [kind, new Map()]))
  readonly #faults: FaultLog
  readonly #requestIds = new Set<string>()
  /** Superusers' 500s that came back as the app's own with no fault under way: judged at the end against the proxy's log. */
  readonly #fallbacks: Array<{ readonly operation: Operation, readonly requestId: string }> = []
  /** When each superuser debug page was asked for, for the recovery rule. */
  readonly #debugPagesAt: number[] = []
  readonly #onViolation: (violation: Violation) => void

  constructor (faults: FaultLog, onViolation: (violation: Violation) => void = () => {}) {
    this.#faults = faults
    this.#onViolation = onViolation
  }

  judge (operation: Operation): void {
    const label = operation.kind === 'websocket'
      ? this.#judgeEcho(operation, operation.outcome)
      : this.#judgeHttp(operation, operation.outcome)
    if (label !== null) this.#count(operation.kind, label)
  }

  /** The rules that need the whole run: the fallbacks against the proxy's log, recovery after each fault, memory. */
  finish (proxyLog: string, endedAt: number, memoryProblem: string | null): void {
    const redisErrorLines = proxyLog.split('\n').filter((line) => line.includes('ST_REDIS'))
    for (const { operation, requestId } of this.#fallbacks) {
      const logged = redisErrorLines.find((line) => line.includes(requestId))
      if (logged !== undefined) {
        this.#count(operation.kind, 'app\'s own 500 (Redis slow: ST_REDIS logged)')
        this.notes.push({ at: operation.endedAt, text: `the superuser's ${operation.token} fell back to the app's own 500 outside a fault; the proxy logged: ${logged.trim()}` })
      } else {
        this.#count(operation.kind, 'app\'s own 500 (no fault, nothing logged)')
        this.#violate('unexplainedFallback', operation.endedAt, `${requestId} (${operation.token})`)
      }
    }
    const faults = this.#faults.faults
    faults.forEach((fault, i) => {
      const from = this.#faults.excusedUntil(fault)
      const to = faults[i + 1]?.startedAt ?? endedAt
      if (to - from < 1000) return // too short a calm to ask for a page
      if (!this.#debugPagesAt.some((at) => at >= from && at <= to)) this.#violate('recovery', to, `no debug page between ${(from / 1000).toFixed(1)} s and ${(to / 1000).toFixed(1)} s, after "${fault.kind}"`)
    })
    if (memoryProblem !== null) this.#violate('memory', endedAt, memoryProblem)
  }

  #count (kind: Kind, label: string): void {
    const tally = this.tallies.get(kind) as Map<string, number>
    tally.set(label, (tally.get(label) ?? 0) + 1)
  }

  #violate (rule: Rule, at: number, detail: string): void {
    const violation = { rule, at, detail }
    this.violations.push(violation)
    this.#onViolation(violation)
  }

  #isAppFault (operation: Operation): boolean {
    return this.#faults.overlaps(APP_FAULTS, operation.startedAt, operation.endedAt)
  }

  #judgeEcho (operation: Operation, outcome: EchoOutcome): string {
    switch (outcome.type) {
      case 'echoed': return 'echoed'
      case 'timeout':
        this.#violate('hang', operation.endedAt, `WebSocket ${operation.token}`)
        return 'no answer'
      case 'mismatch':
        this.#violate('wrongResponse', operation.endedAt, `WebSocket ${operation.token} sent ${excerpt(outcome.sent)}, got ${excerpt(outcome.received)}`)
        return 'wrong echo'
      case 'error':
        if (this.#isAppFault(operation)) return 'cut (app fault)'
        this.#violate('lost', operation.endedAt, `WebSocket ${operation.token}: ${outcome.reason}`)
        return 'cut'
    }
  }

  /** The label to count, or null when the count waits for `finish`. */
  #judgeHttp (operation: Operation, outcome: HttpOutcome): string | null {
    const { token } = operation
    if (outcome.type === 'timeout') {
      this.#violate('hang', operation.endedAt, `${operation.kind} ${token}`)
      return 'no answer'
    }
    if (outcome.type === 'error') {
      if (this.#isAppFault(operation)) return `${outcome.reason} (app fault)`
      this.#violate('lost', operation.endedAt, `${operation.kind} ${token}: ${outcome.reason} ${outcome.where}`)
      return outcome.reason
    }
    const requestId = String(outcome.headers['x-request-id'] ?? '')
    if (!isRequestId(requestId)) this.#violate('wrongResponse', operation.endedAt, `${token}: no request ID (${excerpt(requestId)})`)
    else if (this.#requestIds.has(requestId)) this.#violate('duplicate', operation.endedAt, `${requestId} again, for ${token}`)
    else this.#requestIds.add(requestId)

    if (isDebugPage(outcome.body)) return this.#judgeDebugPage(operation, outcome.status, outcome.body, requestId)
    if (outcome.status === 502) {
      if (this.#isAppFault(operation)) return '502 (app fault)'
      this.#violate('lost', operation.endedAt, `${operation.kind} ${token}: 502 ${excerpt(outcome.body)}`)
      return '502'
    }
    const [status, body] = operation.kind === '200' ? [200, okBody(token, requestId)] : [500, errorBody(token, requestId)]
    if (outcome.status !== status || outcome.body !== body) {
      this.#violate('wrongResponse', operation.endedAt, `${operation.kind} ${token} (${requestId}): ${outcome.status} ${excerpt(outcome.body)}`)
      return 'wrong response'
    }
    if (operation.kind !== 'superuser 500') return operation.kind === '200' ? '200' : 'app\'s own 500'
    if (this.#faults.overlaps(REDIS_FAULTS, operation.startedAt, operation.endedAt)) return 'app\'s own 500 (Redis fault)'
    this.#fallbacks.push({ operation, requestId })
    return null
  }

  #judgeDebugPage (operation: Operation, status: number, body: string, requestId: string): string {
    if (operation.visitor !== 'superuser session') {
      this.#violate('leakedPage', operation.endedAt, `${operation.kind} ${operation.token} as ${operation.visitor}: status ${status}`)
      return 'DEBUG PAGE'
    }
    const named = PAGE_REQUEST_ID.exec(body)?.[1]
    const tokens = new Set(body.match(TOKEN_PATTERN) ?? [])
    if (named !== requestId || tokens.size !== 1 || !tokens.has(operation.token)) {
      this.#violate('othersPage', operation.endedAt, `${operation.token} (${requestId}) got the page of ${named ?? 'no request ID'}, naming ${[...tokens].join(', ') || 'no token'}`)
      return 'another request\'s page'
    }
    // A superuser's 502 may one day be a page that explains the upstream error: his own, while the app is down.
    const isExpected = (operation.kind === 'superuser 500' && status === 500) || (status === 502 && this.#isAppFault(operation))
    if (!isExpected) {
      this.#violate('wrongResponse', operation.endedAt, `${operation.kind} ${operation.token}: a debug page with status ${status}`)
      return 'unexpected debug page'
    }
    this.#debugPagesAt.push(operation.startedAt)
    return body.includes('<section id="no-record">') ? `debug page ${status}, record missing` : `debug page ${status}`
  }
}
