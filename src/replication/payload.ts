/**
 * Receiving a full sync's snapshot on the replica: the primary sends either
 *
 *   $<length>\r\n<length bytes>            (a snapshot written to disk first), or
 *   $EOF:<40 bytes>\r\n<bytes><the 40 bytes>  (streamed while it is encoded: capa eof)
 *
 * with no CRLF after the bytes, then the command stream begins. Bare newlines may come first
 * (the primary keeps the link alive while it prepares the snapshot). The bytes go to a
 * temporary file in `dir`, as Redis's temp-<time>.<pid>.rdb, which the caller renames over the
 * snapshot file and loads exactly as a restart would. Whatever follows the payload in the last
 * chunk is handed back as the start of the stream.
 *
 * The end mark is looked for across chunk boundaries (the last 39 bytes of a chunk are held
 * back until the next one shows they are not the mark), so a stream that follows the mark in
 * the same chunk is found too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LinkProtocolError } from './link-readers.js';

const MARK_LEN = 40;
const MAX_HEADER = 1024;

export interface PayloadProgress {
  /** Announced size, or -1 for the EOF-mark form. */
  total: number;
  received: number;
}

export class PayloadReceiver implements PayloadProgress {
  total = -1;
  received = 0;
  readonly file: string;
  private fd: number;
  private header: Buffer | null = Buffer.alloc(0);
  private mark: Buffer | null = null;
  /** Bytes that may be the start of the end mark, not yet written (EOF form). */
  private held: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(dir: string) {
    this.file = path.join(dir, `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.${Math.floor(Math.random() * 1e6)}.vsdb`);
    this.fd = fs.openSync(this.file, 'wx', 0o644);
  }

  get usesMark(): boolean {
    return this.mark !== null;
  }

  /**
   * Takes bytes from the primary. Returns null while more payload is expected, or, once the
   * payload is complete, the bytes after it (the start of the command stream). Throws
   * LinkProtocolError for a header that is not a payload header, and the file system's errors.
   */
  feed(chunk: Buffer): Buffer | null {
    if (this.done) return chunk;
    if (this.header !== null) {
      const body = this.readHeader(chunk);
      if (body === null) return null;
      chunk = body;
    }
    if (this.mark === null) {
      const take = Math.min(chunk.length, this.total - this.received);
      this.write(chunk.subarray(0, take));
      if (this.received < this.total) return null;
      return this.finish(chunk.subarray(take));
    }
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const at = data.indexOf(this.mark);
    if (at >= 0) {
      this.write(data.subarray(0, at));
      this.held = Buffer.alloc(0);
      return this.finish(data.subarray(at + MARK_LEN));
    }
    const keep = Math.min(MARK_LEN - 1, data.length);
    this.write(data.subarray(0, data.length - keep));
    this.held = Buffer.from(data.subarray(data.length - keep));
    return null;
  }

  /** Parses `$<len>\r\n` or `$EOF:<mark>\r\n` after any keep-alive newlines; returns what follows. */
  private readHeader(chunk: Buffer): Buffer | null {
    let data = this.header!.length === 0 ? chunk : Buffer.concat([this.header!, chunk]);
    for (;;) {
      const nl = data.indexOf(10);
      if (nl < 0) {
        if (data.length > MAX_HEADER) throw new LinkProtocolError('no payload header in the first KiB after +FULLRESYNC');
        this.header = Buffer.from(data);
        return null;
      }
      const line = data.toString('latin1', 0, nl).replace(/\r$/, '');
      data = data.subarray(nl + 1);
      if (line === '') continue; // a keep-alive newline
      if (line.startsWith('-')) throw new LinkProtocolError(`MASTER aborted replication with an error: ${line.slice(1)}`);
      if (!line.startsWith('$')) {
        throw new LinkProtocolError(`Bad protocol from MASTER, the first byte is not '$' (we received '${line.slice(0, 64)}'), are you sure the host and port are right?`);
      }
      if (line.startsWith('$EOF:')) {
        const mark = line.slice(5);
        if (mark.length !== MARK_LEN) throw new LinkProtocolError(`an end mark of ${mark.length} bytes (40 expected)`);
        this.mark = Buffer.from(mark, 'latin1');
      } else {
        if (!/^\$\d{1,15}$/.test(line)) throw new LinkProtocolError(`a bad payload length '${line.slice(0, 64)}'`);
        this.total = Number(line.slice(1));
      }
      this.header = null;
      return data;
    }
  }

  private write(b: Buffer): void {
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.fd, b, off, b.length - off);
    this.received += b.length;
  }

  /** The payload is complete: fsync and close the file; returns the bytes after it. */
  private finish(rest: Buffer): Buffer {
    this.done = true;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    return rest;
  }

  get complete(): boolean {
    return this.done;
  }

  /** Abandons the transfer: the file is removed. */
  discard(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    fs.rmSync(this.file, { force: true });
  }
}
