/** Small network helpers shared by the server and persistence benchmarks. */
import net from 'node:net';

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
export async function command(port: number, ...args: Array<string | Buffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
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
