/**
 * How each key type is written to and read from snapshots and DUMP payloads. A codec first
 * `capture`s a value — a consistent, immutable view taken on the main thread between commands
 * (cheap: a copy of a string, or of a vector set's buffers) — and the capture is encoded later,
 * possibly while clients keep changing the live value (BGSAVE, BGREWRITEAOF).
 */
import type { KeyTypeName, KeyValue } from '../keyspace/value.js';
import { StringValue } from '../keyspace/value.js';
import { HashValue } from '../keyspace/hash-value.js';
import { CorruptDataError, type BinaryReader, type BinaryWriter } from './binary.js';

export interface CapturedValue {
  /** Writes the captured state. */
  encode(w: BinaryWriter): void;
  /** Feeds the order-independent content digest (DEBUG DIGEST-VALUE). */
  digest(hash: (part: Uint8Array) => void): void;
}

/**
 * A value whose check runs elsewhere while the load reads on (a small vector set's image, checked
 * on the load's helper thread: vset/deferred-sets.ts). The snapshot loader settles it once every
 * record is read; only a snapshot load makes one.
 */
export interface PendingValue {
  readonly pending: true;
  /** The value, once its check passed; throws CorruptDataError naming the fault otherwise. */
  settle(): KeyValue;
  /** Gives its memory back (the load failed before it was settled). */
  release(): void;
}

export function isPending(v: KeyValue | PendingValue): v is PendingValue {
  return (v as PendingValue).pending === true;
}

/** Large values are copied into a buffer of their own; a slab holds at least this many of the rest. */
const SLAB_BYTES = 8 * 1024 * 1024;
const SLAB_SHARE = 16;

/**
 * Where a dataset's capture copies its values' bytes: many small copies share one slab. A SAVE
 * of 100,000 small vector sets made 200,000 buffers of a few KiB otherwise, and the collector's
 * work on them (one backing store each) took as long as writing the file.
 */
export class CaptureSlab {
  private slab = new Uint8Array(0);
  private used = 0;

  /** A copy of `bytes` that no later change to them reaches. */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.byteLength;
    if (n > SLAB_BYTES / SLAB_SHARE) return bytes.slice();
    if (this.used + n > this.slab.byteLength) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + n);
    out.set(bytes);
    this.used = (this.used + n + 7) & ~7; // keeps each copy 8-byte aligned, as a buffer of its own is
    return out;
  }
}

/**
 * A capture for a save that writes before any other command runs (SAVE, SHUTDOWN, the first AOF
 * base): nothing can change the values in between, so their bytes are written from where they
 * lie. A SAVE of 1.7 GB of small sets copied all of it first: 1.7 GB more memory for the
 * length of the save, its pages faulted in, and the collector's full marks that so much new
 * external memory sets off (about half the save's CPU with 100,000 sets).
 */
export class InPlaceCapture extends CaptureSlab {
  override copy(bytes: Uint8Array): Uint8Array {
    return bytes;
  }
}

/**
 * What a codec's `read` returns: the step that builds the value, and what gives back the memory
 * `read` took for it when the load stops before that step runs (a later check refused the record).
 */
export interface ValueBuild {
  (): KeyValue | PendingValue;
  release?: () => void;
}

export interface ValueCodec {
  /** Stable id in files; never reuse a number. */
  typeId: number;
  type: KeyTypeName;
  /** `slab`: where a whole dataset's capture copies bytes (a single value's capture copies them alone). */
  capture(value: KeyValue, slab?: CaptureSlab): CapturedValue;
  /**
   * Reads a value's bytes without interpreting them (framing and size limits only) and returns
   * what builds the value from them. The snapshot loader calls that only after the record's
   * checksum matched, so nothing is interpreted from damaged bytes. Both throw CorruptDataError
   * naming the fault.
   */
  read(r: BinaryReader): ValueBuild;
}

/** Reads and builds a value in one step (payloads checked as a whole beforehand: DUMP). */
export function decodeValue(codec: ValueCodec, r: BinaryReader): KeyValue {
  const v = codec.read(r)();
  return isPending(v) ? v.settle() : v;
}

const codecsById = new Map<number, ValueCodec>();
const codecsByType = new Map<KeyTypeName, ValueCodec>();

export function registerCodec(codec: ValueCodec): void {
  codecsById.set(codec.typeId, codec);
  codecsByType.set(codec.type, codec);
}

export function codecForType(type: KeyTypeName): ValueCodec {
  const c = codecsByType.get(type);
  if (!c) throw new Error(`no persistence codec for type ${type}`);
  return c;
}

export function codecForId(id: number): ValueCodec | undefined {
  return codecsById.get(id);
}

registerCodec({
  typeId: 1,
  type: 'string',
  capture(value) {
    const data = Buffer.from((value as StringValue).data);
    return {
      encode: (w) => void w.bytes(data),
      digest: (hash) => hash(data),
    };
  },
  read(r) {
    const data = Buffer.from(r.bytes('string value', 512 * 1024 * 1024));
    return () => new StringValue(data);
  },
});

/** Redis's proto-max-bulk-len ceiling: no field or value can have been sent longer. */
const MAX_HASH_STRING = 512 * 1024 * 1024;

/**
 * A hash: varint field count, then each field and its value as length-prefixed bytes, in the
 * hash's order. The encoding is not stored: a loaded hash is a listpack when it fits one (as
 * Redis loads an RDB hash), whatever it was when saved.
 */
registerCodec({
  typeId: 3,
  type: 'hash',
  capture(value) {
    // Values are never changed in place, so listing the pairs is a consistent capture.
    const pairs = [...(value as HashValue).entries()];
    return {
      encode: (w) => {
        w.varint(pairs.length);
        for (const [f, v] of pairs) w.bytes(Buffer.from(f, 'latin1')).bytes(v);
      },
      // One part per field (its length first, so no two pairs concatenate alike): the digest
      // does not depend on field order, as Redis's DEBUG DIGEST-VALUE of a hash does not.
      digest: (hash) => {
        for (const [f, v] of pairs) {
          const head = Buffer.alloc(4);
          head.writeUInt32LE(f.length, 0);
          hash(Buffer.concat([head, Buffer.from(f, 'latin1'), v]));
        }
      },
    };
  },
  read(r) {
    const n = r.varint('hash field count');
    // Each pair takes at least two bytes: a count the input cannot hold is refused up front.
    if (n === 0 || n > r.remaining / 2) r.fail(`hash field count ${n} does not fit the value`);
    const pairs: Array<[string, Buffer]> = [];
    for (let i = 0; i < n; i++) {
      const f = r.bytes('hash field', MAX_HASH_STRING);
      const field = Buffer.from(f.buffer, f.byteOffset, f.length).toString('latin1');
      // A copy: the reader's bytes may be a view of a network chunk or of its window.
      pairs.push([field, Buffer.from(r.bytes('hash value', MAX_HASH_STRING))]);
    }
    return () => {
      const seen = new Set<string>();
      for (const [f] of pairs) {
        if (seen.has(f)) throw new CorruptDataError(`duplicate hash field '${f.length > 64 ? f.slice(0, 64) + '…' : f}'`);
        seen.add(f);
      }
      return HashValue.fromPairs(pairs);
    };
  },
});
