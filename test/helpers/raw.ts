/**
 * A raw RESP connection for tests that need the exact bytes of a reply (RESP3 types, error texts,
 * framing) or need to send malformed input. Replies are framed by a small RESP2/RESP3 reader
 * written independently of the server's encoder.
 */
import net from 'node:net';

export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespValue[]
  | { map: Array<[RespValue, RespValue]> }
  | { set: RespValue[] }
  | { double: number; text: string }
  | { verbatim: string; format: string };

export class RespError {
  constructor(readonly message: string) {}
}

/** Parses one reply at `pos`; returns the value and the end offset, or null if incomplete. */
export function parseReply(buf: Buffer, pos: number): [RespValue, number] | null {
  if (pos >= buf.length) return null;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, eol);
  const next = eol + 2;
  const aggregate = (n: number, start: number): [RespValue[], number] | null => {
    const items: RespValue[] = [];
    let p = start;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, p);
      if (!r) return null;
      items.push(r[0]);
      p = r[1];
    }
    return [items, p];
  };
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':': {
      const n = Number(line);
      return [Number.isSafeInteger(n) ? n : BigInt(line), next];
    }
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('latin1', next, next + n), next + n + 2];
    }
    case '=': {
      const n = Number(line);
      if (buf.length < next + n + 2) return null;
      const s = buf.toString('latin1', next, next + n);
      return [{ format: s.slice(0, 3), verbatim: s.slice(4) }, next + n + 2];
    }
    case '_':
      return [null, next];
    case '#':
      return [line === 't', next];
    case ',':
      return [{ double: Number(line.replace(/^inf$/, 'Infinity').replace(/^-inf$/, '-Infinity')), text: line }, next];
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const r = aggregate(n, next);
      if (!r) return null;
      return [type === '~' ? { set: r[0] } : r[0], r[1]];
    }
    case '%': {
      const n = Number(line);
      const r = aggregate(2 * n, next);
      if (!r) return null;
      const pairs: Array<[RespValue, RespValue]> = [];
      for (let i = 0; i < r[0].length; i += 2) pairs.push([r[0][i]!, r[0][i + 1]!]);
      return [{ map: pairs }, r[1]];
    }
    default:
      throw new Error(`unexpected reply type byte ${JSON.stringify(type)} in ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`);
  }
}

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: Array<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  /** Connects, runs `fn`, and closes the connection whatever `fn` does. */
  static async using<T>(port: number, fn: (c: RawConnection) => Promise<T>): Promise<T> {
    const c = await RawConnection.connect(port);
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host);
      s.once('connect', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitData(deadline: number): Promise<void> {
    if (this.closed) throw new Error('connection closed');
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a reply')), Math.max(1, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Reads the next reply: its decoded value and its exact bytes. */
  async readReply(timeoutMs = 10_000): Promise<{ value: RespValue; raw: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.buf.length > 0 ? parseReply(this.buf, 0) : null;
      if (r) {
        const raw = this.buf.toString('latin1', 0, r[1]);
        this.buf = this.buf.subarray(r[1]);
        return { value: r[0], raw };
      }
      await this.waitData(deadline);
    }
  }

  /** Sends a command and returns the exact bytes of its reply. */
  async call(...args: Array<string | Buffer | number>): Promise<string> {
    this.write(encodeCommand(args));
    return (await this.readReply()).raw;
  }

  /** Sends a command and returns the decoded reply. */
  async value(...args: Array<string | Buffer | number>): Promise<RespValue> {
    this.write(encodeCommand(args));
    return (await this.readReply()).value;
  }

  /**
   * Sends the commands pipelined, `chunk` at a time (all in one write by default), and returns
   * every decoded reply, in order.
   */
  async pipeline(cmds: Array<Array<string | Buffer | number>>, chunk = cmds.length, timeoutMs = 60_000): Promise<RespValue[]> {
    const out: RespValue[] = [];
    for (let i = 0; i < cmds.length; i += Math.max(1, chunk)) {
      const part = cmds.slice(i, i + Math.max(1, chunk));
      this.write(Buffer.concat(part.map((a) => encodeCommand(a))));
      for (let k = 0; k < part.length; k++) out.push((await this.readReply(timeoutMs)).value);
    }
    return out;
  }

  /** Waits until the server closes the connection (or the timeout passes). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    return Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  /** Bytes received and not yet read as replies. */
  pending(): string {
    return this.buf.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** RESP3 replies as raw bytes: sends HELLO 3, the commands, and returns what they answered. */
export async function resp3(port: number, ...cmds: string[][]): Promise<string> {
  const enc = (args: string[]): string => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
  const start = '$7\r\n__start\r\n';
  const end = '$5\r\n__end\r\n';
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => {
      data += d.toString('latin1');
      if (data.endsWith(end)) {
        s.destroy();
        resolve(data.slice(data.indexOf(start) + start.length, -end.length));
      }
    });
    s.on('error', reject);
    s.write(enc(['HELLO', '3']) + enc(['ECHO', '__start']) + cmds.map(enc).join('') + enc(['ECHO', '__end']));
  });
}
