// A cursor over command arguments with RediSearch's ArgsCursor rules, so that FT.CREATE and
// FT.SEARCH accept, reject and word their errors exactly as the module does:
//   - integers: a strict parse first, then a double that must be integral ("3.0" and "1e3" are
//     accepted, "3.5" is not);
//   - keywords: case-insensitive, whole argument.
// The module reads FT.CREATE's arguments as Redis strings (string2ll, and string→double without
// leading blanks or NaN) but FT.SEARCH's as C strings (strtoll and strtod: leading blanks, '+'
// and hexadecimal doubles pass, and `LIMIT 0 0x10` is a limit of 16); `cstrings` picks the latter.
// Every getter returns a result code (AC_OK or an AC_ERR_*) and leaves the cursor where it was on
// failure; the caller turns codes into errors with badArgs()/acStrerror().

import { isWord, parseDouble, parseInteger, strtod } from '../commands/args.js';
import { AC_ERR_ELIMIT, AC_ERR_NOARG, AC_ERR_PARSE, AC_OK } from './errors.js';

export const AC_F_GE0 = 1;
export const AC_F_GE1 = 2;
export const AC_F_COALESCE = 4;

const LLONG_MAX = 9223372036854775807;
const UINT_MAX = 4294967295;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

export class ArgCursor {
  pos = 0;
  /** The last number read by a getter. */
  value = 0;

  constructor(
    readonly args: readonly Buffer[],
    /** First argument of this cursor (sub-cursors share the array). */
    readonly start = 0,
    /** One past the last argument. */
    readonly end = args.length,
    /** Read numbers as C strings (FT.SEARCH) rather than as Redis strings (FT.CREATE). */
    readonly cstrings = false,
  ) {
    this.pos = start;
  }

  private integer(arg: Buffer): number | null {
    if (!this.cstrings) return parseInteger(arg);
    // strtoll: blanks and a sign before the digits, nothing after; the clamped extremes fail.
    const s = cText(arg);
    if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) return null;
    const b = BigInt(s.trim());
    return b >= 9223372036854775807n || b <= -9223372036854775808n ? null : Number(b);
  }

  private double(arg: Buffer): number | null {
    if (!this.cstrings) return parseDouble(arg);
    // strtod over the whole C string; the overflow value HUGE_VAL (and so "inf") fails.
    const d = strtod(cText(arg));
    return d === null || d === Infinity || d === -Infinity ? null : d;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  /** The current argument, or undefined at the end. */
  peek(): Buffer | undefined {
    return this.pos < this.end ? this.args[this.pos] : undefined;
  }

  /** The current argument (which must exist), then moves past it. */
  next(): Buffer {
    return this.args[this.pos++]!;
  }

  /** Moves past the current argument if it is the keyword (case-insensitive). */
  advanceIfMatch(upper: string): boolean {
    if (this.pos < this.end && isWord(this.args[this.pos], upper)) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** AC_GetLongLong: sets `value`. */
  getLongLong(flags = 0): number {
    if (this.pos >= this.end) return AC_ERR_NOARG;
    const arg = this.args[this.pos]!;
    let n = this.integer(arg);
    if (n === null) {
      // Not an integer: RediSearch reads a double and keeps it if it is integral (or truncates
      // it with COALESCE). A double beyond the long long range does not survive the cast.
      const d = this.double(arg);
      if (d === null || !Number.isFinite(d) || Math.abs(d) >= LLONG_MAX) return AC_ERR_PARSE;
      if (flags & AC_F_COALESCE) n = Math.trunc(d);
      else if (Math.trunc(d) !== d) return AC_ERR_PARSE;
      else n = d;
    }
    if (flags & AC_F_GE0 && n < 0) return AC_ERR_ELIMIT;
    if (flags & AC_F_GE1 && n < 1) return AC_ERR_ELIMIT;
    this.pos++;
    this.value = n === 0 ? 0 : n; // no -0
    return AC_OK;
  }

  private bounded(flags: number, min: number, max: number, unsigned: boolean): number {
    const save = this.pos;
    const rc = this.getLongLong(flags | (unsigned ? AC_F_GE0 : 0));
    if (rc !== AC_OK) return rc;
    if (this.value > max || this.value < min) {
      this.pos = save;
      return AC_ERR_ELIMIT;
    }
    return AC_OK;
  }

  /** AC_GetSize (size_t): non-negative. */
  getSize(flags = 0): number {
    return this.bounded(flags, 0, LLONG_MAX, true);
  }

  /** AC_GetUnsigned (unsigned int). */
  getUnsigned(flags = 0): number {
    return this.bounded(flags, 0, UINT_MAX, true);
  }

  /** AC_GetU64. */
  getU64(flags = 0): number {
    return this.bounded(flags, 0, LLONG_MAX, true);
  }

  /** AC_GetInt. */
  getInt(flags = 0): number {
    return this.bounded(flags, INT_MIN, INT_MAX, false);
  }

  /** AC_GetDouble: sets `value`. */
  getDouble(flags = 0): number {
    if (this.pos >= this.end) return AC_ERR_NOARG;
    const d = this.double(this.args[this.pos]!);
    if (d === null) return AC_ERR_PARSE;
    if (flags & AC_F_GE0 && d < 0) return AC_ERR_ELIMIT;
    if (flags & AC_F_GE1 && d < 1) return AC_ERR_ELIMIT;
    this.pos++;
    this.value = d;
    return AC_OK;
  }

  /**
   * AC_GetVarArgs: a count, then that many arguments as a sub-cursor (returned), or a code.
   * The count is an `unsigned`, so "-1" is out of bounds and "x" does not parse.
   */
  getVarArgs(): ArgCursor | number {
    const save = this.pos;
    const rc = this.getUnsigned();
    if (rc !== AC_OK) return rc;
    const n = this.value;
    if (n > this.remaining()) {
      this.pos = save;
      return AC_ERR_NOARG;
    }
    return this.slice(n);
  }

  /** AC_GetSlice: the next n arguments as a sub-cursor, or AC_ERR_NOARG if there are fewer. */
  slice(n: number): ArgCursor | number {
    if (n > this.remaining()) return AC_ERR_NOARG;
    const sub = new ArgCursor(this.args, this.pos, this.pos + n, this.cstrings);
    this.pos += n;
    return sub;
  }
}

function cText(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}
