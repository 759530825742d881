/**
 * The one place where the recent-failures pages ask whether a request comes from a
 * superuser. The superuser lookup is being rebuilt; switching these pages to it is
 * a change to this function alone.
 */
import type { ProxyContext } from './context.ts'
import { sessionIdFrom } from './superuser.ts'

/** True only on a clear yes; no cookie, an unknown session or a failed lookup all mean no. */
export async function isSuperuserRequest (context: ProxyContext, cookieHeader: string | undefined, requestId: string): Promise<boolean> {
  const sessionId = sessionIdFrom(cookieHeader, context.config.sessionCookie)
  if (sessionId === undefined) return false
  try {
    return await context.superusers.isSuperuser(sessionId)
  } catch (err) {
    context.logger.error('the superuser lookup failed; the request goes to the app', err, requestId)
    return false
  }
}
