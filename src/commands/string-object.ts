/**
 * String values as Redis holds them (StringObject: the encoding OBJECT ENCODING reports, the
 * shared small integers' REFCOUNT, spare room for APPEND, values a reply still holds without a
 * copy), and the lookups and replies every string command shares.
 *
 * Separate from strings.ts, which keeps the commands themselves, so that the value's rules (see
 * the first and last notes at the top of strings.ts) are read in one place; the type hooks COPY
 * and OBJECT use are registered here, with the value they describe.
 */
import { parseInt64 } from './args.js';
import { lookupRead } from './key-lookup.js';
import { registerTypeHooks } from './keys.js';
import { StringValue, WRONGTYPE, type KeyValue } from '../keyspace/value.js';
import type { Client } from '../server/client.js';

type Encoding = 'int' | 'embstr' | 'raw';

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
export const EMBSTR_SIZE_LIMIT = 44;
/** Redis keeps shared objects for the integers 0 … 9999 (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000n;
/** OBJECT REFCOUNT of a shared object (OBJ_SHARED_REFCOUNT). */
const SHARED_REFCOUNT = 2147483647;
/** Replies at least this large go out without a copy (ReplyWriter's PASS_THROUGH). */
const UNCOPIED_REPLY = 64 * 1024;

/** The encoding tryObjectEncoding gives these bytes: `int` for string2ll-canonical integers. */
function encodingOf(data: Buffer): Encoding {
  if (data.length <= 20 && parseInt64(data) !== null) return 'int';
  return data.length <= EMBSTR_SIZE_LIMIT ? 'embstr' : 'raw';
}

/**
 * A string value that remembers how Redis would hold it, and keeps spare capacity for APPEND.
 * Values that other modules create as plain StringValue behave as freshly loaded ones (encoding
 * derived from the bytes).
 */
export class StringObject extends StringValue {
  /** A fixed encoding, or null to derive it from the bytes as tryObjectEncoding would. */
  forced: Encoding | null;
  /** A reply may still reference `data` without a copy: change it only after copying. */
  exposed = false;
  /** Owned buffer whose first `data.length` bytes are `data`; the rest is room for APPEND. */
  private room: Buffer | null = null;

  constructor(data: Buffer, forced: Encoding | null = null) {
    super(data);
    this.forced = forced;
  }

  override encoding(): string {
    return this.forced ?? encodingOf(this.data);
  }

  /** Appends with sds-like growth (double below 1 MiB, then +1 MiB), in amortised O(1). */
  append(bytes: Buffer): void {
    const len = this.data.length;
    const need = len + bytes.length;
    const room = this.room;
    if (room === null || room.buffer !== this.data.buffer || room.byteOffset !== this.data.byteOffset || room.length < need) {
      const grown = Buffer.allocUnsafe(need < 1024 * 1024 ? need * 2 : need + 1024 * 1024);
      this.data.copy(grown, 0, 0, len);
      this.room = grown;
      this.exposed = false;
    }
    // Bytes [0, len) are never rewritten here, so a reply still holding them stays intact.
    bytes.copy(this.room!, len);
    this.data = this.room!.subarray(0, need);
  }

  /** Writes `bytes` at `offset`, zero-filling any gap (SETRANGE). */
  writeAt(offset: number, bytes: Buffer): void {
    const end = offset + bytes.length;
    if (this.exposed || end > this.data.length) {
      const len = Math.max(end, this.data.length);
      const next = Buffer.alloc(len);
      this.data.copy(next);
      this.data = next;
      this.room = null;
      this.exposed = false;
    }
    bytes.copy(this.data, offset);
  }
}

function refcountOf(v: StringValue): number {
  if (v instanceof StringObject && v.forced !== null) return 1;
  if (encodingOf(v.data) !== 'int') return 1;
  const n = parseInt64(v.data)!;
  return n >= 0n && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}

registerTypeHooks('string', {
  // dupStringObject keeps the encoding; a copy of a shared integer is a private int object.
  duplicate: (v: KeyValue) => {
    const s = v as StringValue;
    return new StringObject(Buffer.from(s.data), s instanceof StringObject && s.forced !== null ? s.forced : encodingOf(s.data));
  },
  refcount: (v: KeyValue) => refcountOf(v as StringValue),
  encoding: (v: KeyValue) => (v instanceof StringObject ? v.encoding() : encodingOf((v as StringValue).data)),
});

/** A value made from a client argument (owned copy; argv buffers are views of network chunks). */
export function fromArg(arg: Buffer): StringObject {
  return new StringObject(Buffer.from(arg));
}

/** Replies a stored string, noting when the reply holds its bytes without a copy. */
export function replyValue(c: Client, v: StringValue, start = 0, end = v.data.length): void {
  if (end - start >= UNCOPIED_REPLY && v instanceof StringObject) v.exposed = true;
  c.reply.bulk(start === 0 && end === v.data.length ? v.data : v.data.subarray(start, end));
}

/**
 * A read lookup of a string key (lookupKeyRead + checkType): the value, null when missing, or
 * undefined after a WRONGTYPE reply.
 */
export function readString(c: Client, k: string): StringValue | null | undefined {
  const e = lookupRead(c, k);
  if (!e) return null;
  if (e.value.type !== 'string') {
    c.reply.error(WRONGTYPE);
    return undefined;
  }
  return e.value as StringValue;
}

/** Redis's getGenericCommand: replies the value or null; false after WRONGTYPE. */
export function getGeneric(c: Client, k: string): boolean {
  const v = readString(c, k);
  if (v === undefined) return false;
  if (v === null) c.reply.null();
  else replyValue(c, v);
  return true;
}

/** A write lookup (lookupKeyWrite + checkType): as readString, but without hit/miss counting. */
export function writeString(c: Client, k: string): StringValue | null | undefined {
  const e = c.db.lookup(k);
  if (!e) return null;
  if (e.value.type !== 'string') {
    c.reply.error(WRONGTYPE);
    return undefined;
  }
  return e.value as StringValue;
}

/** Redis's checkStringLength: the result may not exceed proto-max-bulk-len. */
export function checkStringLength(c: Client, size: number, append: number): boolean {
  if (size + append > c.server.config.int('proto-max-bulk-len')) {
    c.reply.error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    return false;
  }
  return true;
}
