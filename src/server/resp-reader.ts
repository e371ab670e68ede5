/**
 * Request framing for the Redis protocol: RESP multibulk requests (`*N\r\n$L\r\n…`) and inline
 * commands (`PING\r\n`, as typed into telnet or nc).
 *
 * Why not `redis-parser`: that package parses *replies* for client libraries. It cannot read
 * inline commands, it accepts any bulk length (a `$1099511627776` header makes it buffer until
 * memory runs out) and it validates no integer. A server must refuse oversized or malformed frames
 * as soon as their header arrives, exactly as Redis does, so the framing lives here. It is a small
 * state machine over the bytes received so far; bulk arguments are returned as zero-copy views of
 * the received chunks (never mutated afterwards), and arguments larger than BIG_ARG are assembled
 * in one buffer of their announced size so that a 100 MB value costs one copy, not a quadratic
 * number of concatenations.
 */

/** Limits mirror redis.conf: proto-max-bulk-len, and the fixed caps of networking.c. */
export interface ReaderLimits {
  /** Largest accepted bulk argument (proto-max-bulk-len, 512 MB by default). */
  maxBulkLength: number;
  /** Largest accepted argument count of one multibulk request. */
  maxMultibulkLength: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024 * 1024,
};

/** Redis refuses an inline request or a `*`/`$` header line longer than this (PROTO_INLINE_MAX_SIZE). */
const MAX_LINE = 64 * 1024;
/** Arguments at least this large are assembled in a dedicated buffer (PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;
/** Before authentication Redis caps requests at 10 arguments of 16 KB to limit what a stranger can make it buffer. */
const UNAUTH_MAX_ARGS = 10;
const UNAUTH_MAX_BULK = 16 * 1024;

const CR = 13;
const LF = 10;

export class ProtocolError extends Error {
  /** Text to send after `-ERR Protocol error: `. */
  constructor(readonly reason: string) {
    super(`Protocol error: ${reason}`);
  }
}

/**
 * Parses a strict decimal integer the way Redis's string2ll does: optional '-', no '+', no
 * leading zeros, no spaces, fits in a safe integer. Returns NaN when the text is not such a number.
 */
export function parseStrictInt(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 20) return NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45 /* - */) {
    negative = true;
    i++;
    if (i === end) return NaN;
  }
  if (buf[i] === 48 /* 0 */) return i + 1 === end && !negative ? 0 : NaN;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    value = value * 10 + c;
  }
  if (value > Number.MAX_SAFE_INTEGER) return NaN;
  return negative ? -value : value;
}

type Sink = (argv: Buffer[]) => void;

export class RequestReader {
  /** Unconsumed bytes; `pos` is the read offset into it. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Stream offset of buf[0], and total bytes fed. */
  private bufStart = 0;
  private fed = 0;
  /**
   * Stream offset just past the last request delivered to the sink. The AOF loader uses it to
   * find where a truncated tail begins.
   */
  requestEnd = 0;
  /** Arguments of the multibulk request being read, and how many are still missing. */
  private argv: Buffer[] = [];
  private argsLeft = 0;
  /** Length of the bulk argument being read, or -1 while its `$` header is still expected. */
  private bulkLength = -1;
  /** For a big argument: its buffer and how many bytes (of length + 2) are filled. */
  private big: Buffer | null = null;
  private bigFilled = 0;
  private failed = false;

  constructor(
    private readonly limits: ReaderLimits = DEFAULT_READER_LIMITS,
    /** Whether the connection is authenticated; unauthenticated clients get tighter caps. */
    private readonly isAuthenticated: () => boolean = () => true,
  ) {}

  /** Bytes held for requests not yet complete (the client's query buffer). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + (this.big ? this.bigFilled : 0);
  }

  /**
   * Feeds received bytes; calls `sink` once per complete request, in order. Throws ProtocolError
   * on malformed framing, after having delivered every complete request that preceded the fault
   * (Redis replies to those, then sends the error and closes the connection).
   */
  feed(chunk: Buffer, sink: Sink): void {
    if (this.failed) return;
    let chunkStart = this.fed;
    this.fed += chunk.length;
    if (this.big) {
      const before = chunk.length;
      chunk = this.fillBig(chunk, chunkStart, sink);
      chunkStart += before - chunk.length;
      if (chunk.length === 0) return;
    }
    if (this.pos < this.buf.length) {
      this.bufStart = chunkStart - (this.buf.length - this.pos);
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    } else {
      this.bufStart = chunkStart;
      this.buf = chunk;
    }
    this.pos = 0;
    try {
      this.parse(sink);
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  private parse(sink: Sink): void {
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len) {
      if (this.argsLeft === 0) {
        if (buf[this.pos] === 42 /* * */) {
          const eol = buf.indexOf(CR, this.pos);
          if (eol < 0 || eol + 1 >= len) {
            if (len - this.pos > MAX_LINE) throw new ProtocolError('too big mbulk count string');
            return;
          }
          if (eol - this.pos > MAX_LINE) throw new ProtocolError('too big mbulk count string');
          const n = parseStrictInt(buf, this.pos + 1, eol);
          if (!Number.isFinite(n) || n > this.limits.maxMultibulkLength) {
            throw new ProtocolError('invalid multibulk length');
          }
          if (!this.isAuthenticated() && n > UNAUTH_MAX_ARGS) {
            throw new ProtocolError('unauthenticated multibulk length');
          }
          this.pos = eol + 2;
          if (n <= 0) {
            // `*0` and `*-1` are empty requests: Redis skips them silently.
            this.requestEnd = this.bufStart + this.pos;
            continue;
          }
          this.argv = [];
          this.argsLeft = n;
          this.bulkLength = -1;
        } else {
          if (!this.parseInline(sink)) return;
        }
        continue;
      }
      if (this.bulkLength < 0) {
        if (buf[this.pos] !== 36 /* $ */) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[this.pos]!)}'`);
        }
        const eol = buf.indexOf(CR, this.pos);
        if (eol < 0 || eol + 1 >= len) {
          if (len - this.pos > MAX_LINE) throw new ProtocolError('too big bulk count string');
          return;
        }
        if (eol - this.pos > MAX_LINE) throw new ProtocolError('too big bulk count string');
        const n = parseStrictInt(buf, this.pos + 1, eol);
        if (!Number.isFinite(n) || n < 0 || n > this.limits.maxBulkLength) {
          throw new ProtocolError('invalid bulk length');
        }
        if (!this.isAuthenticated() && n > UNAUTH_MAX_BULK) {
          throw new ProtocolError('unauthenticated bulk length');
        }
        this.pos = eol + 2;
        this.bulkLength = n;
        if (n >= BIG_ARG && len - this.pos < n + 2) {
          // Assemble the argument in a buffer of its final size; later chunks are copied in once.
          this.big = Buffer.allocUnsafe(n + 2);
          const have = len - this.pos;
          buf.copy(this.big, 0, this.pos, len);
          this.bigFilled = have;
          this.pos = len;
          return;
        }
      }
      const n = this.bulkLength;
      if (len - this.pos < n + 2) return;
      const arg = buf.subarray(this.pos, this.pos + n);
      this.pos += n + 2;
      this.requestEnd = this.bufStart + this.pos;
      this.pushArg(arg, sink);
    }
  }

  /** Copies bytes into the big-argument buffer; returns what is left of the chunk after it. */
  private fillBig(chunk: Buffer, chunkStart: number, sink: Sink): Buffer {
    const big = this.big!;
    const want = big.length - this.bigFilled;
    const take = Math.min(want, chunk.length);
    chunk.copy(big, this.bigFilled, 0, take);
    this.bigFilled += take;
    if (this.bigFilled < big.length) return chunk.subarray(chunk.length);
    this.big = null;
    this.bigFilled = 0;
    this.requestEnd = chunkStart + take;
    this.pushArg(big.subarray(0, big.length - 2), sink);
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    return chunk.subarray(take);
  }

  private pushArg(arg: Buffer, sink: Sink): void {
    this.argv.push(arg);
    this.bulkLength = -1;
    if (--this.argsLeft === 0) {
      const argv = this.argv;
      this.argv = [];
      sink(argv);
    }
  }

  /** Reads one inline command line; returns false when the line is not complete yet. */
  private parseInline(sink: Sink): boolean {
    const buf = this.buf;
    const eol = buf.indexOf(LF, this.pos);
    if (eol < 0) {
      if (buf.length - this.pos > MAX_LINE) throw new ProtocolError('too big inline request');
      return false;
    }
    if (eol - this.pos > MAX_LINE) throw new ProtocolError('too big inline request');
    let end = eol;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const argv = splitInlineArgs(buf, this.pos, end);
    this.pos = eol + 1;
    this.requestEnd = this.bufStart + this.pos;
    if (argv === null) throw new ProtocolError('unbalanced quotes in request');
    if (argv.length > 0) sink(argv);
    return true;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline command line like Redis's sdssplitargs: words separated by spaces,
 * "double quotes" with \n \r \t \b \a \xHH escapes, 'single quotes' with only \' escaped. A
 * closing quote must be followed by a space or the end. Returns null on unbalanced quotes.
 * Also used for config-file lines.
 */
export function splitInlineArgs(buf: Uint8Array, start: number, end: number): Buffer[] | null {
  const out: Buffer[] = [];
  let i = start;
  while (true) {
    while (i < end && isSpace(buf[i]!)) i++;
    if (i >= end) return out;
    const bytes: number[] = [];
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      if (inDq) {
        if (i >= end) return null;
        const c = buf[i]!;
        if (c === 92 /* \ */ && i + 3 < end && buf[i + 1] === 120 /* x */ && hexValue(buf[i + 2]!) >= 0 && hexValue(buf[i + 3]!) >= 0) {
          bytes.push(hexValue(buf[i + 2]!) * 16 + hexValue(buf[i + 3]!));
          i += 3;
        } else if (c === 92 && i + 1 < end) {
          i++;
          const e = buf[i]!;
          bytes.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34 /* " */) {
          if (i + 1 < end && !isSpace(buf[i + 1]!)) return null;
          done = true;
        } else {
          bytes.push(c);
        }
      } else if (inSq) {
        if (i >= end) return null;
        const c = buf[i]!;
        if (c === 92 && i + 1 < end && buf[i + 1] === 39 /* ' */) {
          i++;
          bytes.push(39);
        } else if (c === 39) {
          if (i + 1 < end && !isSpace(buf[i + 1]!)) return null;
          done = true;
        } else {
          bytes.push(c);
        }
      } else {
        if (i >= end) break;
        const c = buf[i]!;
        if (isSpace(c)) {
          done = true;
        } else if (c === 34) {
          inDq = true;
        } else if (c === 39) {
          inSq = true;
        } else {
          bytes.push(c);
        }
      }
      if (i < end) i++;
    }
    out.push(Buffer.from(bytes));
  }
}
