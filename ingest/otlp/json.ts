/**
 * OTLP/JSON exports to the model, as opentelemetry-proto's specification defines them, which
 * is not plain proto3 JSON: trace and span IDs are hex (a generic proto3 reader takes them
 * for base64 and silently gets other bytes), enums are integers (their names are accepted
 * too), 64-bit integers are decimal strings or numbers, and field names lowerCamelCase, with
 * the snake_case that receivers may accept. Other `bytes` values are base64, as in proto3.
 *
 * `JSON.parse` does the parsing (V8's parser is iterative, so nesting cannot exhaust the
 * stack); the walk then holds every field to its type. Whatever has the wrong shape throws a
 * DecodeError naming the field; a span whose IDs are malformed is left out and counted. The
 * bounds are protobuf.ts's: MAX_ATTRIBUTES, MAX_EVENTS, MAX_VALUE_ITEMS, MAX_VALUE_DEPTH.
 */
import type { AttributeValue, Attributes } from '../../core/record.ts'
import { DecodeError } from '../../core/errors.ts'
import type { DecodedLogs, DecodedTraces, OtlpLogRecord, OtlpResource, OtlpSpan, OtlpSpanEvent } from './model.ts'
import {
  attributeValueOf, bodyTextOf, type IdState, int64FromJson, logIdsProblem, MAX_ATTRIBUTES, MAX_EVENTS, MAX_VALUE_DEPTH,
  MAX_VALUE_ITEMS, microsFromNanos, type PlainValue, putAttribute, Rejections, severityOf, spanIdsProblem, spanKindOf, statusCodeOf,
} from './values.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type JsonObject = Readonly<Record<string, unknown>>

/** A field by its lowerCamelCase name, or its snake_case one; null is proto3 JSON's "the default". */
function field (object: JsonObject, camelCase: string, snakeCase: string): unknown {
  return object[camelCase] ?? object[snakeCase] ?? undefined
}

function wrongType (where: string, expected: string): DecodeError {
  return new DecodeError(`${where} is not ${expected}`)
}

function objectOf (value: unknown, where: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(where, 'an object')
  return value as JsonObject
}

function arrayOf (value: unknown, where: string): readonly unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw wrongType(where, 'an array')
  return value
}

function stringOf (value: unknown, where: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw wrongType(where, 'a string')
  return value
}

/** An enum, an integer or its decimal text, or one of `names` (the enum's value names, by number). */
function enumOf (value: unknown, where: string, names: readonly string[] = []): number {
  if (value === undefined || value === null) return 0
  if (typeof value === 'string' && names.includes(value)) return names.indexOf(value)
  const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number)) throw wrongType(where, 'an integer')
  return number
}

function microsOf (value: unknown, where: string): number {
  if (value === undefined || value === null) return 0
  const micros = typeof value === 'string' || typeof value === 'number' ? microsFromNanos(value) : undefined
  if (micros === undefined) throw wrongType(where, 'nanoseconds (an unsigned integer or its decimal text)')
  return micros
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER']
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR']
const SEVERITY_NAMES = ['SEVERITY_NUMBER_UNSPECIFIED', ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level) => ['', '2', '3', '4'].map((n) => `SEVERITY_NUMBER_${level}${n}`))]

const HEX = /^[0-9a-fA-F]*$/

function idStateOf (value: unknown, hexDigits: number): IdState {
  if (value === undefined || value === null || value === '') return 'absent'
  if (typeof value !== 'string' || !HEX.test(value)) return 'not hex'
  if (value.length !== hexDigits) return 'of the wrong length'
  return /[^0]/.test(value) ? 'ok' : 'all zeros'
}

const DOUBLE_WORDS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY }

/** An AnyValue; `depth` counts the arrays and maps around it. */
function plainValueOf (value: unknown, depth: number): PlainValue {
  const anyValue = objectOf(value, 'an AnyValue')
  if (anyValue === undefined) return null
  let text: unknown
  if ((text = field(anyValue, 'stringValue', 'string_value')) !== undefined) return stringOf(text, 'stringValue')
  if ((text = field(anyValue, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof text !== 'boolean') throw wrongType('boolValue', 'a boolean')
    return text
  }
  if ((text = field(anyValue, 'intValue', 'int_value')) !== undefined) {
    const integer = int64FromJson(text)
    if (integer === undefined) throw wrongType('intValue', 'an integer or its decimal text')
    return integer
  }
  if ((text = field(anyValue, 'doubleValue', 'double_value')) !== undefined) {
    const double = typeof text === 'string' ? DOUBLE_WORDS[text] ?? (text.trim() === '' ? Number.NaN : Number(text)) : text
    if (typeof double !== 'number' || (Number.isNaN(double) && text !== 'NaN')) throw wrongType('doubleValue', 'a number')
    return double
  }
  if ((text = field(anyValue, 'bytesValue', 'bytes_value')) !== undefined) return Buffer.from(stringOf(text, 'bytesValue'), 'base64').toString('hex')
  if ((text = field(anyValue, 'arrayValue', 'array_value')) !== undefined) return listOf(text, depth + 1, false)
  if ((text = field(anyValue, 'kvlistValue', 'kvlist_value')) !== undefined) return listOf(text, depth + 1, true)
  return null
}

/** An ArrayValue, or a KeyValueList as a prototype-less object; null past MAX_VALUE_DEPTH. */
function listOf (value: unknown, depth: number, keyed: boolean): PlainValue {
  const list = objectOf(value, keyed ? 'kvlistValue' : 'arrayValue')
  if (depth > MAX_VALUE_DEPTH || list === undefined) return null
  const values = arrayOf(list['values'], keyed ? 'kvlistValue.values' : 'arrayValue.values')
  const count = Math.min(values.length, MAX_VALUE_ITEMS)
  if (!keyed) {
    const items: PlainValue[] = new Array(count)
    for (let i = 0; i < count; i++) items[i] = plainValueOf(values[i], depth)
    return items
  }
  const map: Record<string, PlainValue> = Object.create(null)
  for (let i = 0; i < count; i++) {
    const keyValue = objectOf(values[i], 'a KeyValue') ?? {}
    map[stringOf(keyValue['key'], 'a KeyValue\'s key')] = plainValueOf(keyValue['value'], depth)
  }
  return map
}

/** Attributes (a KeyValue array), the count past MAX_ATTRIBUTES, and their size as wire bytes' stand-in. */
interface ReadAttributes { readonly attributes: Attributes, readonly cut: number, readonly bytes: number }

function attributesOf (value: unknown, where: string): ReadAttributes {
  const keyValues = arrayOf(value, where)
  const attributes: Record<string, AttributeValue> = {}
  let kept = 0
  let bytes = 0
  let read = 0
  for (; read < keyValues.length && kept < MAX_ATTRIBUTES; read++) {
    const keyValue = objectOf(keyValues[read], `${where}[]`) ?? {}
    const key = stringOf(keyValue['key'], `${where}[].key`)
    const attributeValue = attributeValueOf(plainValueOf(keyValue['value'], 0))
    if (attributeValue === undefined) continue
    putAttribute(attributes, key, attributeValue)
    kept++
    bytes += key.length + (typeof attributeValue === 'string' ? attributeValue.length : 8) + VALUE_OVERHEAD
  }
  return { attributes, cut: keyValues.length - read, bytes }
}

/** What a value costs beyond its key and text on the protobuf wire (tags, lengths, the AnyValue): the JSON estimate's fixed share. */
const VALUE_OVERHEAD = 6
/** A span's or log record's IDs, times, kind and status on the protobuf wire. */
const ENTRY_OVERHEAD = 64

function droppedOf (object: JsonObject, where: string): number {
  return enumOf(field(object, 'droppedAttributesCount', 'dropped_attributes_count'), `${where}.droppedAttributesCount`)
}

/**
 * The export's resource entries (`resourceSpans` or `resourceLogs`), each with its scope
 * entries, each entry of those handed to `readEntry` with the resource it shares.
 */
function readExport (text: string, resourceItems: readonly [string, string], scopeItems: readonly [string, string], entries: readonly [string, string], readEntry: (entry: JsonObject, resource: OtlpResource) => void): void {
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (error) {
    throw new DecodeError(`the export is not JSON: ${(error as Error).message}`)
  }
  const request = objectOf(root, 'the export')
  if (request === undefined) throw wrongType('the export', 'an object')
  for (const resourceItem of arrayOf(field(request, ...resourceItems), resourceItems[0])) {
    const item = objectOf(resourceItem, `${resourceItems[0]}[]`) ?? {}
    const resourceObject = objectOf(item['resource'], `${resourceItems[0]}[].resource`)
    const resource: OtlpResource = { attributes: resourceObject === undefined ? {} : attributesOf(resourceObject['attributes'], 'resource.attributes').attributes }
    for (const scopeItem of arrayOf(field(item, ...scopeItems), `${resourceItems[0]}[].${scopeItems[0]}`)) {
      const scope = objectOf(scopeItem, `${scopeItems[0]}[]`) ?? {}
      for (const entry of arrayOf(field(scope, ...entries), `${scopeItems[0]}[].${entries[0]}`)) {
        readEntry(objectOf(entry, `${entries[0]}[]`) ?? {}, resource)
      }
    }
  }
}

function eventOf (value: unknown): { readonly event: OtlpSpanEvent, readonly bytes: number } {
  const object = objectOf(value, 'span.events[]') ?? {}
  const { attributes, cut, bytes } = attributesOf(object['attributes'], 'span.events[].attributes')
  const name = stringOf(object['name'], 'span.events[].name')
  const event: Mutable<OtlpSpanEvent> = { name, timeUs: microsOf(field(object, 'timeUnixNano', 'time_unix_nano'), 'span.events[].timeUnixNano'), attributes }
  const dropped = droppedOf(object, 'span.events[]') + cut
  if (dropped > 0) event.droppedAttributes = dropped
  return { event, bytes: bytes + name.length + VALUE_OVERHEAD * 2 }
}

export function decodeTracesJson (text: string): DecodedTraces {
  const spans: OtlpSpan[] = []
  const rejections = new Rejections()
  readExport(text, ['resourceSpans', 'resource_spans'], ['scopeSpans', 'scope_spans'], ['spans', 'spans'], (object, resource) => {
    const traceId = field(object, 'traceId', 'trace_id')
    const spanId = field(object, 'spanId', 'span_id')
    const parentSpanId = field(object, 'parentSpanId', 'parent_span_id')
    const parentState = idStateOf(parentSpanId, 16)
    const problem = spanIdsProblem(idStateOf(traceId, 32), idStateOf(spanId, 16), parentState)
    if (problem !== undefined) {
      rejections.add(problem)
      return
    }
    const { attributes, cut, bytes } = attributesOf(object['attributes'], 'span.attributes')
    const eventValues = arrayOf(object['events'], 'span.events')
    const events: OtlpSpanEvent[] = []
    let wireBytes = ENTRY_OVERHEAD + bytes
    for (let i = 0; i < eventValues.length && i < MAX_EVENTS; i++) {
      const { event, bytes: eventBytes } = eventOf(eventValues[i])
      events.push(event)
      wireBytes += eventBytes
    }
    const status = objectOf(object['status'], 'span.status') ?? {}
    const code = statusCodeOf(enumOf(status['code'], 'span.status.code', STATUS_CODE_NAMES))
    const message = stringOf(status['message'], 'span.status.message')
    const name = stringOf(object['name'], 'span.name')
    const span: Mutable<OtlpSpan> = {
      traceId: (traceId as string).toLowerCase(),
      spanId: (spanId as string).toLowerCase(),
      name,
      kind: spanKindOf(enumOf(object['kind'], 'span.kind', SPAN_KIND_NAMES)),
      startUs: microsOf(field(object, 'startTimeUnixNano', 'start_time_unix_nano'), 'span.startTimeUnixNano'),
      endUs: microsOf(field(object, 'endTimeUnixNano', 'end_time_unix_nano'), 'span.endTimeUnixNano'),
      status: message === '' ? { code } : { code, message },
      attributes,
      events,
      resource,
      wireBytes: wireBytes + name.length + message.length,
    }
    if (parentState === 'ok') span.parentSpanId = (parentSpanId as string).toLowerCase()
    const droppedAttributes = droppedOf(object, 'span') + cut
    if (droppedAttributes > 0) span.droppedAttributes = droppedAttributes
    const droppedEvents = enumOf(field(object, 'droppedEventsCount', 'dropped_events_count'), 'span.droppedEventsCount') + Math.max(0, eventValues.length - MAX_EVENTS)
    if (droppedEvents > 0) span.droppedEvents = droppedEvents
    spans.push(span)
  })
  return { spans, rejected: rejections.count, rejectedReason: rejections.reason('span') }
}

export function decodeLogsJson (text: string): DecodedLogs {
  const logs: OtlpLogRecord[] = []
  const rejections = new Rejections()
  readExport(text, ['resourceLogs', 'resource_logs'], ['scopeLogs', 'scope_logs'], ['logRecords', 'log_records'], (object, resource) => {
    const traceId = field(object, 'traceId', 'trace_id')
    const spanId = field(object, 'spanId', 'span_id')
    const traceIdState = idStateOf(traceId, 32)
    const spanIdState = idStateOf(spanId, 16)
    const problem = logIdsProblem(traceIdState, spanIdState)
    if (problem !== undefined) {
      rejections.add(problem)
      return
    }
    const { attributes, cut, bytes } = attributesOf(object['attributes'], 'logRecord.attributes')
    const body = bodyTextOf(plainValueOf(object['body'], 0))
    const severityText = stringOf(field(object, 'severityText', 'severity_text'), 'logRecord.severityText')
    const timeUs = microsOf(field(object, 'timeUnixNano', 'time_unix_nano'), 'logRecord.timeUnixNano')
    const log: Mutable<OtlpLogRecord> = {
      timeUs: timeUs !== 0 ? timeUs : microsOf(field(object, 'observedTimeUnixNano', 'observed_time_unix_nano'), 'logRecord.observedTimeUnixNano'),
      severityNumber: severityOf(enumOf(field(object, 'severityNumber', 'severity_number'), 'logRecord.severityNumber', SEVERITY_NAMES)),
      severityText,
      body,
      attributes,
      resource,
      wireBytes: ENTRY_OVERHEAD + bytes + body.length + severityText.length,
    }
    if (traceIdState === 'ok') {
      log.traceId = (traceId as string).toLowerCase()
      if (spanIdState === 'ok') log.spanId = (spanId as string).toLowerCase()
    }
    const eventName = stringOf(field(object, 'eventName', 'event_name'), 'logRecord.eventName')
    if (eventName !== '') log.eventName = eventName
    const droppedAttributes = droppedOf(object, 'logRecord') + cut
    if (droppedAttributes > 0) log.droppedAttributes = droppedAttributes
    logs.push(log)
  })
  return { logs, rejected: rejections.count, rejectedReason: rejections.reason('log record') }
}
