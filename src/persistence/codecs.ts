/**
 * How each key type is written to and read from snapshots and DUMP payloads. A codec first
 * `capture`s a value — a consistent, immutable view taken on the main thread between commands
 * (cheap: a copy of a string, or of a vector set's buffers) — and the capture is encoded later,
 * possibly while clients keep changing the live value (BGSAVE, BGREWRITEAOF).
 */
import type { KeyTypeName, KeyValue } from '../keyspace/value.js';
import { StringValue } from '../keyspace/value.js';
import type { BinaryReader, BinaryWriter } from './binary.js';

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

export interface ValueCodec {
  /** Stable id in files; never reuse a number. */
  typeId: number;
  type: KeyTypeName;
  capture(value: KeyValue): CapturedValue;
  /**
   * Reads a value's bytes without interpreting them (framing and size limits only) and returns
   * what builds the value from them. The snapshot loader calls that only after the record's
   * checksum matched, so nothing is interpreted from damaged bytes. Both throw CorruptDataError
   * naming the fault.
   */
  read(r: BinaryReader): () => KeyValue | PendingValue;
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
