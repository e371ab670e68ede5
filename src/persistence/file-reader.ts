// The snapshot loader's reader (FileReader): a BinaryReader over a file, in a file of its own
// (binary.ts holds the formats' writer and in-memory reader).
import fs from 'node:fs';
import { BinaryReader, CorruptDataError } from './binary.js';

/** Values up to this size are read through the window (FileReader.readInto). */
const SMALL_THROUGH_WINDOW = 64 * 1024;

/**
 * A BinaryReader over a file, reading as it goes instead of holding the file in memory: small
 * fields come through a window buffer, and `rawInto` reads large ones (a vector set's images)
 * from the file straight into their destination — shared memory — so a load touches each byte
 * once on the way in, and each byte is checksummed right after it arrives, while it is in cache.
 * Positions are file offsets.
 */
export class FileReader extends BinaryReader {
  private winLen = 0;

  constructor(
    private readonly fd: number,
    size: number,
    private readonly window = 256 * 1024,
  ) {
    super(new Uint8Array(0), 0, size, 0);
  }

  static open(file: string): FileReader {
    const fd = fs.openSync(file, 'r');
    try {
      return new FileReader(fd, fs.fstatSync(fd).size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /** Reads `n` bytes at file offset `offset` into `dest` from byte `at` on. */
  private readAt(dest: Uint8Array, at: number, n: number, offset: number): void {
    let done = 0;
    while (done < n) {
      const got = fs.readSync(this.fd, dest, at + done, n - done, offset + done);
      if (got === 0) throw new CorruptDataError('file shrank while being read', offset + done);
      done += got;
    }
  }

  protected override take(n: number, what: string): number {
    this.need(n, what);
    if (this.pos + n > this.winStart + this.winLen) {
      this.foldCrc();
      const len = Math.min(Math.max(n, this.window), this.end - this.pos);
      if (this.buf.length < len) this.buf = new Uint8Array(Math.max(len, this.window));
      this.readAt(this.buf, 0, len, this.pos);
      this.winStart = this.pos;
      this.winLen = len;
    }
    const i = this.pos - this.winStart;
    this.pos += n;
    return i;
  }

  override raw(n: number, what = 'bytes'): Uint8Array {
    const out = new Uint8Array(n);
    this.rawInto(out, what);
    return out;
  }

  override rawInto(target: Uint8Array, what = 'bytes'): void {
    this.readInto(target, 0, target.length, what, true);
  }

  protected override readUncheckedAt(dest: Uint8Array, at: number, n: number, what: string): void {
    this.readInto(dest, at, n, what, false);
  }

  /** `n` bytes into `dest` from byte `at` on (no view of the destination is made for them). */
  private readInto(dest: Uint8Array, at: number, n: number, what: string, checksum: boolean): void {
    this.need(n, what);
    this.foldCrc();
    if (n <= SMALL_THROUGH_WINDOW && this.pos + n > this.winStart + this.winLen) {
      // A small value (the images of a small vector set, read into its arena block): one read of
      // a whole window serves it and the next ones — a snapshot of 20,000 small sets made 60,000
      // reads of the file otherwise, a quarter of its load time.
      const len = Math.min(Math.max(n, this.window), this.end - this.pos);
      if (this.buf.length < len) this.buf = new Uint8Array(Math.max(len, this.window));
      this.readAt(this.buf, 0, len, this.pos);
      this.winStart = this.pos;
      this.winLen = len;
    }
    // What the window already holds, then the rest straight from the file in slices small
    // enough to be checksummed from cache.
    const inWindow = Math.max(0, Math.min(n, this.winStart + this.winLen - this.pos));
    if (inWindow > 0) {
      const w = this.pos - this.winStart;
      dest.set(this.buf.subarray(w, w + inWindow), at);
      if (checksum) this.addCrc(dest.subarray(at, at + inWindow));
    }
    const SLICE = 1024 * 1024;
    for (let off = inWindow; off < n; off += SLICE) {
      const len = Math.min(SLICE, n - off);
      this.readAt(dest, at + off, len, this.pos + off);
      if (checksum) this.addCrc(dest.subarray(at + off, at + off + len));
    }
    this.pos += n;
    this.crcPos = this.pos;
  }
}
