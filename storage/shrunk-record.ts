/**
 * The smaller forms of a record, for when the full one does not fit the Redis budget
 * (storage/record-budget.ts): a shrunk record keeps the failing exception's frames and the
 * request, and leaves out what is large and the same from one failure to the next
 * (source lines, locals, causes, the environment, most spans, the stacks in span events); a repeat keeps only the
 * request line and status and points at an earlier full record.
 */
import type { Attributes, RecordedException, RepeatRecord, TraceRecord } from '../core/record.ts'

/** Spans a shrunk record keeps, in start order (the root first). */
const SHRUNK_SPANS = 20
const SHRUNK_FRAMES = 20
const SHRUNK_STACK_CHARS = 2048
const REPEAT_URL_CHARS = 512
const REPEAT_MESSAGE_CHARS = 512

export function shrinkRecord (record: TraceRecord): TraceRecord {
  const truncated = new Set(record.truncated)
  const first = record.exceptions[0]
  const exceptions = first === undefined ? [] : [shrinkException(first)]
  if (record.exceptions.length > 1) truncated.add('exceptions')
  if (first !== undefined) truncated.add('exceptions[0].frames')
  if (record.environment.length > 0) truncated.add('environment')
  if (Object.keys(record.resource).length > 0) truncated.add('resource')
  if (record.spans.length > 0) truncated.add('spans')
  const { body, ...request } = record.request
  if (body !== undefined) truncated.add('request.body')
  return {
    ...record,
    request,
    resource: {},
    environment: [],
    exceptions,
    // An exception event carries the whole stack again: the exception above has it.
    spans: record.spans.slice(0, SHRUNK_SPANS).map((span) => ({ ...span, events: span.events.map(({ attributes, ...event }) => ({ ...event, attributes: withoutStack(attributes) })) })),
    droppedSpans: record.droppedSpans + Math.max(0, record.spans.length - SHRUNK_SPANS),
    truncated: [...truncated],
  }
}

function withoutStack (attributes: Attributes): Attributes {
  if (!('exception.stacktrace' in attributes)) return attributes
  const { 'exception.stacktrace': stack, ...rest } = attributes
  return rest
}

function shrinkException (exception: RecordedException): RecordedException {
  const { cause, causeKind, errors, suppressed, ...rest } = exception
  return {
    ...rest,
    stack: exception.stack.length > SHRUNK_STACK_CHARS ? `${exception.stack.slice(0, SHRUNK_STACK_CHARS)}… [${exception.stack.length - SHRUNK_STACK_CHARS} more characters]` : exception.stack,
    frames: exception.frames.slice(0, SHRUNK_FRAMES).map(({ context, locals, ...frame }) => frame),
  }
}

export function repeatRecord (record: TraceRecord, sameAs: string): RepeatRecord {
  const { method, url, route } = record.request
  const exception = record.exceptions[0]
  return {
    v: record.v,
    requestId: record.requestId,
    sameAs,
    time: record.time,
    request: { method, url: cut(url, REPEAT_URL_CHARS), ...(route === undefined ? {} : { route }) },
    response: record.response,
    // Its own message: it often names what differs (an order number, a user), which the repeated record's does not.
    ...(exception === undefined ? {} : { exception: { type: exception.type, message: cut(exception.message, REPEAT_MESSAGE_CHARS) } }),
  }
}

function cut (text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
