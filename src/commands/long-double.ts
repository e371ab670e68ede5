/**
 * LongDouble: the x87 80-bit extended precision arithmetic INCRBYFLOAT and HINCRBYFLOAT compute
 * with (Redis uses C's long double on x86-64), so their results print the digits Redis prints.
 */
/**
 * A finite value is (-1)^neg · m · 2^e with m < 2^64: 64 significant bits, exponent range of
 * the x87 format (normal numbers 2^-16382 … < 2^16384, subnormals down to 2^-16445). Arithmetic
 * is exact on BigInt followed by one round-to-nearest-even, which is what the FPU does.
 */
interface LD {
  neg: boolean;
  kind: 'finite' | 'inf' | 'nan';
  m: bigint;
  e: number;
}

export const LongDouble = (() => {
  const MIN_EXP = -16445;
  const MAX_EXP = 16320;
  const ZERO: LD = { neg: false, kind: 'finite', m: 0n, e: 0 };
  const inf = (neg: boolean): LD => ({ neg, kind: 'inf', m: 0n, e: 0 });
  const NAN: LD = { neg: false, kind: 'nan', m: 0n, e: 0 };

  const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

  /** Rounds (n + a sticky fraction below one unit) · 2^e to the format. */
  function round(neg: boolean, n: bigint, e: number, sticky: boolean): LD {
    if (n === 0n) return { neg, kind: 'finite', m: 0n, e: 0 };
    const shift = Math.max(bitLength(n) - 64, MIN_EXP - e);
    let m: bigint;
    let ex: number;
    if (shift > 0) {
      const s = BigInt(shift);
      m = n >> s;
      const rem = n - (m << s);
      const half = 1n << (s - 1n);
      if (rem > half || (rem === half && (sticky || (m & 1n) === 1n))) m += 1n;
      ex = e + shift;
      if (m === 1n << 64n) {
        m >>= 1n;
        ex += 1;
      }
    } else {
      m = n << BigInt(-shift);
      ex = e + shift;
    }
    if (m === 0n) return { neg, kind: 'finite', m: 0n, e: 0 };
    if (ex > MAX_EXP) return inf(neg);
    return { neg, kind: 'finite', m, e: ex };
  }

  const DEC = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
  const HEX = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
  const SPECIAL = /^([+-]?)(?:(inf|infinity)|nan(?:\([0-9A-Za-z_]*\))?)$/i;

  /**
   * Redis's getLongDoubleFromObject: strtold over the whole string, no leading space, and an
   * overflow to ±HUGE_VAL, an underflow to zero or a NaN rejected (null). "inf" is accepted.
   */
  function parse(buf: Buffer): LD | null {
    const s = buf.toString('latin1');
    let m = SPECIAL.exec(s);
    if (m) return m[2] !== undefined ? inf(m[1] === '-') : null;
    let r: LD;
    let nonZero: boolean;
    if ((m = HEX.exec(s))) {
      const neg = m[1] === '-';
      const intPart = m[2] ?? '';
      const frac = m[3] ?? m[4] ?? '';
      const n = BigInt('0x' + (intPart + frac || '0'));
      nonZero = n !== 0n;
      if (!nonZero) return { neg, kind: 'finite', m: 0n, e: 0 };
      const exp = Number(m[5] ?? '0') - 4 * frac.length;
      const top = bitLength(n) + exp;
      if (top > 16400) return null;
      if (top < -16520) return null;
      r = round(neg, n, exp, false);
    } else if ((m = DEC.exec(s))) {
      const neg = m[1] === '-';
      const intPart = m[2] ?? '';
      const frac = m[3] ?? m[4] ?? '';
      const digits = (intPart + frac).replace(/^0+/, '');
      if (digits === '') return { neg, kind: 'finite', m: 0n, e: 0 };
      nonZero = true;
      const exp10 = Number(m[5] ?? '0') - frac.length;
      const magnitude = exp10 + digits.length - 1;
      if (magnitude > 4940) return null;
      if (magnitude < -4970) return null;
      const d = BigInt(digits);
      if (exp10 >= 0) {
        r = round(neg, d * 10n ** BigInt(exp10), 0, false);
      } else {
        const den = 10n ** BigInt(-exp10);
        const k = Math.max(0, bitLength(den) - bitLength(d) + 66);
        const num = d << BigInt(k);
        const q = num / den;
        r = round(neg, q, -k, q * den !== num);
      }
    } else {
      return null;
    }
    if (r.kind === 'inf' || (nonZero && r.m === 0n)) return null;
    return r;
  }

  function add(a: LD, b: LD): LD {
    if (a.kind === 'nan' || b.kind === 'nan') return NAN;
    if (a.kind === 'inf' || b.kind === 'inf') {
      if (a.kind === 'inf' && b.kind === 'inf' && a.neg !== b.neg) return NAN;
      return a.kind === 'inf' ? a : b;
    }
    if (a.m === 0n && b.m === 0n) return { neg: a.neg && b.neg, kind: 'finite', m: 0n, e: 0 };
    if (a.m === 0n) return b;
    if (b.m === 0n) return a;
    const e = Math.min(a.e, b.e);
    const x = a.m << BigInt(a.e - e);
    const y = b.m << BigInt(b.e - e);
    let sum = (a.neg ? -x : x) + (b.neg ? -y : y);
    if (sum === 0n) return ZERO;
    const neg = sum < 0n;
    if (neg) sum = -sum;
    return round(neg, sum, e, false);
  }

  const TEN17 = 10n ** 17n;

  /**
   * ld2string(LD_STR_HUMAN): printf "%.17Lf" (exact binary value, rounded half-even to 17
   * decimals), then trailing zeros and a trailing point removed, and "-0" printed as "0".
   */
  function formatHuman(x: LD): string {
    let r: bigint;
    if (x.e >= 0) {
      r = (x.m << BigInt(x.e)) * TEN17;
    } else {
      const num = x.m * TEN17;
      const s = BigInt(-x.e);
      r = num >> s;
      const rem = num - (r << s);
      const half = 1n << (s - 1n);
      if (rem > half || (rem === half && (r & 1n) === 1n)) r += 1n;
    }
    const digits = r.toString().padStart(18, '0');
    let text = `${digits.slice(0, -17)}.${digits.slice(-17)}`.replace(/0+$/, '').replace(/\.$/, '');
    if (x.neg) text = '-' + text;
    return text === '-0' ? '0' : text;
  }

  return { ZERO, parse, add, formatHuman, isFinite: (x: LD): boolean => x.kind === 'finite' };
})();

