/**
 * The app gave no response the proxy could relay: it refused the connection, closed
 * it, or was slower than a SUPERTRACE_UPSTREAM_*_TIMEOUT_MS setting allows. Everyone
 * gets a 502 or 504 with the request ID, as nginx answers (docs/design.md#upstream-failures);
 * a superuser's answer is superuser/upstream-failure-answer.ts.
 */
import type { ServerResponse } from 'node:http'
import { UpstreamError, UpstreamTimeoutError } from '../../core/errors.ts'
import { REQUEST_ID_HEADER } from '../../core/protocol.ts'
import { proxySettings, type ProxyConfig } from '../config.ts'
import type { UpstreamFailureView } from '../debug-page/report.ts'
import { sendPlain } from './plain-response.ts'

export interface UpstreamFailure {
  /** What the client gets when the response has not begun. */
  readonly status: 502 | 504
  /** What is logged (with the engine's error as its cause). */
  readonly error: UpstreamError | UpstreamTimeoutError
  /** Could the app have received the request, and so have stored a record for it? */
  readonly mayHaveReachedApp: boolean
  readonly view: UpstreamFailureView
}

type TimeoutSetting = 'upstreamConnectTimeoutMs' | 'upstreamTimeoutMs' | 'upstreamBodyTimeoutMs'
type Kind = readonly [status: 502 | 504, setting: TimeoutSetting | null, mayHaveReachedApp: boolean, explanation: string]

/** By the code undici or Node gives the failure; anything else is a connection the app broke off. */
const KINDS: Readonly<Record<string, Kind>> = {
  UND_ERR_CONNECT_TIMEOUT: [504, 'upstreamConnectTimeoutMs', false, 'Connecting to the app took longer than the connect timeout allows.'],
  UND_ERR_HEADERS_TIMEOUT: [504, 'upstreamTimeoutMs', true, 'The app did not send the response\'s headers within the upstream timeout.'],
  UND_ERR_BODY_TIMEOUT: [504, 'upstreamBodyTimeoutMs', true, 'The app paused its response body for longer than the body timeout allows.'],
  ECONNREFUSED: [502, null, false, 'The app refused the connection: nothing listens at the upstream address (is the app up?).'],
  ENOTFOUND: [502, null, false, 'The upstream host name does not resolve.'],
  EHOSTUNREACH: [502, null, false, 'The upstream host cannot be reached.'],
  ENETUNREACH: [502, null, false, 'The upstream network cannot be reached.'],
}
const BROKEN_OFF: Kind = [502, null, true, 'The app closed the connection before it sent a response (did the process crash or restart?).']

/** How far the app's response got before it failed, once it had begun. */
export interface ResponseProgress {
  readonly status: number
  /** Body bytes received from the app. */
  readonly bodyBytes: number
  /** Its Content-Length; -1 when it had none (a chunked body). */
  readonly contentLength: number
}

/** A connection broken off mid-response: what the app had sent, which the client got too. */
function brokenOffMidResponse ({ status, bodyBytes, contentLength }: ResponseProgress): Kind {
  const body = bodyBytes === 0 ? 'none of its body' : `${bodyBytes} byte${bodyBytes === 1 ? '' : 's'} of its body`
  const framing = contentLength === -1 ? 'chunked, before the last chunk' : `Content-Length: ${contentLength}`
  return [502, null, true, `The app closed the connection after it sent the ${status}'s headers and ${body} (${framing}).`]
}

/** `begun`: how far the response got, when the failure came after it began. */
export function describeUpstreamFailure (cause: Error, config: ProxyConfig, request: string, begun?: ResponseProgress): UpstreamFailure {
  const code = codeOf(cause)
  const [status, settingKey, mayHaveReachedApp, explanation] = (code === undefined ? undefined : KINDS[code]) ?? (begun === undefined ? BROKEN_OFF : brokenOffMidResponse(begun))
  const setting = settingKey === null ? undefined : `${proxySettings[settingKey].env}=${config[settingKey]}`
  const error = setting === undefined
    ? new UpstreamError(`${request}: ${explanation}`, { cause })
    : new UpstreamTimeoutError(`${request}: ${explanation} (${setting})`, setting, { cause })
  return {
    status,
    error,
    mayHaveReachedApp,
    view: {
      status,
      explanation,
      code: error.code,
      cause: `${code ?? cause.name}: ${cause.message}`,
      upstream: config.upstream.origin,
      ...(setting === undefined ? {} : { setting }),
    },
  }
}

/** undici's `code`, or a socket error's; Node's happy-eyeballs connect reports an AggregateError of them. */
function codeOf (err: Error): string | undefined {
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') return code
  const first: unknown = err instanceof AggregateError ? err.errors[0] : undefined
  return first instanceof Error ? codeOf(first) : undefined
}

/** The plain 502 or 504 everyone who is not a superuser gets. */
export function sendFailure (res: ServerResponse, requestId: string, failure: UpstreamFailure): void {
  sendPlain(res, failure.status, failure.status === 504 ? 'Gateway Timeout\n' : 'Bad Gateway\n', { [REQUEST_ID_HEADER]: requestId })
}
