/**
 * What a replica reads from its primary, parsed with redis-parser (the parser of Redis replies,
 * which is exactly what a primary sends a replica):
 *
 * - HandshakeReplies: the one-line replies of the handshake (+PONG, +OK, -NOAUTH …,
 *   +FULLRESYNC <replid> <offset>, +CONTINUE [<replid>]). A primary may send bare newlines while
 *   it prepares a snapshot, to keep the link alive; those are not RESP and are taken out before
 *   the parser sees anything. Lines are handed to the parser one at a time, so the bytes after
 *   the PSYNC reply (the snapshot, or the stream) stay here for the next phase.
 * - CommandStream: the live stream of commands, each an array of bulk strings.
 *
 * The primary is a peer on the network, so nothing it sends is trusted: a reply that is not the
 * expected shape, bytes that are not RESP, or more unfinished input than the configured limit
 * end the link (LinkProtocolError / a fault text), never the process. redis-parser does not
 * bound lengths itself, so the stream counts what it has fed but not yet received as commands.
 */
import RedisParser from 'redis-parser';
import { encodeCommand } from '../persistence/aof.js';

export class LinkProtocolError extends Error {}

export interface HandshakeReply {
  error: boolean;
  text: string;
}

/** Longest handshake reply line accepted (Redis reads them into a 256-byte buffer). */
const MAX_REPLY_LINE = 64 * 1024;

export class HandshakeReplies {
  private buf: Buffer = Buffer.alloc(0);
  private got: HandshakeReply | null = null;
  private fault: string | null = null;
  private readonly parser = new RedisParser({
    returnReply: (r: unknown) => {
      this.got = { error: false, text: typeof r === 'string' ? r : String(r) };
    },
    returnError: (e: Error) => {
      this.got = { error: true, text: e.message };
    },
    returnFatalError: (e: Error) => {
      this.fault = e.message;
    },
  });

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next reply, 'keepalive' for a bare newline, or null until a whole line is here. */
  next(): HandshakeReply | 'keepalive' | null {
    const nl = this.buf.indexOf(10);
    if (nl < 0) {
      if (this.buf.length > MAX_REPLY_LINE) throw new LinkProtocolError('a reply line longer than 64 KiB');
      return null;
    }
    const line = this.buf.subarray(0, nl + 1);
    this.buf = this.buf.subarray(nl + 1);
    if (line.length === 1 || (line.length === 2 && line[0] === 13)) return 'keepalive';
    this.got = null;
    this.fault = null;
    try {
      this.parser.execute(Buffer.from(line));
    } catch (e) {
      this.fault = (e as Error).message;
    }
    const got = this.got;
    if (this.fault !== null || got === null) {
      this.parser.reset();
      const shown = line.toString('latin1', 0, Math.min(line.length, 64)).replace(/[\r\n]/g, '');
      throw new LinkProtocolError(`a reply that is not a one-line status or error: '${shown}'`);
    }
    return got;
  }

  /** The bytes after the last reply taken (the start of the snapshot or of the stream). */
  rest(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }
}

/**
 * The command stream. `onCommand` receives each command's arguments (views that live as long as
 * the call: copy what is kept) and its canonical RESP encoding, which is what the offsets count
 * and what goes on to this server's own backlog and replicas (for a canonical stream, as every
 * Redis and vsetd primary sends, those are the very bytes received).
 */
export class CommandStream {
  /** Bytes fed that have not come out as commands yet. */
  private pending = 0;
  private fault: string | null = null;
  private readonly parser: RedisParser;

  constructor(
    private readonly onCommand: (argv: Buffer[], encoded: Buffer) => void,
    private readonly maxPending: () => number,
  ) {
    this.parser = new RedisParser({
      returnBuffers: true,
      returnReply: (r: unknown) => this.reply(r),
      returnError: (e: Error) => this.fail(`an error reply in the command stream: ${e.message}`),
      returnFatalError: (e: Error) => this.fail(e.message),
    });
  }

  /** Feeds bytes of the stream; returns why the link must end, or null. */
  feed(chunk: Buffer): string | null {
    if (this.fault !== null) return this.fault;
    this.pending += chunk.length;
    try {
      this.parser.execute(chunk);
    } catch (e) {
      // An absurd array length, say: the parser throws rather than reports.
      this.fail(`unparsable command stream (${(e as Error).message})`);
    }
    const max = this.maxPending();
    if (this.fault === null && this.pending > max) this.fail(`more than ${max} bytes of an unfinished command`);
    return this.fault;
  }

  private fail(why: string): void {
    if (this.fault === null) this.fault = why;
  }

  private reply(r: unknown): void {
    if (this.fault !== null) return;
    if (!Array.isArray(r) || r.length === 0 || !r.every((a) => Buffer.isBuffer(a))) {
      this.fail('the command stream holds a reply that is not a command (an array of bulk strings)');
      return;
    }
    const argv = r as Buffer[];
    const encoded = encodeCommand(argv);
    this.pending -= encoded.length;
    this.onCommand(argv, encoded);
  }
}
