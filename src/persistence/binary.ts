/**
 * Little-endian binary records for snapshots, DUMP payloads and vector-set sections. The writer
 * collects chunks (large typed-array payloads are referenced, not copied); the reader checks every
 * bound and throws CorruptDataError with the offset and what was expected, so a damaged file is
 * refused with a precise message instead of being half read.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

export class CorruptDataError extends Error {
  constructor(
    message: string,
    readonly offset = -1,
  ) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message);
  }
}

/** CRC-32 (IEEE), continuing from `previous`. */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlib.crc32(data, previous);
}

/**
 * fsyncs a directory so a rename into it survives a crash. Some filesystems refuse fsync on
 * directories; the rename itself is still atomic there.
 */
export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // not supported on this filesystem
  }
}

const SMALL = 64 * 1024;

export class BinaryWriter {
  private chunks: Uint8Array[] = [];
  private cur = Buffer.allocUnsafe(SMALL);
  private len = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  private room(n: number): void {
    if (this.len + n <= this.cur.length) return;
    this.cut();
    if (n > this.cur.length) this.cur = Buffer.allocUnsafe(n);
  }

  private cut(): void {
    if (this.len === 0) return;
    this.chunks.push(this.cur.subarray(0, this.len));
    this.cur = Buffer.allocUnsafe(SMALL);
    this.len = 0;
  }

  u8(v: number): this {
    this.room(1);
    this.cur[this.len++] = v;
    this.total += 1;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.cur.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    this.total += 4;
    return this;
  }

  i32(v: number): this {
    this.room(4);
    this.cur.writeInt32LE(v | 0, this.len);
    this.len += 4;
    this.total += 4;
    return this;
  }

  /** Unsigned integer up to 2^53, as 8 bytes. */
  u64(v: number): this {
    this.room(8);
    this.cur.writeBigUInt64LE(BigInt(v), this.len);
    this.len += 8;
    this.total += 8;
    return this;
  }

  f32(v: number): this {
    this.room(4);
    this.cur.writeFloatLE(v, this.len);
    this.len += 4;
    this.total += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    this.cur.writeDoubleLE(v, this.len);
    this.len += 8;
    this.total += 8;
    return this;
  }

  /** Unsigned LEB128 varint (values up to 2^53). */
  varint(v: number): this {
    this.room(10);
    while (v >= 0x80) {
      this.cur[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
      this.total++;
    }
    this.cur[this.len++] = v;
    this.total++;
    return this;
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): this {
    this.varint(b.length);
    return this.raw(b);
  }

  /** Bytes without a length; large ones are referenced rather than copied. */
  raw(b: Uint8Array): this {
    if (b.length >= SMALL) {
      this.cut();
      this.chunks.push(b);
    } else {
      this.room(b.length);
      this.cur.set(b, this.len);
      this.len += b.length;
    }
    this.total += b.length;
    return this;
  }

  /** The chunks written so far, in order (the writer must not be used afterwards). */
  finish(): Uint8Array[] {
    this.cut();
    return this.chunks;
  }

  /** Everything as one buffer (for small records). */
  toBuffer(): Buffer {
    return Buffer.concat(this.finish());
  }
}

export class BinaryReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    /** Added to positions in error messages (where this buffer sits in a file). */
    readonly baseOffset = 0,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw new CorruptDataError(message, this.baseOffset + this.pos);
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`truncated data: ${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }

  private view(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(what = 'i32'): number {
    this.need(4, what);
    const v = this.view().getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(what = 'u64'): number {
    this.need(8, what);
    const v = this.view().getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} out of range`);
    return Number(v);
  }

  f32(what = 'f32'): number {
    this.need(4, what);
    const v = this.view().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(what = 'f64'): number {
    this.need(8, what);
    const v = this.view().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  varint(what = 'varint'): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (v > Number.MAX_SAFE_INTEGER) this.fail(`${what} out of range`);
        return v;
      }
      mul *= 0x80;
    }
    return this.fail(`${what} is not a valid varint`);
  }

  /** Length-prefixed bytes, as a view (no copy). */
  bytes(what = 'bytes', max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const n = this.varint(`${what} length`);
    if (n > max) this.fail(`${what} length ${n} exceeds the limit ${max}`);
    return this.raw(n, what);
  }

  raw(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}
