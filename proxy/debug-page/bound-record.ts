/**
 * Bounds on what a debug page renders, so that a huge or hostile record cannot make
 * a huge or slow page. `boundRecord` returns a copy of the record, still a valid
 * TraceRecord, with every list cut to a count and every string cut to a length, each
 * cut marked where it happened and named in `truncated`. A character budget over the
 * whole record bounds the total, whatever the counts multiply to.
 */
import { cutMarker, type Attributes, type AttributeValue, type LocalVariable, type Pairs, type RecordedException, type RecordedLog, type RecordedProcess, type RecordedSpan, type SourceLine, type StackFrame, type TraceRecord } from '../../core/record.ts'
import { LIMITS } from '../limits.ts'


/** What one list item (a frame, a span, a header) costs of the budget besides its strings. */
const ITEM_COST = 40

export type Limits = { readonly [K in keyof typeof LIMITS]: number }

class Bounder {
  readonly #limits: Limits
  /** Per place (indices folded: `exceptions[].frames[].locals`): characters cut from its strings, items cut from its lists. */
  readonly #cuts = new Map<string, { characters: number, items: number, note?: string }>()
  #budget = 0
  #budgetName = ''
  #exceptions = 0
  #isSpent = false

  constructor (limits: Limits) {
    this.#limits = limits
  }

  /** What follows spends `budget` characters of its own. */
  section (name: string, budget: number): this {
    this.#budget = budget
    this.#budgetName = name
    this.#isSpent = false
    return this
  }

  text (value: string, max: number, path: string): string {
    const allowed = Math.max(0, Math.min(max, this.#budget))
    if (value.length <= allowed) {
      this.#budget -= value.length
      return value
    }
    if (allowed === 0) return this.#spent(path, value.length === 0 ? '' : '…')
    let end = allowed
    // Do not split a surrogate pair.
    if (end > 0 && /[\uD800-\uDBFF]/.test(value.charAt(end - 1))) end -= 1
    this.#budget -= end
    this.#cut(path, { characters: value.length - end })
    return value.slice(0, end) + cutMarker(value.length - end)
  }

  list<T> (items: readonly T[], max: number, path: string): readonly T[] {
    const affordable = Math.max(0, Math.floor(this.#budget / ITEM_COST))
    const kept = Math.min(items.length, max, affordable)
    this.#budget -= kept * ITEM_COST
    if (kept === items.length) return items
    if (kept === affordable && kept < max) return this.#spent(path, items.slice(0, kept))
    this.#cut(path, { items: items.length - kept })
    return items.slice(0, kept)
  }

  #cut (path: string, cut: { characters?: number, items?: number, note?: string }): void {
    const place = path.replace(/\[\d+\]/g, '[]')
    const sum = this.#cuts.get(place) ?? { characters: 0, items: 0 }
    this.#cuts.set(place, { characters: sum.characters + (cut.characters ?? 0), items: sum.items + (cut.items ?? 0), ...(cut.note === undefined && sum.note === undefined ? {} : { note: cut.note ?? sum.note }) })
  }

  /** One note per place: `exceptions[].message: 120 characters`, `spans: 12 more`. */
  notes (): string[] {
    return [...this.#cuts].map(([place, { characters, items, note }]) => `${place}: ${[note, items > 0 ? `${items} more` : undefined, characters > 0 ? `${characters} characters` : undefined].filter((p) => p !== undefined).join(', ')}`)
  }

  /** The budget ran out: noted once, at the first place it did. */
  #spent<T> (path: string, value: T): T {
    if (!this.#isSpent) this.#cut(path, { note: `this and everything after it in ${this.#budgetName}: the page's size budget for them was spent` })
    this.#isSpent = true
    this.#budget = 0
    return value
  }

  pairs (pairs: Pairs, path: string): Pairs {
    return this.list(pairs, this.#limits.pairs, path).map(([name, value]) => [this.text(name, 256, path), this.text(value, this.#limits.pairValueChars, path)] as const)
  }

  attributes (attributes: Attributes, max: number, path: string): Attributes {
    const entries = Object.entries(attributes)
    const out: Record<string, AttributeValue> = {}
    for (const [name, value] of this.list(entries, max, path)) out[this.text(name, 256, path)] = this.attributeValue(value, path)
    return out
  }

  attributeValue (value: AttributeValue, path: string): AttributeValue {
    if (typeof value === 'string') return this.text(value, this.#limits.attributeChars, path)
    if (!Array.isArray(value)) return value
    return this.list(value, this.#limits.arrayItems, path).map((item) => typeof item === 'string' ? this.text(item, this.#limits.attributeChars, path) : item)
  }

  exception (exception: RecordedException, depth: number, path: string): RecordedException | undefined {
    if (this.#exceptions >= this.#limits.exceptions) {
      this.#cut(path, { note: `not shown (more than ${this.#limits.exceptions} exceptions)` })
      return undefined
    }
    this.#exceptions += 1
    const L = this.#limits
    // What names the exception first, then where it happened; the raw stack last: it repeats the frames.
    const type = this.text(exception.type, 256, `${path}.type`)
    const message = this.text(exception.message, L.message, `${path}.message`)
    const frames = this.list(exception.frames, L.framesPerException, `${path}.frames`).map((f, i) => this.frame(f, `${path}.frames[${i}]`))
    let cause: RecordedException | undefined
    if (exception.cause !== undefined) {
      if (depth + 1 >= L.causeDepth) this.#cut(`${path}.cause`, { note: `the chain is deeper than ${L.causeDepth}` })
      else cause = this.exception(exception.cause, depth + 1, `${path}.cause`)
    }
    const errors = exception.errors?.flatMap((e, i) => this.exception(e, depth + 1, `${path}.errors[${i}]`) ?? [])
    const suppressed = exception.suppressed?.flatMap((e, i) => this.exception(e, depth + 1, `${path}.suppressed[${i}]`) ?? [])
    return {
      type,
      message,
      stack: this.text(exception.stack, L.stack, `${path}.stack`),
      frames,
      ...(exception.spanId === undefined ? {} : { spanId: exception.spanId }),
      ...(cause === undefined ? {} : { cause, ...(exception.causeKind === undefined ? {} : { causeKind: exception.causeKind }) }),
      ...(errors === undefined ? {} : { errors }),
      ...(suppressed === undefined ? {} : { suppressed }),
    }
  }

  frame (frame: StackFrame, path: string): StackFrame {
    const L = this.#limits
    const context = frame.context === undefined
      ? undefined
      : this.list(frame.context, L.contextLines, `${path}.context`).map((s): SourceLine => ({ line: s.line, text: this.text(s.text, L.sourceLineChars, `${path}.context`) }))
    const locals = frame.locals === undefined
      ? undefined
      : this.list(frame.locals, L.localsPerFrame, `${path}.locals`).map((v): LocalVariable => ({ name: this.text(v.name, 256, `${path}.locals`), value: this.text(v.value, L.localValueChars, `${path}.locals`) }))
    return {
      ...(frame.function === undefined ? {} : { function: this.text(frame.function, 512, `${path}.function`) }),
      file: this.text(frame.file, 1024, `${path}.file`),
      line: frame.line,
      ...(frame.column === undefined ? {} : { column: frame.column }),
      origin: frame.origin,
      ...(frame.async === true ? { async: true } : {}),
      ...(context === undefined ? {} : { context }),
      ...(locals === undefined ? {} : { locals }),
    }
  }

  span (span: RecordedSpan, path: string): RecordedSpan {
    const L = this.#limits
    return {
      ...span,
      name: this.text(span.name, 1024, `${path}.name`),
      ...(span.service === undefined ? {} : { service: this.text(span.service, 256, `${path}.service`) }),
      status: span.status.message === undefined ? { code: span.status.code } : { code: span.status.code, message: this.text(span.status.message, L.message, `${path}.status.message`) },
      attributes: this.attributes(span.attributes, L.attributesPerSpan, `${path}.attributes`),
      events: this.list(span.events, L.eventsPerSpan, `${path}.events`).map((e, i) => ({
        name: this.text(e.name, 256, `${path}.events[${i}].name`),
        timeUs: e.timeUs,
        attributes: this.attributes(e.attributes, L.attributesPerSpan, `${path}.events[${i}].attributes`),
      })),
    }
  }

  log (log: RecordedLog, path: string): RecordedLog {
    return {
      timeUs: log.timeUs,
      severity: this.text(log.severity, 64, `${path}.severity`),
      body: this.text(log.body, this.#limits.logBodyChars, `${path}.body`),
      ...(log.spanId === undefined ? {} : { spanId: log.spanId }),
      attributes: this.attributes(log.attributes, this.#limits.attributesPerSpan, `${path}.attributes`),
    }
  }

  /** Process facts, each cut to a length; the ones the record lacks stay absent. */
  process (process: RecordedProcess): RecordedProcess {
    const fact = (name: 'hostname' | 'cwd' | 'commit', max: number): Partial<RecordedProcess> => {
      const value = process[name]
      return value === undefined ? {} : { [name]: this.text(value, max, `process.${name}`) }
    }
    return {
      runtime: this.text(process.runtime, 128, 'process.runtime'),
      ...fact('hostname', 256),
      ...(process.pid === undefined ? {} : { pid: process.pid }),
      ...fact('cwd', 1024),
      ...fact('commit', 128),
    }
  }
}

/** The record cut to `limits`; `truncated` lists the app's cuts and then the page's. */
export function boundRecord (record: TraceRecord, limits: Limits = LIMITS): TraceRecord {
  const b = new Bounder(limits)
  const request = record.request
  b.section('the summary', limits.summaryBudget)
  const service = { name: b.text(record.service.name, 256, 'service.name'), ...(record.service.version === undefined ? {} : { version: b.text(record.service.version, 256, 'service.version') }) }
  const method = b.text(request.method, 32, 'request.method')
  const url = b.text(request.url, limits.urlChars, 'request.url')
  const route = request.route === undefined ? {} : { route: b.text(request.route, 1024, 'request.route') }
  const language = b.text(record.language, 64, 'language')
  const process = b.process(record.process)
  b.section('the exceptions', limits.exceptionsBudget)
  const exceptions = record.exceptions.flatMap((e, i) => b.exception(e, 0, `exceptions[${i}]`) ?? [])
  b.section('the spans', limits.spansBudget)
  const spans = b.list(record.spans, limits.spans, 'spans').map((s, i) => b.span(s, `spans[${i}]`))
  b.section('the request', limits.requestBudget)
  const details = {
    query: b.pairs(request.query, 'request.query'),
    headers: b.pairs(request.headers, 'request.headers'),
    cookies: b.pairs(request.cookies, 'request.cookies'),
    ...(request.body === undefined
      ? {}
      : { body: { ...(request.body.contentType === undefined ? {} : { contentType: b.text(request.body.contentType, 256, 'request.body.contentType') }), text: b.text(request.body.text, limits.bodyChars, 'request.body') } }),
  }
  b.section('the logs', limits.logsBudget)
  const logs = b.list(record.logs, limits.logs, 'logs').map((l, i) => b.log(l, `logs[${i}]`))
  b.section('the environment', limits.environmentBudget)
  const bounded: TraceRecord = {
    v: record.v,
    requestId: record.requestId,
    complete: record.complete,
    service,
    language,
    time: record.time,
    request: { source: request.source, method, url, ...route, ...details },
    response: { status: record.response.status },
    process,
    exceptions,
    spans,
    droppedSpans: record.droppedSpans,
    logs,
    resource: b.attributes(record.resource, limits.pairs, 'resource'),
    environment: b.pairs(record.environment, 'environment'),
    truncated: [],
  }
  b.section('the notes', limits.truncatedNotes * 256)
  const fromApp = b.list(record.truncated, limits.truncatedNotes, 'truncated').map((note) => b.text(note, 256, 'truncated'))
  const cuts = b.notes()
  return { ...bounded, truncated: [...fromApp, ...cuts] }
}
