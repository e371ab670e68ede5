/**
 * Reply encoding for one connection, in the protocol the connection speaks at the moment a reply
 * is written (RESP2, or RESP3 after HELLO 3). Handlers call the typed methods (map, double, bool,
 * null …) and the downgrade rules of RESP2 are applied here in one place:
 *   map → flat array of 2n, set → array, double → bulk string, boolean → integer 1/0,
 *   null → $-1 (or *-1 for a "null array"), verbatim string → plain bulk string.
 *
 * Bytes accumulate in a growable buffer; very large bulk payloads are kept as separate chunks so
 * they are not copied. `take()` hands the encoded chunks to the connection for writing.
 */
import { formatDouble } from './double-format.js';

export type Protocol = 2 | 3;

const INITIAL = 16 * 1024;
/** Payloads at least this large are passed through as their own chunk instead of being copied. */
const PASS_THROUGH = 64 * 1024;

const SMALL_INTS: Buffer[] = [];
for (let i = 0; i < 64; i++) SMALL_INTS.push(Buffer.from(String(i)));

/** The bytes in a list of chunks (replies ready to send, or still being written). */
export function chunkBytes(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

export class ReplyWriter {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL);
  private len = 0;
  private chunks: Buffer[] = [];
  /** Count of replies written; lets the dispatcher check a handler replied exactly once. */
  replies = 0;
  /** Count of error replies and the last one, for INFO errorstats and commandstats failed_calls. */
  errors = 0;
  lastError = '';

  constructor(public protocol: Protocol = 2) {}

  get resp3(): boolean {
    return this.protocol === 3;
  }

  /** Total bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.len + chunkBytes(this.chunks);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private ascii(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  private byte(c: number): void {
    this.ensure(1);
    this.buf[this.len++] = c;
  }

  private crlf(): void {
    this.ensure(2);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  private bytes(b: Uint8Array): void {
    // Large payloads are referenced, not copied — except views of shared memory (a vector set's
    // names and attributes), which another thread may change after this call.
    if (b.length >= PASS_THROUGH && !(b.buffer instanceof SharedArrayBuffer)) {
      this.cutChunk();
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      return;
    }
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private number(n: number): void {
    if (n >= 0 && n < 64 && Number.isInteger(n)) this.bytes(SMALL_INTS[n]!);
    else this.ascii(String(n));
  }

  /** Moves the bytes written so far into the chunk list. */
  private cutChunk(): void {
    if (this.len === 0) return;
    this.chunks.push(Buffer.from(this.buf.subarray(0, this.len)));
    this.len = 0;
  }

  /** A position to rewind to if a handler fails halfway through its reply. */
  mark(): { chunks: number; len: number } {
    return { chunks: this.chunks.length, len: this.len };
  }

  /** Drops everything written after `m` (taken chunks excepted). */
  rewind(m: { chunks: number; len: number }): void {
    if (this.chunks.length < m.chunks) return; // taken meanwhile: nothing left to drop safely
    if (this.chunks.length === m.chunks) {
      if (this.len >= m.len) this.len = m.len;
      return;
    }
    // The bytes before the mark were moved into chunk m.chunks when a big payload was cut in.
    const first = this.chunks[m.chunks]!;
    this.chunks.length = m.chunks;
    this.len = 0;
    this.ensure(m.len);
    this.buf.set(first.subarray(0, m.len), 0);
    this.len = m.len;
  }

  /** Returns everything written since the last take, as chunks to write in order. */
  take(): Buffer[] {
    if (this.chunks.length === 0) {
      if (this.len === 0) return [];
      const out = Buffer.from(this.buf.subarray(0, this.len));
      this.len = 0;
      if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(INITIAL);
      return [out];
    }
    this.cutChunk();
    const out = this.chunks;
    this.chunks = [];
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(INITIAL);
    return out;
  }

  // ---- replies -------------------------------------------------------------------------------

  /** `+OK` and friends. The text must not contain CR or LF. */
  simple(s: string): void {
    this.replies++;
    this.byte(43);
    this.ascii(s);
    this.crlf();
  }

  ok(): void {
    this.simple('OK');
  }

  /** An error reply; `msg` includes its code (`ERR …`, `WRONGTYPE …`). CR/LF become spaces. */
  error(msg: string): void {
    this.replies++;
    this.errors++;
    this.lastError = msg;
    this.byte(45);
    this.ascii(msg.replace(/[\r\n]/g, ' '));
    this.crlf();
  }

  integer(n: number | bigint): void {
    this.replies++;
    this.byte(58);
    if (typeof n === 'bigint') this.ascii(n.toString());
    else this.number(n);
    this.crlf();
  }

  bulk(b: Uint8Array | string): void {
    this.replies++;
    const data = typeof b === 'string' ? Buffer.from(b) : b;
    this.byte(36);
    this.number(data.length);
    this.crlf();
    this.bytes(data);
    this.crlf();
  }

  /** A bulk reply or a null when the value is missing. */
  bulkOrNull(b: Uint8Array | string | null | undefined): void {
    if (b === null || b === undefined) this.null();
    else this.bulk(b);
  }

  /** Null bulk in RESP2 (`$-1`), `_` in RESP3. */
  null(): void {
    this.replies++;
    if (this.protocol === 3) this.ascii('_\r\n');
    else this.ascii('$-1\r\n');
  }

  /** Null array in RESP2 (`*-1`), `_` in RESP3. */
  nullArray(): void {
    this.replies++;
    if (this.protocol === 3) this.ascii('_\r\n');
    else this.ascii('*-1\r\n');
  }

  /** Starts an array of n elements; the caller then writes n replies. */
  array(n: number): void {
    this.replies++;
    this.byte(42);
    this.number(n);
    this.crlf();
  }

  /**
   * Starts a push of n elements: `>` in RESP3, a plain array in RESP2. Pub/sub confirmations and
   * messages are pushes, so a RESP3 client can tell them from the reply to its own command.
   */
  push(n: number): void {
    this.replies++;
    this.byte(this.protocol === 3 ? 62 : 42);
    this.number(n);
    this.crlf();
  }

  /** Starts a map of n pairs (2n replies follow); a flat array of 2n in RESP2. */
  map(n: number): void {
    this.replies++;
    if (this.protocol === 3) {
      this.byte(37);
      this.number(n);
    } else {
      this.byte(42);
      this.number(2 * n);
    }
    this.crlf();
  }

  /** Starts a set of n elements; an array in RESP2. */
  set(n: number): void {
    this.replies++;
    this.byte(this.protocol === 3 ? 126 : 42);
    this.number(n);
    this.crlf();
  }

  double(v: number): void {
    if (this.protocol === 3) {
      this.replies++;
      this.byte(44);
      this.ascii(formatDouble(v));
      this.crlf();
    } else {
      this.bulk(formatDouble(v));
    }
  }

  bool(v: boolean): void {
    if (this.protocol === 3) {
      this.replies++;
      this.ascii(v ? '#t\r\n' : '#f\r\n');
    } else {
      this.integer(v ? 1 : 0);
    }
  }

  /** Verbatim string (`=len\r\ntxt:…`) in RESP3, plain bulk in RESP2. */
  verbatim(text: string, format = 'txt'): void {
    if (this.protocol === 3) {
      this.replies++;
      const data = Buffer.from(text);
      this.byte(61);
      this.number(data.length + 4);
      this.crlf();
      this.ascii(format + ':');
      this.bytes(data);
      this.crlf();
    } else {
      this.bulk(text);
    }
  }

  /** An array of bulk strings. */
  bulkArray(items: ReadonlyArray<Uint8Array | string>): void {
    this.array(items.length);
    for (const it of items) this.bulk(it);
  }

  /** Pre-encoded reply bytes (e.g. built by a search worker for this connection's protocol). */
  raw(bytes: Uint8Array, replyCount = 1): void {
    this.replies += replyCount;
    this.bytes(bytes);
  }
}
