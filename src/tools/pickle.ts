/**
 * A safe reader for the pickles LangChain's FAISS store writes (`index.pkl`: a tuple of the
 * `InMemoryDocstore` and the index-to-docstore-id dict), protocols 0 to 5.
 *
 * Why not a general unpickler (`pickleparser` on npm): a pickle is a program, and its REDUCE and
 * NEWOBJ opcodes call whatever global the file names. A JavaScript reader cannot run Python, but
 * a permissive one turns unknown globals into placeholder objects and carries on, so a file made
 * to look like a store (or one holding objects we cannot represent, such as numpy scalars in
 * metadata) would be imported as something else without a word. This reader builds plain values
 * only — None, bools, ints, floats, str, bytes, list, tuple, dict, set — and objects of a short
 * list of classes by (module, qualname): LangChain's docstore and Document under their current
 * and older module paths. Any other global, and any REDUCE but the few that rebuild a set or an
 * object of an allowed class, is refused with an error naming it. Every length is checked against
 * the bytes that remain, and the memo and stack are bounded by the file's size.
 */

export class PickleError extends Error {}

/** An object of an allowed class, rebuilt as Python's default __reduce_ex__ records it. */
export class PyObject {
  state: PyValue = null;
  constructor(readonly className: string) {}
}
/** A Python float: kept apart from ints, because 3.0 and 3 print differently in a hash field. */
export class PyFloat {
  constructor(readonly value: number) {}
}
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PySet {
  constructor(readonly items: PyValue[]) {}
}
/** A dict keeps its insertion order, as Python's does; keys are compared by their Python value. */
export class PyDict {
  readonly entries = new Map<string, [PyValue, PyValue]>();
  set(k: PyValue, v: PyValue): void {
    this.entries.set(dictKey(k), [k, v]);
  }
  get(k: PyValue): PyValue | undefined {
    return this.entries.get(dictKey(k))?.[1];
  }
  get size(): number {
    return this.entries.size;
  }
}
/** A class named by GLOBAL/STACK_GLOBAL (an allowed one), before it is called. */
export class PyClass {
  constructor(readonly name: string) {}
}

export type PyValue = null | boolean | number | bigint | PyFloat | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyObject | PyClass;

/** Hashable keys: Python's equal values (1, 1.0, True) share a slot, as in a dict. Ints are numbers or bigints. */
function dictKey(k: PyValue): string {
  if (k === null) return 'None';
  if (typeof k === 'string') return `s:${k}`;
  if (typeof k === 'boolean') return `n:${k ? 1 : 0}`;
  if (typeof k === 'number') return `n:${k}`;
  if (k instanceof PyFloat) return Number.isInteger(k.value) ? `n:${k.value}` : `f:${k.value}`;
  if (typeof k === 'bigint') return `n:${k}`;
  if (k instanceof Uint8Array) return `b:${Buffer.from(k).toString('hex')}`;
  if (k instanceof PyTuple) return `t:(${k.items.map(dictKey).join(',')})`;
  if (k instanceof PyClass) return `c:${k.name}`;
  throw new PickleError('unhashable dict key in the pickle');
}

/**
 * The classes whose objects may be built, by "module.qualname". LangChain moved both classes over
 * its releases; pickles of every layout it wrote are read.
 */
export const ALLOWED_CLASSES = new Set([
  'langchain_community.docstore.in_memory.InMemoryDocstore',
  'langchain.docstore.in_memory.InMemoryDocstore',
  'langchain_core.documents.base.Document',
  'langchain_core.documents.Document',
  'langchain.schema.document.Document',
  'langchain.docstore.document.Document',
  'langchain.schema.Document',
]);
/** Globals a REDUCE may call: set/frozenset (protocols < 4 pickle sets that way) and copyreg's rebuild. */
const SET_BUILDERS = new Set(['builtins.set', 'builtins.frozenset', '__builtin__.set', '__builtin__.frozenset']);
const RECONSTRUCTORS = new Set(['copyreg._reconstructor', 'copy_reg._reconstructor']);
const OBJECT_BASES = new Set(['builtins.object', '__builtin__.object']);

const MAX_LONG_BYTES = 64;

export function unpickle(bytes: Uint8Array, file = 'index.pkl'): PyValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const fail = (what: string, at = pos): never => {
    throw new PickleError(`${file}: ${what} (at byte ${at})`);
  };
  const need = (n: number, what: string): void => {
    if (n < 0 || n > bytes.length - pos) fail(`${what} needs ${n} bytes but only ${bytes.length - pos} remain: the file is truncated or corrupt`);
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = (): number => take(1, 'argument')[0]!;
  const u16 = (): number => {
    need(2, 'argument');
    pos += 2;
    return dv.getUint16(pos - 2, true);
  };
  const u32 = (): number => {
    need(4, 'argument');
    pos += 4;
    return dv.getUint32(pos - 4, true);
  };
  const u64 = (what: string): number => {
    need(8, what);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`${what} ${v} is longer than the file: it is truncated or corrupt`, pos - 8);
    return Number(v);
  };
  const line = (): string => {
    const nl = bytes.indexOf(10, pos);
    if (nl < 0) fail('unterminated text argument');
    const s = Buffer.from(bytes.subarray(pos, nl)).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return fail('a str holds invalid UTF-8');
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow: the pickle is corrupt');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('stack underflow: the pickle is corrupt');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) fail('no MARK for this opcode: the pickle is corrupt');
    stack = prev!;
    return items as PyValue[];
  };
  const global = (module: string, name: string, at: number): PyClass => {
    const full = `${module}.${name}`;
    if (ALLOWED_CLASSES.has(full) || SET_BUILDERS.has(full) || RECONSTRUCTORS.has(full) || OBJECT_BASES.has(full)) return new PyClass(full);
    return fail(`refusing to unpickle ${full}: only LangChain's InMemoryDocstore and Document and plain Python values (str, int, float, bool, None, list, tuple, dict, set) are read`, at);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail('SETITEMS on something that is not a dict');
    const d = target as PyDict;
    if (items.length % 2 !== 0) fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail('APPEND on something that is not a list');
    for (const it of items) (target as PyValue[]).push(it);
  };
  const newObject = (cls: PyValue, at: number): PyObject => {
    if (!(cls instanceof PyClass) || !ALLOWED_CLASSES.has(cls.name)) {
      return fail(`refusing to create an object of ${cls instanceof PyClass ? cls.name : 'a value that is not a class'}`, at);
    }
    return new PyObject(cls.name);
  };
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    if (b.length > MAX_LONG_BYTES) fail(`an integer of ${b.length} bytes is beyond any id or metadata value`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return smallest(v);
  };

  for (;;) {
    const at = pos;
    if (pos >= bytes.length) fail('the pickle ends without a STOP opcode: truncated');
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length hint only
        u64('frame length');
        break;
      case 0x2e: {
        // STOP
        const v = pop();
        if (stack.length !== 0 || marks.length !== 0) fail('values left on the stack at STOP: the pickle is corrupt');
        if (pos !== bytes.length) fail(`${bytes.length - pos} bytes after the end of the pickle`);
        return v;
      }
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4, 'BININT');
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(take(u8(), 'LONG1')));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(take(u32(), 'LONG4')));
        break;
      case 0x49: {
        // INT (protocol 0): also True/False as 01/00
        const s = line();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else if (/^[+-]?\d{1,40}$/.test(s)) stack.push(smallest(BigInt(s)));
        else fail(`invalid INT '${s.slice(0, 40)}'`, at);
        break;
      }
      case 0x4c: {
        // LONG (protocol 0)
        const s = line().replace(/L$/, '');
        if (!/^[+-]?\d{1,40}$/.test(s)) fail(`invalid LONG '${s.slice(0, 40)}'`, at);
        stack.push(smallest(BigInt(s)));
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8, 'BINFLOAT');
        stack.push(new PyFloat(dv.getFloat64(pos, false)));
        pos += 8;
        break;
      case 0x46: {
        // FLOAT (protocol 0)
        const s = line();
        const v = Number(s);
        if (s.trim() === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) fail(`invalid FLOAT '${s.slice(0, 40)}'`, at);
        stack.push(new PyFloat(v));
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8(), 'str')));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32(), 'str')));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64('str length'), 'str')));
        break;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape)
        stack.push(rawUnicodeEscape(line()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        stack.push(Buffer.from(take(u8(), 'string')).toString('latin1'));
        break;
      case 0x54: // BINSTRING
        stack.push(Buffer.from(take(u32(), 'string')).toString('latin1'));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(take(u8(), 'bytes')));
        break;
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(take(u32(), 'bytes')));
        break;
      case 0x8e: // BINBYTES8
        stack.push(Uint8Array.from(take(u64('bytes length'), 'bytes')));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new PySet([]));
        break;
      // popMark() replaces `stack`: take the items first, then push onto the restored stack.
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x74: {
        // TUPLE
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new PySet(items));
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) fail('ADDITEMS on something that is not a set', at);
        (s as PySet).items.push(...items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x30: // POP
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67:
      case 0x68:
      case 0x6a: {
        // GET, BINGET, LONG_BINGET
        const idx = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        const v = memo.get(idx);
        if (v === undefined) fail(`memo ${idx} was never stored: the pickle is corrupt`, at);
        stack.push(v!);
        break;
      }
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        stack.push(global(module, line(), at));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL expects two strings', at);
        stack.push(global(module as string, name as string, at));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); Document and the docstore take no arguments
        pop();
        stack.push(newObject(pop(), at));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: cls, args, kwargs
        pop();
        pop();
        stack.push(newObject(pop(), at));
        break;
      }
      case 0x52: {
        // REDUCE: only set(list), frozenset(list) and copyreg._reconstructor(cls, object, None)
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyClass) || !(args instanceof PyTuple)) return fail('REDUCE of something that is not a class call', at);
        if (SET_BUILDERS.has(fn.name)) {
          const src = args.items[0];
          if (args.items.length === 0) stack.push(new PySet([]));
          else if (Array.isArray(src)) stack.push(new PySet([...src]));
          else fail(`${fn.name}() of something that is not a list`, at);
        } else if (RECONSTRUCTORS.has(fn.name)) {
          const [cls, base] = args.items;
          if (!(base instanceof PyClass) || !OBJECT_BASES.has(base.name)) fail('copyreg._reconstructor with a base other than object', at);
          stack.push(newObject(cls ?? null, at));
        } else {
          fail(`refusing to call ${fn.name}() from a pickle`, at);
        }
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state), or obj.__dict__.update(state)
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyObject)) fail('BUILD on something that is not an object of an allowed class', at);
        (obj as PyObject).state = state;
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}'): not a pickle LangChain writes`, at);
    }
  }
}

/** A number when it is exact as one, else a bigint. */
function smallest(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Protocol 0's UNICODE argument: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
    const cp = parseInt((a ?? b)!, 16);
    if (cp > 0x10ffff) throw new PickleError('invalid \\U escape in a protocol 0 string');
    return String.fromCodePoint(cp);
  });
}
