/**
 * Local variables of the failing frames (SUPERTRACE_CAPTURE_LOCALS, off by default),
 * captured with node:inspector the way Sentry's LocalVariables integration does:
 * the debugger pauses on every thrown exception, and while it is paused the local
 * scopes of the innermost app frames are read with `Runtime.getProperties`, then
 * execution resumes at once. An in-thread session answers synchronously, so the
 * pause lasts only as long as the reads.
 *
 * Unlike Sentry (which matches an LRU of captures to the event by a hash of the
 * frames), the captured values are attached to the exception object itself under a
 * symbol, so the record finds them by identity and they are collected with it.
 *
 * Bounded: only exceptions thrown while a request is being handled, at most
 * `maxPerSecond` captures and `maxPausesPerSecond` pauses a second (beyond either,
 * pausing is switched off until the next second), LIMITS.localsFrames frames, LIMITS.localsPerFrame variables each,
 * one level of properties (V8's object preview) and LIMITS.localValueChars characters
 * per value, redacted by the same rules as everything else. Values thrown that are
 * not objects (a string) carry no locals.
 */
import { Session, url as inspectorUrl } from 'node:inspector'
import type { Debugger, Runtime } from 'node:inspector'
import { cutText, frameOrigin, REDACTED, type LocalVariable } from '../../core/record.ts'
import type { Redactor } from '../../core/redact.ts'
import type { Logger } from '../../core/log.ts'
import { positionKey, type LocalsByPosition } from '../record/frames.ts'
import { LIMITS } from '../record/limits.ts'

const kLocals = Symbol.for('supertrace.locals')
/** Runs on the exception while the debugger is paused; a frozen exception simply keeps no locals. */
const ATTACH = `function (captured) { try { Object.defineProperty(this, Symbol.for('supertrace.locals'), { value: captured, configurable: true }) } catch {} }`

type CapturedFrames = ReadonlyArray<readonly [string, readonly LocalVariable[]]>

export interface LocalsCaptureOptions {
  readonly redactor: Redactor
  /** Whether the code that threw is handling a request: other exceptions are let go at once. */
  readonly isInRequest: () => boolean
  /** Exceptions whose locals are read, per second. */
  readonly maxPerSecond: number
  /** Pauses of any kind (most find no request and resume at once), per second. */
  readonly maxPausesPerSecond: number
  readonly logger: Logger
}

/** The locals attached to a thrown value, by frame position; undefined when none were captured. */
export function localsOf (value: unknown): LocalsByPosition | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  let captured: unknown
  try {
    captured = (value as { [kLocals]?: unknown })[kLocals]
  } catch {
    return undefined
  }
  return Array.isArray(captured) ? new Map(captured as CapturedFrames) : undefined
}

/** Starts capturing; returns a function that stops it. Does nothing (and says so) when a debugger is already attached. */
export function startLocalsCapture (options: LocalsCaptureOptions): () => void {
  if (inspectorUrl() !== undefined) {
    options.logger.warn('SUPERTRACE_CAPTURE_LOCALS is ignored: a debugger is attached to this process (--inspect), and pausing on exceptions would get in its way')
    return () => {}
  }
  const session = new Session()
  session.connect()
  // Frames name their script by ID; V8 reports every script's URL once, including those parsed before `Debugger.enable`.
  const scriptUrls = new Map<string, string>()
  session.on('Debugger.scriptParsed', ({ params }) => { if (params.url !== '') scriptUrls.set(params.scriptId, params.url) })

  let capturedThisSecond = 0
  let pausesThisSecond = 0
  let windowStart = 0
  let resumeTimer: NodeJS.Timeout | undefined
  const setPausing = (on: boolean): void => {
    session.post('Debugger.setPauseOnExceptions', { state: on ? 'all' : 'none' })
  }
  const pauseUntilNextSecond = (now: number): void => {
    setPausing(false)
    resumeTimer = setTimeout(() => setPausing(true), 1000 - (now - windowStart)).unref()
  }

  session.on('Debugger.paused', ({ params }) => {
    try {
      if (params.reason !== 'exception' && params.reason !== 'promiseRejection') return
      const now = Date.now()
      if (now - windowStart >= 1000) {
        windowStart = now
        capturedThisSecond = 0
        pausesThisSecond = 0
      }
      // Every pause costs (about 0.15 ms, see docs/record.md), even one that captures nothing: both are bounded.
      if (++pausesThisSecond > options.maxPausesPerSecond) return pauseUntilNextSecond(now)
      const exception = params.data as Runtime.RemoteObject | undefined
      if (exception?.objectId === undefined || !options.isInRequest()) return
      if (++capturedThisSecond > options.maxPerSecond) return pauseUntilNextSecond(now)
      const captured = captureFrames(session, params.callFrames, scriptUrls, options.redactor)
      if (captured.length > 0) {
        session.post('Runtime.callFunctionOn', { objectId: exception.objectId, functionDeclaration: ATTACH, arguments: [{ value: captured }], silent: true })
      }
    } catch (err) {
      options.logger.error('local variables could not be captured', err)
    } finally {
      session.post('Debugger.resume')
    }
  })
  session.post('Debugger.enable')
  setPausing(true)
  return () => {
    clearTimeout(resumeTimer)
    // Disconnecting alone leaves V8 pausing on exceptions while any other session (the app's own) has the debugger enabled.
    setPausing(false)
    session.disconnect()
  }
}

function captureFrames (session: Session, callFrames: readonly Debugger.CallFrame[], scriptUrls: ReadonlyMap<string, string>, redactor: Redactor): Array<[string, LocalVariable[]]> {
  const captured: Array<[string, LocalVariable[]]> = []
  for (const frame of callFrames) {
    if (captured.length >= LIMITS.localsFrames) break
    const url = scriptUrls.get(frame.location.scriptId) ?? frame.url
    if (url === '' || frameOrigin(url) !== 'app') continue
    const scope = frame.scopeChain.find((s) => s.type === 'local')
    if (scope?.object.objectId === undefined) continue
    captured.push([positionKey(url, frame.location.lineNumber + 1), readScope(session, scope.object.objectId, redactor)])
  }
  return captured
}

function readScope (session: Session, objectId: string, redactor: Redactor): LocalVariable[] {
  let properties: Runtime.PropertyDescriptor[] = []
  // In-thread, `post` calls back before it returns.
  session.post('Runtime.getProperties', { objectId, ownProperties: true, generatePreview: true }, (err, result) => {
    if (err === null && result !== undefined) properties = result.result
  })
  return properties.slice(0, LIMITS.localsPerFrame).map((property) => ({
    name: property.name,
    value: redactor.isSensitiveName(property.name) ? REDACTED : cutValue(formatValue(property.value, redactor)),
  }))
}

function cutValue (text: string): string {
  return cutText(text, LIMITS.localValueChars)
}

function formatValue (value: Runtime.RemoteObject | undefined, redactor: Redactor): string {
  if (value === undefined) return 'undefined'
  switch (value.type) {
    case 'undefined': return 'undefined'
    case 'string': return JSON.stringify(redactor.text(String(value.value)))
    case 'function': return '[Function]'
    case 'object':
      if (value.subtype === 'null') return 'null'
      return value.preview === undefined ? redactor.text(value.description ?? 'Object') : formatPreview(value.preview, redactor)
    default: return redactor.text(value.description ?? String(value.value))
  }
}

/** One level of properties, as V8 previews them: `{ id: 42, password: ******** }`, `[1, 2, 3]`. */
function formatPreview (preview: Runtime.ObjectPreview, redactor: Redactor): string {
  const isArray = preview.subtype === 'array' || preview.subtype === 'typedarray'
  const items = (preview.properties ?? []).map((property) => {
    const shown = redactor.isSensitiveName(property.name)
      ? REDACTED
      : property.type === 'string' ? JSON.stringify(redactor.text(property.value ?? '')) : redactor.text(property.value ?? property.type)
    return isArray ? shown : `${property.name}: ${shown}`
  })
  if (preview.overflow) items.push('…')
  const prefix = preview.description !== undefined && preview.description !== 'Object' && !isArray ? `${redactor.text(preview.description)} ` : ''
  return isArray ? `[${items.join(', ')}]` : `${prefix}{ ${items.join(', ')} }`
}
