/**
 * What a key can hold. vsetd has three types: a small string type (so health checks, SET/GET and
 * WRONGTYPE behave as users expect from Redis), the hash (the documents FT.* indexes read; see
 * hash-value.ts) and the vector set. Every value reports its memory
 * and is told when it leaves the keyspace for good, so a vector set can defer freeing its shared
 * memory until searches that still read it have finished.
 */

/** Type names as TYPE reports them. */
export type KeyTypeName = 'string' | 'hash' | 'vectorset';

export interface KeyValue {
  readonly type: KeyTypeName;
  /** Bytes used by the value (MEMORY USAGE). */
  memoryUsage(): number;
  /** OBJECT ENCODING. */
  encoding(): string;
  /** Elements held, for collections (a vector set's VCARD); for the load's log line. */
  elementCount?(): number;
  /** Called once when the value is deleted, overwritten, flushed or expired. */
  release?(): void;
}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** Largest integer Redis keeps as an `int` encoded string (fits a long long). */
const EMBSTR_LIMIT = 44;

export class StringValue implements KeyValue {
  readonly type = 'string' as const;
  constructor(public data: Buffer) {}

  memoryUsage(): number {
    // Object header + sds header + payload, as Redis would count it (rounded like jemalloc's small classes).
    return 16 + 3 + this.data.length + 1;
  }

  encoding(): string {
    const s = this.data;
    if (s.length <= 20 && s.length > 0 && /^(0|-?[1-9]\d*)$/.test(s.toString('latin1'))) {
      const n = BigInt(s.toString('latin1'));
      if (n >= -(2n ** 63n) && n < 2n ** 63n) return 'int';
    }
    return s.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
  }
}
