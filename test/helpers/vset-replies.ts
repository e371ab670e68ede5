/**
 * Shared by the vset-commands-*.test.ts files: exact RESP reply builders, the float emulation of
 * the reference written from the spec's prose (§3.1–§3.6, independently of src/vset, so an
 * engine that drifts is caught, not copied), the §6 double format, and one started server with a
 * RESP2 and a RESP3 connection per test file.
 */
import { afterAll, beforeAll } from 'vitest';
import { RawConnection, type RespValue } from './raw.js';
import { serverForFile, type RunningServer } from './server.js';


// ---- RESP builders for expected bytes -----------------------------------------------------

export const bulk = (s: string | Buffer): string => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1');
  return `$${b.length}\r\n${b.toString('latin1')}\r\n`;
};
export const arr = (...items: string[]): string => `*${items.length}\r\n${items.join('')}`;
export const map3 = (...pairs: string[]): string => `%${pairs.length / 2}\r\n${pairs.join('')}`;
export const int = (n: number): string => `:${n}\r\n`;
export const err = (m: string): string => `-${m}\r\n`;
export const simple = (s: string): string => `+${s}\r\n`;
export const dbl3 = (s: string): string => `,${s}\r\n`;
export const NIL2 = '$-1\r\n';
export const NIL3 = '_\r\n';
export const T = '#t\r\n';
export const F = '#f\r\n';
export const names = (...n: string[]): string => arr(...n.map((x) => bulk(x)));

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const SPEC = 'ERR invalid vector specification';
export const arity = (cmd: string): string => `ERR wrong number of arguments for '${cmd}' command`;

// ---- float emulation of the reference (spec §3.1–§3.6) --------------------------------------

export const f = Math.fround;

export function l2sq(x: number[]): number {
  let total = 0;
  let i = 0;
  for (; i + 4 <= x.length; i += 4) {
    let g = f(x[i]! * x[i]!);
    g = f(g + f(x[i + 1]! * x[i + 1]!));
    g = f(g + f(x[i + 2]! * x[i + 2]!));
    g = f(g + f(x[i + 3]! * x[i + 3]!));
    total = f(total + g);
  }
  for (; i < x.length; i++) total = f(total + f(x[i]! * x[i]!));
  return total;
}

export function normalize(input: number[]): { u: number[]; l2: number } {
  const x = input.map(f);
  const s = l2sq(x);
  if (s === 0) return { u: x, l2: 1 };
  const l2 = f(Math.sqrt(s));
  return { u: x.map((v) => f(v / l2)), l2 };
}

/** roundf: halves away from zero; `+ 0` because an int8 quant has no negative zero. */
export const roundAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v)) + 0;

export function q8(input: number[]): { q: number[]; range: number; l2: number } {
  const { u, l2 } = normalize(input);
  let range = 0;
  for (const v of u) range = Math.max(range, Math.abs(v));
  range = f(range);
  if (range === 0) return { q: u.map(() => 0), range: 0, l2 };
  const scale = f(127 / range);
  return { q: u.map((v) => roundAway(f(v * scale))), range, l2 };
}

export const reconQ8 = (x: number[]): number[] => {
  const { q, range, l2 } = q8(x);
  return q.map((v) => f(f(f(v * range) / 127) * l2));
};
export const reconF32 = (x: number[]): number[] => {
  const { u, l2 } = normalize(x);
  return u.map((v) => f(v * l2));
};

/** Spec §6 double format, written again from the prose (src/server/double-format.ts is the product). */
export function d2s(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (Number.isInteger(v) && Math.abs(v) <= 2 ** 62) return BigInt(v).toString();
  const [m, e] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = m.replace('.', '');
  const n = digits.length;
  const E = Number(e);
  const K = E - n + 1;
  const sign = v < 0 ? '-' : '';
  if (K >= 0 && Math.abs(E) < n + 7) return sign + digits + '0'.repeat(K);
  if (K < 0 && (K > -7 || Math.abs(E) < 4)) {
    if (n <= -K) return `${sign}0.${'0'.repeat(-K - n)}${digits}`;
    return `${sign}${digits.slice(0, n + K)}.${digits.slice(n + K)}`;
  }
  return `${sign}${digits[0]}${n > 1 ? '.' + digits.slice(1) : ''}e${E < 0 ? '-' : '+'}${Math.abs(E)}`;
}

export const fp32 = (...v: number[]): Buffer => {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeFloatLE(x, i * 4));
  return b;
};

// ---- server and connections -----------------------------------------------------------------

// ---- server and connections -----------------------------------------------------------------

export type Arg = string | number | Buffer;

export function strs(v: RespValue): string[] {
  if (!Array.isArray(v)) throw new Error(`not an array: ${JSON.stringify(v)}`);
  return v.map((x) => String(x));
}

/**
 * Starts this test file's server (serverForFile) and opens a RESP2 and a RESP3 connection to it:
 * r2/r3 answer the raw reply bytes, v2 the parsed RESP2 value, c3() the RESP3 connection.
 */
export function vsetConnections(): {
  server: () => RunningServer;
  r2: (...a: Arg[]) => Promise<string>;
  r3: (...a: Arg[]) => Promise<string>;
  v2: (...a: Arg[]) => Promise<RespValue>;
  c3: () => RawConnection;
  setup: (...cmds: Arg[][]) => Promise<void>;
  points: (key: string) => Promise<void>;
} {
  const server = serverForFile();
  let c2: RawConnection | undefined; // RESP2
  let c3: RawConnection | undefined; // RESP3
  const conn = (c: RawConnection | undefined): RawConnection => {
    if (c === undefined) throw new Error('the connections are not open yet');
    return c;
  };
  beforeAll(async () => {
    c2 = await RawConnection.connect(server().port);
    c3 = await RawConnection.connect(server().port);
    await c3.call('HELLO', '3');
  });
  afterAll(async () => {
    c2?.close();
    c3?.close();
  });
  const r2 = (...a: Arg[]): Promise<string> => conn(c2).call(...a);
  /** Runs the commands on the RESP2 connection and checks each succeeded. */
  const setup = async (...cmds: Arg[][]): Promise<void> => {
    for (const cmd of cmds) {
      const raw = await r2(...cmd);
      if (raw.startsWith('-')) throw new Error(`${cmd.join(' ')}: ${raw}`);
    }
  };
  return {
    server,
    r2,
    r3: (...a) => conn(c3).call(...a),
    v2: (...a) => conn(c2).value(...a),
    c3: () => conn(c3),
    setup,
    /** The §3.7 set: Q8, A(1,1) B(−1,−1) C(−1,1) D(1,−1) E(1,0). */
    points: (key) =>
      setup(
        ['VADD', key, 'VALUES', 2, 1, 1, 'pt:A'],
        ['VADD', key, 'VALUES', 2, -1, -1, 'pt:B'],
        ['VADD', key, 'VALUES', 2, -1, 1, 'pt:C'],
        ['VADD', key, 'VALUES', 2, 1, -1, 'pt:D'],
        ['VADD', key, 'VALUES', 2, 1, 0, 'pt:E'],
      ),
  };
}
