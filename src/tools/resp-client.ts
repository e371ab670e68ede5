/**
 * A small RESP2 client for the command-line tools (import-faiss, export, import): connect by URL,
 * send commands pipelined, read replies. The tools need nothing more, and the server's runtime
 * dependencies stay at msgpackr alone (ioredis is a dev dependency for the tests).
 *
 * Replies: simple strings as string, errors as ReplyError values (never thrown by `send`, so a
 * pipeline's replies stay in order and the caller decides), integers as number, bulk strings as
 * Buffer (binary-safe: vectors, attributes), nil as null, arrays as Reply[].
 */
import net from 'node:net';
import tls from 'node:tls';

export class ReplyError {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}

export type Reply = string | number | Buffer | null | ReplyError | Reply[];

/** What `redis://user:pass@host:port/db`, `rediss://…` or `unix:///path?db=n` says. */
export interface Endpoint {
  host: string;
  port: number;
  path: string | null;
  tls: boolean;
  username: string | null;
  password: string | null;
  db: number;
}

export function parseUrl(text: string): Endpoint {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`invalid --url '${text}': expected redis://[user:password@]host[:port][/db]`);
  }
  const ep: Endpoint = { host: '127.0.0.1', port: 6379, path: null, tls: false, username: null, password: null, db: 0 };
  if (u.protocol === 'unix:') {
    ep.path = decodeURIComponent(u.pathname);
    const db = u.searchParams.get('db');
    if (db !== null) ep.db = Number(db);
  } else if (u.protocol === 'redis:' || u.protocol === 'rediss:') {
    ep.tls = u.protocol === 'rediss:';
    if (u.hostname !== '') ep.host = u.hostname.replace(/^\[|\]$/g, '');
    if (u.port !== '') ep.port = Number(u.port);
    const db = u.pathname.replace(/^\//, '');
    if (db !== '') ep.db = Number(db);
  } else {
    throw new Error(`invalid --url '${text}': the scheme must be redis://, rediss:// or unix://`);
  }
  if (u.username !== '') ep.username = decodeURIComponent(u.username);
  if (u.password !== '') ep.password = decodeURIComponent(u.password);
  if (!Number.isInteger(ep.db) || ep.db < 0) throw new Error(`invalid database number in --url '${text}'`);
  if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) throw new Error(`invalid port in --url '${text}'`);
  return ep;
}

export type Arg = string | Buffer | Uint8Array | number;

function encodeCommand(args: readonly Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : typeof a === 'number' ? Buffer.from(String(a)) : Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Replies parsed incrementally from the bytes received so far. */
class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  push(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): Reply | undefined {
    const start = this.pos;
    const r = this.parse();
    if (r === undefined) this.pos = start;
    return r;
  }

  private line(): string | undefined {
    const eol = this.buf.indexOf('\r\n', this.pos);
    if (eol < 0) return undefined;
    const s = this.buf.toString('utf8', this.pos + 1, eol);
    this.pos = eol + 2;
    return s;
  }

  private parse(): Reply | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const type = this.buf[this.pos]!;
    const text = this.line();
    if (text === undefined) return undefined;
    switch (type) {
      case 0x2b: // +
        return text;
      case 0x2d: // -
        return new ReplyError(text);
      case 0x3a: // :
        return Number(text);
      case 0x24: {
        // $
        const len = Number(text);
        if (len < 0) return null;
        if (this.buf.length < this.pos + len + 2) return undefined;
        const b = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
        this.pos += len + 2;
        return b;
      }
      case 0x2a: {
        // *
        const n = Number(text);
        if (n < 0) return null;
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const r = this.parse();
          if (r === undefined) return undefined;
          out.push(r);
        }
        return out;
      }
      default:
        throw new Error(`unexpected reply type byte 0x${type.toString(16)} from the server`);
    }
  }
}

export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new Error(`connection error: ${e.message}`)));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  /** Connects, authenticates and selects the database the URL names. */
  static async connect(url: string): Promise<RespClient> {
    const ep = parseUrl(url);
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = ep.path !== null ? net.connect(ep.path) : ep.tls ? tls.connect({ host: ep.host, port: ep.port, servername: ep.host }) : net.connect(ep.port, ep.host);
      const ready = ep.tls ? 'secureConnect' : 'connect';
      s.once(ready, () => {
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => reject(new Error(`cannot connect to ${ep.path ?? `${ep.host}:${ep.port}`}: ${e.message}`)));
    });
    socket.setNoDelay(true);
    const client = new RespClient(socket);
    if (ep.password !== null) {
      const r = await client.send(ep.username !== null ? ['AUTH', ep.username, ep.password] : ['AUTH', ep.password]);
      if (r instanceof ReplyError) throw new Error(`AUTH failed: ${r.message}`);
    }
    if (ep.db !== 0) {
      const r = await client.send(['SELECT', ep.db]);
      if (r instanceof ReplyError) throw new Error(`SELECT ${ep.db} failed: ${r.message}`);
    }
    return client;
  }

  private onData(d: Buffer): void {
    this.parser.push(d);
    for (;;) {
      let r: Reply | undefined;
      try {
        r = this.parser.next();
      } catch (e) {
        this.fail(e as Error);
        this.socket.destroy();
        return;
      }
      if (r === undefined) return;
      const w = this.waiting.shift();
      if (w === undefined) {
        this.fail(new Error('a reply arrived that no command was waiting for'));
        return;
      }
      w.resolve(r);
    }
  }

  private fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  /** Sends one command; the promise settles with its reply (a ReplyError is a reply, not a rejection). */
  send(args: readonly Arg[]): Promise<Reply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Sends one command and throws its error reply. */
  async call(args: readonly Arg[]): Promise<Reply> {
    const r = await this.send(args);
    if (r instanceof ReplyError) throw new Error(`${String(args[0])}: ${r.message}`);
    return r;
  }

  /**
   * Sends many commands with at most `window` unanswered at a time, handing each reply to
   * `onReply` in order. Returns once every reply has arrived. A window keeps the memory of a
   * large import flat and lets the server answer while the rest is still being sent.
   */
  async pipeline(commands: Iterable<readonly Arg[]>, onReply: (r: Reply, i: number) => void, window = 512): Promise<void> {
    const inFlight: Array<Promise<void>> = [];
    let i = 0;
    for (const cmd of commands) {
      const n = i++;
      const p = this.send(cmd).then((r) => onReply(r, n));
      // Awaited below; the no-op handler keeps a lost connection from also being reported as an
      // unhandled rejection for every command still in flight.
      p.catch(() => undefined);
      inFlight.push(p);
      if (inFlight.length >= window) await inFlight.shift();
      if (this.socket.writableNeedDrain) await new Promise<void>((resolve) => this.socket.once('drain', resolve));
    }
    await Promise.all(inFlight);
  }

  close(): void {
    this.failure ??= new Error('the client was closed');
    this.socket.end();
  }
}

export function asText(r: Reply): string {
  if (Buffer.isBuffer(r)) return r.toString('utf8');
  if (typeof r === 'string') return r;
  return String(r);
}
