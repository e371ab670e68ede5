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

/** A value's bytes do not match the digest it was saved with (damage no CRC covers, see rawIntoDigested). */
export class ImageDigestMismatch extends CorruptDataError {}

/** CRC-32 (IEEE), continuing from `previous`. */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlib.crc32(data, previous);
}

// crc32Combine: the CRC of A‖B from crc(A), crc(B) and |B| (zlib's crc32_combine, which Node does
// not expose), by multiplying crc(A) by x^(8·|B|) modulo the CRC polynomial. It lets a reader
// check each record's CRC and the file's with one CRC pass over the bytes.
const CRC_POLY = 0xedb88320;

/** a·b modulo the CRC polynomial (reflected bit order, as zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ CRC_POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0 … 31. */
const X2N = ((): Uint32Array => {
  const t = new Uint32Array(32);
  let p = 0x40000000; // x^1
  t[0] = p;
  for (let k = 1; k < 32; k++) t[k] = p = multModP(p, p);
  return t;
})();

/** x^(8·n) modulo the polynomial for n below SHIFT_CACHE (0: not made yet; the power is never 0). */
const SHIFT_CACHE = 1024;
const shifts = new Uint32Array(SHIFT_CACHE);

/** x^(8·n) modulo the polynomial: walks the bits of n, starting at k = 3 (the factor 8). */
function shiftOf(n: number): number {
  if (n < SHIFT_CACHE && shifts[n] !== 0) return shifts[n]!;
  let p = 0x80000000; // x^0
  for (let k = 3, m = n; m > 0; k++, m = Math.floor(m / 2)) if (m % 2 === 1) p = multModP(X2N[k & 31]!, p);
  // A load combines each key's record (a few dozen bytes, of a few lengths) into the file's CRC:
  // the power for a short length is made once (a combine took ~0.5 µs, ~0.1 µs with it made).
  if (n < SHIFT_CACHE) shifts[n] = p;
  return p;
}

/** CRC-32 of A‖B given crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(shiftOf(lengthB), crcA >>> 0) ^ crcB) >>> 0;
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
/**
 * A writer's first buffer: most writers hold a record of a few dozen bytes (a key's head, a CRC),
 * and a SAVE makes several per key. Starting each at SMALL made a SAVE of 100,000 small sets
 * allocate ~25 GB of 64 KiB buffers, most of its time in the collector; Buffer.allocUnsafe takes
 * one this small from Node's shared pool.
 */
const FIRST = 256;
const NO_BYTES = Buffer.alloc(0);

/** Unsigned integer up to 2^53, as 8 bytes at `at`. */
function putU64(buf: Buffer, at: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`);
  buf.writeUInt32LE(v % 0x100000000, at);
  buf.writeUInt32LE(Math.floor(v / 0x100000000), at + 4);
}

export class BinaryWriter {
  private chunks: Uint8Array[] = [];
  private cur = Buffer.allocUnsafe(FIRST);
  /** Where the bytes not yet cut into a chunk start in `cur` (a cut leaves the rest of `cur` to what follows). */
  private start = 0;
  private len = 0;
  private total = 0;
  /** The index in `chunks` of the first chunk written by `digested` (all after it are too), or −1. */
  private digestedFrom = -1;
  private digestedTotal = 0;
  /** Where u64PairLater left its 16 bytes. */
  private laterBuf = NO_BYTES;
  private laterAt = 0;
  /** Of the chunks the last `take` returned, how many lead before the digested ones. */
  private checkedTaken = 0;

  get length(): number {
    return this.total;
  }

  /** Bytes written by `digested`: the tail of what was written, which no CRC is to cover. */
  get digestedBytes(): number {
    return this.digestedTotal;
  }

  private room(n: number): void {
    if (this.digestedFrom >= 0) throw new Error('only digested bytes may follow digested bytes');
    if (this.len + n <= this.cur.length) return;
    const pending = this.len - this.start;
    if (pending + n <= SMALL) {
      // Grow the first buffer (doubling up to SMALL) rather than cut it; after a cut the writer
      // is a large one, and its next buffer is SMALL at once.
      let size = this.chunks.length > 0 || this.start > 0 ? SMALL : Math.max(FIRST, this.cur.length * 2);
      while (size < pending + n) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, SMALL));
      grown.set(this.cur.subarray(this.start, this.len));
      // A u64 pair left for later moves with the bytes around it.
      if (this.laterBuf === this.cur) {
        this.laterBuf = grown;
        this.laterAt -= this.start;
      }
      this.cur = grown;
      this.start = 0;
      this.len = pending;
      return;
    }
    this.cut();
    this.cur = Buffer.allocUnsafe(Math.max(n, SMALL));
    this.start = 0;
    this.len = 0;
  }

  /**
   * Ends the bytes written since the last cut as a chunk. What is written next goes on in the
   * same buffer: a snapshot's frames of many keys, each cut before its images, share a few.
   */
  private cut(): void {
    if (this.len === this.start) return;
    this.chunks.push(this.cur.subarray(this.start, this.len));
    this.start = this.len;
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
    putU64(this.cur, this.len, v);
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

  /** A string's latin1 bytes, length-prefixed (what BinaryReader.latin1 reads), without a Buffer made for them. */
  latin1(s: string): this {
    if (s.length >= SMALL) return this.bytes(Buffer.from(s, 'latin1'));
    this.varint(s.length);
    this.room(s.length);
    this.cur.write(s, this.len, s.length, 'latin1');
    this.len += s.length;
    this.total += s.length;
    return this;
  }

  /** Bytes without a length; large ones are referenced rather than copied. */
  raw(b: Uint8Array): this {
    if (this.digestedFrom >= 0) throw new Error('only digested bytes may follow digested bytes');
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

  /**
   * Bytes without a length that a reader takes with rawIntoDigested: checked by a digest of the
   * writer's own, not by the snapshot's CRCs. Only more of them may follow.
   */
  digested(b: Uint8Array): this {
    if (this.digestedFrom < 0) {
      this.cut();
      this.digestedFrom = this.chunks.length;
    }
    if (b.length > 0) this.chunks.push(b);
    this.digestedTotal += b.length;
    this.total += b.length;
    return this;
  }

  /**
   * Two u64s written later (fillU64Pair), when what they say is known: a snapshot record's
   * payload lengths, which precede the payload that one writer writes right after them.
   */
  u64PairLater(): this {
    this.room(16);
    this.laterBuf = this.cur;
    this.laterAt = this.len;
    this.len += 16;
    this.total += 16;
    return this;
  }

  fillU64Pair(a: number, b: number): this {
    if (this.laterBuf === NO_BYTES) throw new Error('no u64 pair left for later');
    putU64(this.laterBuf, this.laterAt, a);
    putU64(this.laterBuf, this.laterAt + 8, b);
    this.laterBuf = NO_BYTES;
    return this;
  }

  /**
   * The chunks written since the last take, in order; the writer goes on after them, and checked
   * bytes may follow digested ones again (one writer for every record of a snapshot).
   * `checkedInTaken` says how many of them lead before the digested ones.
   */
  take(): Uint8Array[] {
    this.cut();
    const chunks = this.chunks;
    this.checkedTaken = this.digestedFrom < 0 ? chunks.length : this.digestedFrom;
    this.chunks = [];
    this.digestedFrom = -1;
    this.digestedTotal = 0;
    return chunks;
  }

  get checkedInTaken(): number {
    return this.checkedTaken;
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
    public buf: Uint8Array,
    start = 0,
    public end = buf.length,
    /** Added to positions in error messages (where this buffer sits in a file). */
    readonly baseOffset = 0,
  ) {
    this.pos = start;
    this.crcPos = start;
    this.segFrom = start;
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

  /** Consumes n bytes; returns their index in `buf` (valid until the next read). */
  protected take(n: number, what: string): number {
    this.need(n, what);
    const i = this.pos;
    this.pos += n;
    return i;
  }

  /** A DataView of `buf`, made again only when `buf` is another array (a FileReader's window grew). */
  private dv: DataView | null = null;
  private dvOf: Uint8Array | null = null;

  private view(): DataView {
    if (this.dvOf !== this.buf) {
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      this.dvOf = this.buf;
    }
    return this.dv!;
  }

  u8(what = 'byte'): number {
    const i = this.take(1, what); // before reading buf: take may refill a FileReader's window
    return this.buf[i]!;
  }

  u32(what = 'u32'): number {
    const i = this.take(4, what); // before view(): take may refill a FileReader's window
    return this.view().getUint32(i, true);
  }

  i32(what = 'i32'): number {
    const i = this.take(4, what); // before view(): take may refill a FileReader's window
    return this.view().getInt32(i, true);
  }

  u64(what = 'u64'): number {
    const i = this.take(8, what);
    // Two words rather than getBigUint64: no BigInt per field (four per key of a snapshot).
    const dv = this.view();
    const hi = dv.getUint32(i + 4, true);
    if (hi > 0x1fffff) this.fail(`${what} out of range`); // past Number.MAX_SAFE_INTEGER
    return hi * 0x100000000 + dv.getUint32(i, true);
  }

  f32(what = 'f32'): number {
    const i = this.take(4, what); // before view(): take may refill a FileReader's window
    return this.view().getFloat32(i, true);
  }

  f64(what = 'f64'): number {
    const i = this.take(8, what);
    return this.view().getFloat64(i, true);
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

  /** Length-prefixed bytes, as a view (no copy; see raw). */
  bytes(what = 'bytes', max = Number.MAX_SAFE_INTEGER): Uint8Array {
    return this.raw(this.lengthPrefix(what, max), what);
  }

  /** The varint length before a field's bytes, refused past `max`. */
  private lengthPrefix(what: string, max: number): number {
    const n = this.varint(`${what} length`);
    if (n > max) this.fail(`${what} length ${n} exceeds the limit ${max}`);
    return n;
  }

  /**
   * Length-prefixed bytes as a latin1 string (a key's name), decoded where they lie: a
   * FileReader's raw() would copy them out of its window first.
   */
  latin1(what = 'bytes', max = Number.MAX_SAFE_INTEGER): string {
    const n = this.lengthPrefix(what, max);
    const i = this.take(n, what);
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + i, n).toString('latin1');
  }

  /** n bytes as a view of the input (a FileReader returns a copy). */
  raw(n: number, what = 'bytes'): Uint8Array {
    const i = this.take(n, what);
    return this.buf.subarray(i, i + n);
  }

  /** Copies the next `target.length` bytes into target (a FileReader reads them straight there). */
  rawInto(target: Uint8Array, what = 'bytes'): void {
    const i = this.take(target.length, what);
    target.set(this.buf.subarray(i, i + target.length));
  }

  // ---- checksums: the input is cut into segments (records); each segment's CRC, and the CRC of
  // everything read, come from one CRC pass over the bytes, taken lazily as far as `pos`.

  /** Bytes [crcPos … pos) are not yet in segCrc. */
  protected crcPos: number;
  protected segCrc = 0;
  private segFrom: number;
  /** CRC of everything before segFrom. */
  private before = 0;
  /** Bytes of the segment no CRC covers (rawIntoDigested). */
  private segDigested = 0;

  /** The input offset of buf[0]: 0 here, the window's start in a FileReader. */
  protected winStart = 0;

  /**
   * Bytes read by rawIntoUnchecked: `bytes` of them, the CRC of the first `folded` (foldPieceCrc),
   * and the CRC of the `afterBytes` read (checked) since; null when there are none.
   */
  private unchecked: { bytes: number; folded: number; crc: number; after: number; afterBytes: number } | null = null;

  /** Folds the bytes consumed since the last fold (still in `buf`) into the segment CRC. */
  protected foldCrc(): void {
    if (this.pos <= this.crcPos) return;
    this.addCrc(this.buf.subarray(this.crcPos - this.winStart, this.pos - this.winStart));
    this.crcPos = this.pos;
  }

  /** Adds checked bytes to the checksums (after any unchecked ones still to be folded). */
  protected addCrc(bytes: Uint8Array): void {
    const u = this.unchecked;
    if (u === null) {
      this.segCrc = crc32(bytes, this.segCrc);
    } else {
      u.after = crc32(bytes, u.after);
      u.afterBytes += bytes.length;
    }
  }

  /**
   * rawInto without checksumming the bytes: the caller takes their CRC-32 itself (on another
   * thread, say: image/piece-crc.ts) and folds it in with foldPieceCrc, in order, before the
   * segment's checksum is asked for. Reading on meanwhile is fine; unchecked reads must follow
   * each other.
   */
  rawIntoUnchecked(target: Uint8Array, what = 'bytes'): void {
    this.foldCrc();
    const u = (this.unchecked ??= { bytes: 0, folded: 0, crc: 0, after: 0, afterBytes: 0 });
    if (u.afterBytes > 0) throw new Error('unchecked reads must follow each other');
    this.readUncheckedAt(target, 0, target.length, what);
    this.crcPos = this.pos;
    u.bytes += target.length;
  }

  /** rawInto of `n` bytes into `dest` from byte `at` on, without a checksum (see rawIntoUnchecked). */
  protected readUncheckedAt(dest: Uint8Array, at: number, n: number, what: string): void {
    const i = this.take(n, what);
    dest.set(this.buf.subarray(i, i + n), at);
  }

  /**
   * rawInto for bytes no CRC covers at all: a vector set's images, which its codec checks against
   * its own digest (image/image-digest.ts). The snapshot frames them as the tail of a payload (see
   * snapshot.ts), so the segment's and the file's CRCs are of every other byte.
   */
  rawIntoDigested(target: Uint8Array, what = 'bytes'): void {
    this.rawIntoDigestedAt(target, 0, target.length, what);
  }

  /**
   * rawIntoDigested of `n` bytes into `dest` from byte `at` on: a small set's images go into its
   * block of an arena through a view of the whole arena, not a view of the block made for each.
   */
  rawIntoDigestedAt(dest: Uint8Array, at: number, n: number, what = 'bytes'): void {
    if (this.unchecked !== null) throw new Error('digested bytes cannot follow unfolded unchecked ones');
    if (at < 0 || at + n > dest.length) throw new RangeError(`${what}: ${n} bytes at ${at} do not fit a destination of ${dest.length}`);
    this.foldCrc();
    this.readUncheckedAt(dest, at, n, what);
    this.crcPos = this.pos;
    this.segDigested += n;
  }

  /** Passes over `n` bytes as rawIntoDigested would read them (a walk of a file's framing). */
  skipDigested(n: number, what = 'bytes'): void {
    if (this.unchecked !== null) throw new Error('digested bytes cannot follow unfolded unchecked ones');
    this.need(n, what);
    this.foldCrc();
    this.pos += n;
    this.crcPos = this.pos;
    this.segDigested += n;
  }

  /** Bytes of the current segment read by rawIntoDigested. */
  get digestedInSegment(): number {
    return this.segDigested;
  }

  /** Folds the CRC-32 of the next `bytes` unchecked bytes into the checksums. */
  foldPieceCrc(crc: number, bytes: number): void {
    const u = this.unchecked;
    if (u === null || u.folded + bytes > u.bytes) throw new Error('folding a checksum of bytes not read unchecked');
    u.crc = crc32Combine(u.crc, crc, bytes);
    u.folded += bytes;
    if (u.folded < u.bytes) return;
    this.unchecked = null;
    this.segCrc = crc32Combine(crc32Combine(this.segCrc, u.crc, u.bytes), u.after, u.afterBytes);
  }

  /** Starts a new segment at the current position. */
  mark(): void {
    this.before = this.crcAll();
    this.segCrc = 0;
    this.segFrom = this.pos;
    this.segDigested = 0;
  }

  /** CRC-32 of the bytes from the last mark to the current position, digested ones aside. */
  segmentCrc(): number {
    if (this.unchecked !== null) throw new Error('the checksums of bytes read unchecked were not folded in');
    this.foldCrc();
    return this.segCrc >>> 0;
  }

  /** CRC-32 of every byte from the first mark (or the start) to the current position, digested ones aside. */
  crcAll(): number {
    return crc32Combine(this.before, this.segmentCrc(), this.pos - this.segFrom - this.segDigested);
  }
}
