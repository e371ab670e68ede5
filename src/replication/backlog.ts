/**
 * The replication backlog: the last `repl-backlog-size` bytes of the replication stream, kept so
 * that a replica cut off for a moment can continue where it stopped (PSYNC … → +CONTINUE)
 * instead of loading a whole snapshot again.
 *
 * Offsets are Redis's: the stream's bytes are numbered from 1 within one replication history,
 * `master_repl_offset` is the number of the last byte written, and a replica asks for the first
 * byte it lacks (its offset + 1). The backlog holds bytes `firstOffset … firstOffset+histlen-1`.
 * It is a ring: appending never allocates, and the oldest bytes are overwritten.
 */

/** Redis's floor for the backlog (CONFIG_REPL_BACKLOG_MIN_SIZE). */
export const MIN_BACKLOG_SIZE = 16 * 1024;

export class Backlog {
  private buf: Buffer;
  /** Where the next byte goes in `buf`. */
  private head = 0;
  /** Bytes held (at most the ring's size). */
  private held = 0;
  /** Offset of the next byte to be appended. */
  private next: number;

  /** `endOffset` is the stream's current offset: the backlog starts empty after it. */
  constructor(size: number, endOffset: number) {
    this.buf = Buffer.allocUnsafe(Math.max(MIN_BACKLOG_SIZE, size));
    this.next = endOffset + 1;
  }

  get size(): number {
    return this.buf.length;
  }

  get histlen(): number {
    return this.held;
  }

  /** Offset of the oldest byte held (Redis's repl_backlog_first_byte_offset). */
  get firstOffset(): number {
    return this.next - this.held;
  }

  append(data: Uint8Array): void {
    const size = this.buf.length;
    let src = data;
    // Only the last `size` bytes can survive.
    if (src.length > size) src = src.subarray(src.length - size);
    const first = Math.min(src.length, size - this.head);
    this.buf.set(src.subarray(0, first), this.head);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.head = (this.head + src.length) % size;
    this.held = Math.min(size, this.held + src.length);
    this.next += data.length;
  }

  /** Whether a replica asking for the bytes from `offset` on can be served from here. */
  covers(offset: number): boolean {
    return offset >= this.firstOffset && offset <= this.next;
  }

  /** The bytes from `offset` (covered) to the end, as at most two views of the ring. */
  bytesFrom(offset: number): Buffer[] {
    const n = this.next - offset;
    if (n <= 0) return [];
    const size = this.buf.length;
    const start = (this.head - n + size) % size;
    if (start + n <= size) return [this.buf.subarray(start, start + n)];
    return [this.buf.subarray(start), this.buf.subarray(0, n - (size - start))];
  }

  /** CONFIG SET repl-backlog-size: a new ring holding as much of the newest history as fits. */
  resize(size: number): void {
    const newSize = Math.max(MIN_BACKLOG_SIZE, size);
    if (newSize === this.buf.length) return;
    const keep = Math.min(this.held, newSize);
    const tail = Buffer.concat(this.bytesFrom(this.next - keep));
    this.buf = Buffer.allocUnsafe(newSize);
    tail.copy(this.buf, 0);
    this.head = keep % newSize;
    this.held = keep;
  }
}
