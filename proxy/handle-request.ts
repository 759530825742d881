/**
 * Every request, top to bottom: a request a proxy must refuse gets its answer here;
 * one under the pages prefix may be a superuser's look at past failures
 * (superuser/past-failures.ts); every other goes to the app with a fresh request ID
 * (= trace ID), and its response comes back through forward/exchange.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ProxyContext } from './context.ts'
import { Exchange } from './forward/exchange.ts'
import { hasBody, refusal, upstreamHeaders } from './forward/headers.ts'
import { sendPlain } from './forward/plain-response.ts'
import { newTraceContext } from './forward/request-id.ts'
import { isPagesUrl, servePastFailures } from './superuser/past-failures.ts'

export function handleRequest (context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  res.on('close', context.metrics.onResponseClose)
  const refused = refusal(req)
  if (refused !== null) {
    res.shouldKeepAlive = false
    sendPlain(res, refused.status, refused.text)
    return
  }
  if (isPagesUrl(req.url ?? '/', context.config.pagesPrefix)) {
    servePastFailures(context, req, res, forward)
    return
  }
  forward(context, req, res)
}

/** The ordinary path: a fresh trace context, and the request upstream. */
function forward (context: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const trace = newTraceContext()
  context.upstream.dispatch({
    path: req.url ?? '/',
    method: req.method ?? 'GET',
    headers: upstreamHeaders(req, trace, context.config),
    body: hasBody(req) ? req : null,
  }, new Exchange(context, req, res, trace.requestId))
}
