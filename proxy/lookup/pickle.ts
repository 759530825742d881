/**
 * Step 5, decode (django): a strict reader of Python pickles that builds data
 * and never runs anything. Django's cache session backends store the session
 * dict pickled (Django's RedisCache and django-redis both `pickle.dumps` it,
 * protocol 4 or 5 by default). This reader knows only the opcodes with which
 * protocols 2 to 5 write a dict of strings, numbers, booleans and None (and
 * lists, tuples and dicts of those); every other opcode, above all the ones
 * that import or call (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ,
 * EXT*, PERSID), is refused. Opcode meanings: CPython Lib/pickletools.py.
 *
 * It works in one loop over the bytes, with no recursion, so input can neither
 * run code nor exhaust the call stack; work and memory are linear in its length.
 */

export type PickleValue = string | number | boolean | null | PickleValue[] | PickleDict
/** A dict's keys are strings; it has no prototype, so a key such as `__proto__` is only a key. */
export interface PickleDict { [key: string]: PickleValue }

/** The pickle is not one this reader accepts; `message` says why, without quoting it. */
export class PickleRefusal extends Error {
  override readonly name = 'PickleRefusal'
}

const MARK = Symbol('mark')
type StackItem = PickleValue | typeof MARK

/** Tuples are built like lists but are never appended to. */
const tuples = new WeakSet<PickleValue[]>()
const utf8 = new TextDecoder('utf-8', { fatal: true })

const OP = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e, MARK: 0x28,
  EMPTY_DICT: 0x7d, DICT: 0x64, SETITEM: 0x73, SETITEMS: 0x75,
  EMPTY_LIST: 0x5d, LIST: 0x6c, APPEND: 0x61, APPENDS: 0x65,
  EMPTY_TUPLE: 0x29, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89,
  BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, BINFLOAT: 0x47,
  SHORT_BINUNICODE: 0x8c, BINUNICODE: 0x58, BINUNICODE8: 0x8d,
  MEMOIZE: 0x94, BINPUT: 0x71, LONG_BINPUT: 0x72, BINGET: 0x68, LONG_BINGET: 0x6a,
} as const

/** The value of a pickle of protocol 2 to 5, or a PickleRefusal. */
export function decodePickle (bytes: Uint8Array): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stack: StackItem[] = []
  const marks: number[] = []
  const memo: PickleValue[] = []
  let at = 0

  const need = (n: number): number => {
    if (at + n > bytes.length) throw new PickleRefusal('the pickle ends early')
    const start = at
    at += n
    return start
  }
  const pop = (): PickleValue => {
    const item = stack.pop()
    if (item === undefined || item === MARK) throw new PickleRefusal('the pickle pops a value it did not push')
    return item
  }
  const top = (): PickleValue => {
    const item = stack[stack.length - 1]
    if (item === undefined || item === MARK) throw new PickleRefusal('the pickle refers to a value it did not push')
    return item
  }
  const popToMark = (): PickleValue[] => {
    const mark = marks.pop()
    if (mark === undefined) throw new PickleRefusal('the pickle closes a mark it did not open')
    // Marks close innermost first, so nothing above this one is a MARK.
    return stack.splice(mark).slice(1) as PickleValue[]
  }
  const text = (length: number): string => {
    const start = need(length)
    try {
      return utf8.decode(bytes.subarray(start, start + length))
    } catch {
      throw new PickleRefusal('a string is not UTF-8')
    }
  }
  const length8 = (): number => {
    const value = view.getBigUint64(need(8), true)
    if (value > BigInt(bytes.length)) throw new PickleRefusal('a length is longer than the pickle')
    return Number(value)
  }
  const setItems = (dict: PickleValue, items: readonly PickleValue[]): void => {
    if (!isDict(dict)) throw new PickleRefusal('the pickle sets an item on something that is not a dict')
    for (let i = 0; i + 1 < items.length; i += 2) {
      const key = items[i]
      if (typeof key !== 'string') throw new PickleRefusal('a dict key is not a string')
      dict[key] = items[i + 1] as PickleValue
    }
  }
  const append = (list: PickleValue, items: readonly PickleValue[]): void => {
    if (!Array.isArray(list) || tuples.has(list)) throw new PickleRefusal('the pickle appends to something that is not a list')
    list.push(...items)
  }
  const tuple = (items: PickleValue[]): PickleValue[] => {
    tuples.add(items)
    return items
  }

  if (bytes[0] !== OP.PROTO) throw new PickleRefusal('the value is not a pickle of protocol 2 or later')
  for (;;) {
    const op = bytes[need(1)]
    switch (op) {
      case OP.PROTO: {
        const version = bytes[need(1)] ?? 0
        if (version < 2 || version > 5) throw new PickleRefusal(`pickle protocol ${version} is not read (2 to 5 are)`)
        break
      }
      case OP.FRAME: length8(); break // a hint for buffered readers: the opcodes that follow are read as usual
      case OP.STOP: {
        const value = pop()
        if (stack.length !== 0 || marks.length !== 0) throw new PickleRefusal('the pickle leaves values behind')
        if (at !== bytes.length) throw new PickleRefusal('bytes follow the end of the pickle')
        return value
      }
      case OP.MARK: marks.push(stack.length); stack.push(MARK); break
      case OP.EMPTY_DICT: stack.push(Object.create(null) as PickleDict); break
      case OP.DICT: { const dict = Object.create(null) as PickleDict; setItems(dict, evenItems(popToMark())); stack.push(dict); break }
      case OP.SETITEM: { const value = pop(); const key = pop(); setItems(top(), [key, value]); break }
      case OP.SETITEMS: { const items = evenItems(popToMark()); setItems(top(), items); break }
      case OP.EMPTY_LIST: stack.push([]); break
      case OP.LIST: stack.push(popToMark()); break
      case OP.APPEND: { const value = pop(); append(top(), [value]); break }
      case OP.APPENDS: { const items = popToMark(); append(top(), items); break }
      case OP.EMPTY_TUPLE: stack.push(tuple([])); break
      case OP.TUPLE: stack.push(tuple(popToMark())); break
      case OP.TUPLE1: { const a = pop(); stack.push(tuple([a])); break }
      case OP.TUPLE2: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break }
      case OP.TUPLE3: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break }
      case OP.NONE: stack.push(null); break
      case OP.NEWTRUE: stack.push(true); break
      case OP.NEWFALSE: stack.push(false); break
      case OP.BININT: stack.push(view.getInt32(need(4), true)); break
      case OP.BININT1: stack.push(bytes[need(1)] ?? 0); break
      case OP.BININT2: stack.push(view.getUint16(need(2), true)); break
      case OP.LONG1: stack.push(long1(bytes, need(1))); at += bytes[at - 1] ?? 0; break
      case OP.BINFLOAT: stack.push(view.getFloat64(need(8), false)); break
      case OP.SHORT_BINUNICODE: stack.push(text(bytes[need(1)] ?? 0)); break
      case OP.BINUNICODE: stack.push(text(view.getUint32(need(4), true))); break
      case OP.BINUNICODE8: stack.push(text(length8())); break
      case OP.MEMOIZE: memo.push(top()); break
      case OP.BINPUT: putMemo(memo, bytes[need(1)] ?? 0, top()); break
      case OP.LONG_BINPUT: putMemo(memo, view.getUint32(need(4), true), top()); break
      case OP.BINGET: stack.push(getMemo(memo, bytes[need(1)] ?? 0)); break
      case OP.LONG_BINGET: stack.push(getMemo(memo, view.getUint32(need(4), true))); break
      default:
        throw new PickleRefusal(`opcode 0x${(op ?? 0).toString(16).padStart(2, '0')} is not read: only a dict of strings, numbers, booleans and None is`)
    }
  }
}

export function isDict (value: unknown): value is PickleDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function evenItems (items: PickleValue[]): PickleValue[] {
  if (items.length % 2 !== 0) throw new PickleRefusal('a dict has a key without a value')
  return items
}

/** LONG1: a little-endian two's-complement integer of `bytes[lengthAt]` bytes; only safe integers are read. */
function long1 (bytes: Uint8Array, lengthAt: number): number {
  const length = bytes[lengthAt] ?? 0
  if (length > 7 || lengthAt + 1 + length > bytes.length) throw new PickleRefusal('an integer is too long')
  let value = 0n
  for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[lengthAt + 1 + i] ?? 0)
  if (length > 0 && ((bytes[lengthAt + length] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(8 * length)
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new PickleRefusal('an integer is too large')
  return Number(value)
}

function putMemo (memo: PickleValue[], index: number, value: PickleValue): void {
  // Picklers number memo entries 0, 1, 2…; a sparse index would let a short pickle claim a huge array.
  if (index > memo.length) throw new PickleRefusal('the pickle stores a memo entry out of order')
  memo[index] = value
}

function getMemo (memo: readonly PickleValue[], index: number): PickleValue {
  const value = memo[index]
  if (value === undefined) throw new PickleRefusal('the pickle refers to a memo entry it did not store')
  return value
}
