/**
 * What the soak app answers, in one place: the app builds its responses here and
 * the checks expect exactly these bytes. Every response names the request's token
 * (sent by the client in the path) and the request ID the app saw (sent by the proxy),
 * so a response that reaches the wrong client, or the wrong request's body, shows.
 */

/** Tokens are short and low in entropy, so that the redactor never takes one for a secret. */
export const TOKEN_PATTERN = /soak-[a-z0-9]+-c\d+-\d+/g

export function okBody (token: string, requestId: string): string {
  return `ok ${token} ${requestId}\n`
}

/** The app's own 500 page: what anyone who is not a superuser must get, byte for byte. */
export function errorBody (token: string, requestId: string): string {
  return `<!doctype html><title>Error</title><h1>Sorry, something went wrong.</h1>\n<p>Reference: ${token} ${requestId}</p>\n`
}

export function failureMessage (token: string): string {
  return `soak failure ${token}`
}

export const PATHS = {
  ok: (token: string) => `/ok/${token}`,
  fail: (token: string) => `/fail/${token}`,
  echo: (token: string) => `/echo/${token}`,
} as const
