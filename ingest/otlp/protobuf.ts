/**
 * OTLP/protobuf exports (`ExportTraceServiceRequest`, `ExportLogsServiceRequest` of
 * opentelemetry-proto) to the model, by a wire reader that reads exactly the fields the
 * model keeps and skips every other field by its wire type, as protobuf requires of
 * unknown fields (links, scopes, flags, trace state, schema URLs, and fields added later).
 *
 * Why hand-written rather than protobufjs or @bufbuild/protobuf with the .proto files: those
 * build a full message object (links, scopes, Long or BigInt times, Uint8Array IDs) that we
 * would then walk again to make the model; protobufjs took ~6.6 ms for a 512-span export
 * (~77k spans/s) before any of that walk, under the receiver's target of 100k spans/s for
 * decoding and assembly together. Reading straight into the model here ran 300k–450k spans/s
 * on a loaded 2-core machine, where protobufjs's decode alone ran 130k–250k (bench/micro/otlp-decode.ts), and puts the bounds a receiver of anyone's bytes needs
 * in one place: every length is checked against its enclosing message, a varint stops at 10
 * bytes, values nest at most MAX_VALUE_DEPTH deep, attributes and events are capped per span,
 * strings decode with U+FFFD for invalid UTF-8. A known field with another wire type than its
 * own is skipped as an unknown one, as protobuf-go does. Whatever cannot be read throws a
 * DecodeError; a span whose IDs are malformed is left out and counted instead.
 */
import type { AttributeValue } from '../../core/record.ts'
import { DecodeError } from '../../core/errors.ts'
import type { DecodedLogs, DecodedTraces, OtlpLogRecord, OtlpResource, OtlpSpan, OtlpSpanEvent } from './model.ts'
import {
  attributeValueOf, bodyTextOf, hexOf, type IdState, int64From, logIdsProblem, MAX_ATTRIBUTES, MAX_EVENTS, MAX_VALUE_DEPTH,
  MAX_VALUE_ITEMS, microsFromNanoHalves, type PlainValue, putAttribute, Rejections, severityOf, spanIdsProblem, spanKindOf, statusCodeOf,
} from './values.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

// Tags as they appear on the wire: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LEN = 2
const WIRE_FIXED32 = 5
const tag = (field: number, wireType: number): number => (field << 3) | wireType

const REQUEST_RESOURCE_ITEMS = tag(1, WIRE_LEN) // resource_spans, resource_logs
const RESOURCE = tag(1, WIRE_LEN) // ResourceSpans.resource, ResourceLogs.resource
const SCOPE_ITEMS = tag(2, WIRE_LEN) // scope_spans, scope_logs
const SCOPE_ENTRIES = tag(2, WIRE_LEN) // ScopeSpans.spans, ScopeLogs.log_records
const RESOURCE_ATTRIBUTE = tag(1, WIRE_LEN)

const SPAN_TRACE_ID = tag(1, WIRE_LEN)
const SPAN_SPAN_ID = tag(2, WIRE_LEN)
const SPAN_PARENT_SPAN_ID = tag(4, WIRE_LEN)
const SPAN_NAME = tag(5, WIRE_LEN)
const SPAN_KIND = tag(6, WIRE_VARINT)
const SPAN_START = tag(7, WIRE_FIXED64)
const SPAN_END = tag(8, WIRE_FIXED64)
const SPAN_ATTRIBUTE = tag(9, WIRE_LEN)
const SPAN_DROPPED_ATTRIBUTES = tag(10, WIRE_VARINT)
const SPAN_EVENT = tag(11, WIRE_LEN)
const SPAN_DROPPED_EVENTS = tag(12, WIRE_VARINT)
const SPAN_STATUS = tag(15, WIRE_LEN)

const EVENT_TIME = tag(1, WIRE_FIXED64)
const EVENT_NAME = tag(2, WIRE_LEN)
const EVENT_ATTRIBUTE = tag(3, WIRE_LEN)
const EVENT_DROPPED_ATTRIBUTES = tag(4, WIRE_VARINT)

const STATUS_MESSAGE = tag(2, WIRE_LEN)
const STATUS_CODE = tag(3, WIRE_VARINT)

const LOG_TIME = tag(1, WIRE_FIXED64)
const LOG_SEVERITY_NUMBER = tag(2, WIRE_VARINT)
const LOG_SEVERITY_TEXT = tag(3, WIRE_LEN)
const LOG_BODY = tag(5, WIRE_LEN)
const LOG_ATTRIBUTE = tag(6, WIRE_LEN)
const LOG_DROPPED_ATTRIBUTES = tag(7, WIRE_VARINT)
const LOG_TRACE_ID = tag(9, WIRE_LEN)
const LOG_SPAN_ID = tag(10, WIRE_LEN)
const LOG_OBSERVED_TIME = tag(11, WIRE_FIXED64)
const LOG_EVENT_NAME = tag(12, WIRE_LEN)

const KEY_VALUE_KEY = tag(1, WIRE_LEN)
const KEY_VALUE_VALUE = tag(2, WIRE_LEN)
const LIST_VALUES = tag(1, WIRE_LEN) // ArrayValue.values, KeyValueList.values

const ANY_STRING = tag(1, WIRE_LEN)
const ANY_BOOL = tag(2, WIRE_VARINT)
const ANY_INT = tag(3, WIRE_VARINT)
const ANY_DOUBLE = tag(4, WIRE_FIXED64)
const ANY_ARRAY = tag(5, WIRE_LEN)
const ANY_KVLIST = tag(6, WIRE_LEN)
const ANY_BYTES = tag(7, WIRE_LEN)

const TRACE_ID_BYTES = 16
const SPAN_ID_BYTES = 8

/** A cursor over the export's bytes; every read is bounded by `end`, the end of the message being read. */
class WireReader {
  readonly bytes: Uint8Array
  private readonly view: DataView
  private readonly text: Buffer
  pos = 0
  /** The halves of the last varint read. */
  lo = 0
  hi = 0

  constructor (bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Reads a varint into `lo`/`hi` and returns `lo`. */
  varint (end: number): number {
    const bytes = this.bytes
    let pos = this.pos
    let lo = 0
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw truncated(pos)
      const byte = bytes[pos++]!
      lo |= (byte & 0x7f) << shift
      if (byte < 0x80) return this.endVarint(pos, lo >>> 0, 0)
    }
    if (pos >= end) throw truncated(pos)
    const fifth = bytes[pos++]!
    lo = (lo | ((fifth & 0x0f) << 28)) >>> 0
    let hi = (fifth & 0x7f) >> 4
    if (fifth < 0x80) return this.endVarint(pos, lo, hi)
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) throw truncated(pos)
      const byte = bytes[pos++]!
      hi |= (byte & 0x7f) << shift
      if (byte < 0x80) return this.endVarint(pos, lo, hi >>> 0)
    }
    throw new DecodeError(`a varint at byte ${this.pos} runs past 10 bytes`)
  }

  private endVarint (pos: number, lo: number, hi: number): number {
    this.pos = pos
    this.lo = lo
    this.hi = hi
    return lo
  }

  /** A length-delimited field's length; returns the end of its content, checked against `end`. */
  lengthEnd (end: number): number {
    const length = this.varint(end)
    if (this.hi !== 0 || length > end - this.pos) throw new DecodeError(`a length of ${this.hi === 0 ? length : 'over 2^32'} at byte ${this.pos} runs past the end of its message (byte ${end})`)
    return this.pos + length
  }

  /** A fixed64 of nanoseconds as epoch microseconds. */
  micros (end: number): number {
    const pos = this.fixed(8, end)
    return microsFromNanoHalves(this.view.getUint32(pos, true), this.view.getUint32(pos + 4, true))
  }

  double (end: number): number {
    return this.view.getFloat64(this.fixed(8, end), true)
  }

  /** Moves past `size` bytes and returns where they start. */
  private fixed (size: number, end: number): number {
    const pos = this.pos
    if (size > end - pos) throw truncated(pos)
    this.pos = pos + size
    return pos
  }

  /** A length-delimited string; invalid UTF-8 becomes U+FFFD. */
  string (end: number): string {
    const contentEnd = this.lengthEnd(end)
    const start = this.pos
    this.pos = contentEnd
    return this.text.toString('utf8', start, contentEnd)
  }

  /** A field this decoder does not keep, skipped by its wire type. */
  skip (wireType: number, end: number): void {
    switch (wireType) {
      case WIRE_VARINT: this.varint(end); return
      case WIRE_FIXED64: this.fixed(8, end); return
      case WIRE_LEN: this.pos = this.lengthEnd(end); return
      case WIRE_FIXED32: this.fixed(4, end); return
      default: throw new DecodeError(`wire type ${wireType} (a group, or none) at byte ${this.pos}: not in OTLP`)
    }
  }

  /** The next field's tag; a field number 0 or a tag past 32 bits is malformed. */
  tag (end: number): number {
    const start = this.pos
    const fieldTag = this.varint(end)
    if (this.hi !== 0 || fieldTag >>> 3 === 0) throw new DecodeError(`a malformed field tag at byte ${start}`)
    return fieldTag
  }
}

function truncated (pos: number): DecodeError {
  return new DecodeError(`the message ends at byte ${pos}, inside a field: it was cut short`)
}

/** Where an ID field lies in the bytes; `start` is -1 when the field was absent. */
interface IdField { start: number, end: number }

const absentId = (): IdField => ({ start: -1, end: -1 })

function readId (reader: WireReader, end: number, into: IdField): void {
  into.end = reader.lengthEnd(end)
  into.start = reader.pos
  reader.pos = into.end
}

function idState (bytes: Uint8Array, id: IdField, size: number): IdState {
  const length = id.end - id.start
  if (length <= 0) return 'absent'
  if (length !== size) return 'of the wrong length'
  for (let i = id.start; i < id.end; i++) if (bytes[i] !== 0) return 'ok'
  return 'all zeros'
}

/** Attributes with the count past MAX_ATTRIBUTES, filled in place as KeyValues are read. */
class AttributeReader {
  readonly attributes: Record<string, AttributeValue> = {}
  kept = 0
  cut = 0

  read (reader: WireReader, end: number): void {
    if (this.kept >= MAX_ATTRIBUTES) {
      reader.pos = reader.lengthEnd(end)
      this.cut++
      return
    }
    const valueEnd = reader.lengthEnd(end)
    let key = ''
    let value: PlainValue = null
    while (reader.pos < valueEnd) {
      const fieldTag = reader.tag(valueEnd)
      if (fieldTag === KEY_VALUE_KEY) key = reader.string(valueEnd)
      else if (fieldTag === KEY_VALUE_VALUE) value = readAnyValue(reader, reader.lengthEnd(valueEnd), 0)
      else reader.skip(fieldTag & 7, valueEnd)
    }
    const attributeValue = attributeValueOf(value)
    if (attributeValue === undefined) return
    putAttribute(this.attributes, key, attributeValue)
    this.kept++
  }
}

/** An AnyValue ending at `end`; `depth` counts the arrays and maps around it. */
function readAnyValue (reader: WireReader, end: number, depth: number): PlainValue {
  let value: PlainValue = null
  while (reader.pos < end) {
    const fieldTag = reader.tag(end)
    switch (fieldTag) {
      case ANY_STRING: value = reader.string(end); break
      case ANY_BOOL: reader.varint(end); value = reader.lo !== 0 || reader.hi !== 0; break
      case ANY_INT: reader.varint(end); value = int64From(reader.lo, reader.hi); break
      case ANY_DOUBLE: value = reader.double(end); break
      case ANY_BYTES: {
        const bytesEnd = reader.lengthEnd(end)
        value = hexOf(reader.bytes, reader.pos, bytesEnd)
        reader.pos = bytesEnd
        break
      }
      case ANY_ARRAY: value = readList(reader, reader.lengthEnd(end), depth + 1, false); break
      case ANY_KVLIST: value = readList(reader, reader.lengthEnd(end), depth + 1, true); break
      default: reader.skip(fieldTag & 7, end)
    }
  }
  return value
}

/** An ArrayValue, or a KeyValueList as a prototype-less object; null past MAX_VALUE_DEPTH. */
function readList (reader: WireReader, end: number, depth: number, keyed: boolean): PlainValue {
  if (depth > MAX_VALUE_DEPTH) {
    reader.pos = end
    return null
  }
  const items: PlainValue[] = []
  const map: Record<string, PlainValue> = Object.create(null)
  let count = 0
  while (reader.pos < end) {
    const fieldTag = reader.tag(end)
    if (fieldTag !== LIST_VALUES || count >= MAX_VALUE_ITEMS) {
      reader.skip(fieldTag & 7, end)
      continue
    }
    count++
    const itemEnd = reader.lengthEnd(end)
    if (!keyed) {
      items.push(readAnyValue(reader, itemEnd, depth))
      continue
    }
    let key = ''
    let value: PlainValue = null
    while (reader.pos < itemEnd) {
      const itemTag = reader.tag(itemEnd)
      if (itemTag === KEY_VALUE_KEY) key = reader.string(itemEnd)
      else if (itemTag === KEY_VALUE_VALUE) value = readAnyValue(reader, reader.lengthEnd(itemEnd), depth)
      else reader.skip(itemTag & 7, itemEnd)
    }
    map[key] = value
  }
  return keyed ? map : items
}

function readResource (reader: WireReader, end: number, attributes: AttributeReader): void {
  while (reader.pos < end) {
    const fieldTag = reader.tag(end)
    if (fieldTag === RESOURCE_ATTRIBUTE) attributes.read(reader, end)
    else reader.skip(fieldTag & 7, end)
  }
}

/**
 * The export's resource entries (ResourceSpans or ResourceLogs), each with its scope entries,
 * each entry of those handed to `readEntry` with the resource it shares. The resource's
 * attributes are filled in place, so an entry read before its resource (protobuf fixes no
 * field order) still gets them.
 */
function readExport (reader: WireReader, readEntry: (entryStart: number, end: number, resource: OtlpResource) => void): void {
  const exportEnd = reader.bytes.length
  while (reader.pos < exportEnd) {
    const fieldTag = reader.tag(exportEnd)
    if (fieldTag !== REQUEST_RESOURCE_ITEMS) {
      reader.skip(fieldTag & 7, exportEnd)
      continue
    }
    const resourceItemEnd = reader.lengthEnd(exportEnd)
    const resourceAttributes = new AttributeReader()
    const resource: OtlpResource = { attributes: resourceAttributes.attributes }
    while (reader.pos < resourceItemEnd) {
      const resourceTag = reader.tag(resourceItemEnd)
      if (resourceTag === RESOURCE) readResource(reader, reader.lengthEnd(resourceItemEnd), resourceAttributes)
      else if (resourceTag === SCOPE_ITEMS) {
        const scopeEnd = reader.lengthEnd(resourceItemEnd)
        while (reader.pos < scopeEnd) {
          const entryStart = reader.pos
          const scopeTag = reader.tag(scopeEnd)
          if (scopeTag === SCOPE_ENTRIES) readEntry(entryStart, reader.lengthEnd(scopeEnd), resource)
          else reader.skip(scopeTag & 7, scopeEnd)
        }
      } else reader.skip(resourceTag & 7, resourceItemEnd)
    }
  }
}

function readEvent (reader: WireReader, end: number): OtlpSpanEvent {
  const event: Mutable<OtlpSpanEvent> = { name: '', timeUs: 0, attributes: {} }
  const attributes = new AttributeReader()
  let dropped = 0
  while (reader.pos < end) {
    const fieldTag = reader.tag(end)
    switch (fieldTag) {
      case EVENT_TIME: event.timeUs = reader.micros(end); break
      case EVENT_NAME: event.name = reader.string(end); break
      case EVENT_ATTRIBUTE: attributes.read(reader, end); break
      case EVENT_DROPPED_ATTRIBUTES: dropped = reader.varint(end); break
      default: reader.skip(fieldTag & 7, end)
    }
  }
  event.attributes = attributes.attributes
  if (dropped + attributes.cut > 0) event.droppedAttributes = dropped + attributes.cut
  return event
}

function readStatus (reader: WireReader, end: number, span: Mutable<OtlpSpan>): void {
  let code = 0
  let message = ''
  while (reader.pos < end) {
    const fieldTag = reader.tag(end)
    if (fieldTag === STATUS_MESSAGE) message = reader.string(end)
    else if (fieldTag === STATUS_CODE) code = reader.varint(end)
    else reader.skip(fieldTag & 7, end)
  }
  span.status = message === '' ? { code: statusCodeOf(code) } : { code: statusCodeOf(code), message }
}

export function decodeTracesProtobuf (bytes: Uint8Array): DecodedTraces {
  const reader = new WireReader(bytes)
  const spans: OtlpSpan[] = []
  const rejections = new Rejections()
  const traceId = absentId()
  const spanId = absentId()
  const parentSpanId = absentId()
  readExport(reader, (spanStart, end, resource) => {
    traceId.start = spanId.start = parentSpanId.start = -1
    traceId.end = spanId.end = parentSpanId.end = -1
    const span: Mutable<OtlpSpan> = {
      traceId: '', spanId: '', name: '', kind: 'internal', startUs: 0, endUs: 0, status: { code: 'unset' }, attributes: {}, events: [], resource, wireBytes: end - spanStart,
    }
    const attributes = new AttributeReader()
    const events: OtlpSpanEvent[] = []
    let droppedAttributes = 0
    let droppedEvents = 0
    while (reader.pos < end) {
      const fieldTag = reader.tag(end)
      switch (fieldTag) {
        case SPAN_TRACE_ID: readId(reader, end, traceId); break
        case SPAN_SPAN_ID: readId(reader, end, spanId); break
        case SPAN_PARENT_SPAN_ID: readId(reader, end, parentSpanId); break
        case SPAN_NAME: span.name = reader.string(end); break
        case SPAN_KIND: span.kind = spanKindOf(reader.varint(end)); break
        case SPAN_START: span.startUs = reader.micros(end); break
        case SPAN_END: span.endUs = reader.micros(end); break
        case SPAN_ATTRIBUTE: attributes.read(reader, end); break
        case SPAN_DROPPED_ATTRIBUTES: droppedAttributes = reader.varint(end); break
        case SPAN_EVENT: {
          const eventEnd = reader.lengthEnd(end)
          if (events.length < MAX_EVENTS) events.push(readEvent(reader, eventEnd))
          else {
            reader.pos = eventEnd
            droppedEvents++
          }
          break
        }
        case SPAN_DROPPED_EVENTS: droppedEvents += reader.varint(end); break
        case SPAN_STATUS: readStatus(reader, reader.lengthEnd(end), span); break
        default: reader.skip(fieldTag & 7, end)
      }
    }
    const parentState = idState(bytes, parentSpanId, SPAN_ID_BYTES)
    const problem = spanIdsProblem(idState(bytes, traceId, TRACE_ID_BYTES), idState(bytes, spanId, SPAN_ID_BYTES), parentState)
    if (problem !== undefined) {
      rejections.add(problem)
      return
    }
    if (parentState === 'ok') span.parentSpanId = hexOf(bytes, parentSpanId.start, parentSpanId.end)
    span.traceId = hexOf(bytes, traceId.start, traceId.end)
    span.spanId = hexOf(bytes, spanId.start, spanId.end)
    span.attributes = attributes.attributes
    span.events = events
    if (droppedAttributes + attributes.cut > 0) span.droppedAttributes = droppedAttributes + attributes.cut
    if (droppedEvents > 0) span.droppedEvents = droppedEvents
    spans.push(span)
  })
  return { spans, rejected: rejections.count, rejectedReason: rejections.reason('span') }
}

export function decodeLogsProtobuf (bytes: Uint8Array): DecodedLogs {
  const reader = new WireReader(bytes)
  const logs: OtlpLogRecord[] = []
  const rejections = new Rejections()
  const traceId = absentId()
  const spanId = absentId()
  readExport(reader, (logStart, end, resource) => {
    traceId.start = spanId.start = -1
    traceId.end = spanId.end = -1
    const log: Mutable<OtlpLogRecord> = { timeUs: 0, severityNumber: 0, severityText: '', body: '', attributes: {}, resource, wireBytes: end - logStart }
    const attributes = new AttributeReader()
    let observedUs = 0
    let droppedAttributes = 0
    while (reader.pos < end) {
      const fieldTag = reader.tag(end)
      switch (fieldTag) {
        case LOG_TIME: log.timeUs = reader.micros(end); break
        case LOG_OBSERVED_TIME: observedUs = reader.micros(end); break
        case LOG_SEVERITY_NUMBER: log.severityNumber = severityOf(reader.varint(end)); break
        case LOG_SEVERITY_TEXT: log.severityText = reader.string(end); break
        case LOG_BODY: log.body = bodyTextOf(readAnyValue(reader, reader.lengthEnd(end), 0)); break
        case LOG_ATTRIBUTE: attributes.read(reader, end); break
        case LOG_DROPPED_ATTRIBUTES: droppedAttributes = reader.varint(end); break
        case LOG_TRACE_ID: readId(reader, end, traceId); break
        case LOG_SPAN_ID: readId(reader, end, spanId); break
        case LOG_EVENT_NAME: {
          const eventName = reader.string(end)
          if (eventName !== '') log.eventName = eventName
          break
        }
        default: reader.skip(fieldTag & 7, end)
      }
    }
    if (log.timeUs === 0) log.timeUs = observedUs
    const traceIdState = idState(bytes, traceId, TRACE_ID_BYTES)
    const spanIdState = idState(bytes, spanId, SPAN_ID_BYTES)
    const problem = logIdsProblem(traceIdState, spanIdState)
    if (problem !== undefined) {
      rejections.add(problem)
      return
    }
    if (traceIdState === 'ok') {
      log.traceId = hexOf(bytes, traceId.start, traceId.end)
      if (spanIdState === 'ok') log.spanId = hexOf(bytes, spanId.start, spanId.end)
    }
    log.attributes = attributes.attributes
    if (droppedAttributes + attributes.cut > 0) log.droppedAttributes = droppedAttributes + attributes.cut
    logs.push(log)
  })
  return { logs, rejected: rejections.count, rejectedReason: rejections.reason('log record') }
}
