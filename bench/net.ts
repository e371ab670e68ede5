/** Small network helpers shared by the server and persistence benchmarks. */
import net from 'node:net';

/** The value after `--name` on the command line, or `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/**
 * Where a benchmark sends its commands: a port on this machine (a vsetd the benchmark started) or
 * host and port (any Redis-protocol server, `npm run bench -- --against redis://host:port`).
 */
export type Endpoint = number | { host: string; port: number };

export function connectTo(to: Endpoint): net.Socket {
  return typeof to === 'number' ? net.connect(to, '127.0.0.1') : net.connect(to.port, to.host);
}

/** Asks the OS for a free TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Encodes a command as a RESP array of bulk strings. */
export function encode(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Sends one command on a fresh connection and returns the reply text. Enough for the simple and
 * bulk replies the benchmarks read (SAVE, INFO, VCARD).
 */
export async function command(port: Endpoint, ...args: Array<string | Buffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connectTo(port);
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      const eol = out.indexOf('\r\n');
      if (eol < 0) return;
      const complete = out[0] !== '$' || out.length >= eol + 2 + Number(out.slice(1, eol)) + 2;
      if (complete) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
    s.write(encode(args));
  });
}

/**
 * Sends `commands` on one connection, at most `windowSize` unanswered at a time, and resolves to
 * the seconds until every reply arrived. Counts replies by line ends, so it suits commands whose
 * replies are one line (integers, simple strings, errors).
 */
export async function pipeline(port: number, commands: Buffer[], windowSize = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let acked = 0;
    let sent = 0;
    const t0 = performance.now();
    const pump = (): void => {
      const batch: Buffer[] = [];
      while (sent < commands.length && sent - acked < windowSize) batch.push(commands[sent++]!);
      if (batch.length > 0) s.write(Buffer.concat(batch));
    };
    s.on('connect', pump);
    s.on('data', (d: Buffer) => {
      for (const c of d) if (c === 10) acked++;
      if (acked >= commands.length) {
        s.end();
        resolve((performance.now() - t0) / 1000);
      } else pump();
    });
    s.on('error', reject);
  });
}
