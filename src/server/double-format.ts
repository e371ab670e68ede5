/**
 * Formats a double the way Redis replies with one (its d2string / fpconv_dtoa): integral values
 * without a fraction, otherwise the shortest round-trip digits, switching to scientific notation by
 * the same thresholds as the reference (spec §6). JavaScript's String(number) differs for small and
 * large magnitudes (0.0001234 vs 1.234e-4), which clients of VEMB and VSIM WITHSCORES would see.
 */
const INTEGRAL_LIMIT = 2 ** 62;

export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (Number.isInteger(v) && Math.abs(v) <= INTEGRAL_LIMIT) {
    return BigInt(v).toString();
  }
  const sign = v < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-trip digits: "d.ddde±x".
  const exp = Math.abs(v).toExponential();
  const ePos = exp.indexOf('e');
  const mantissa = exp.slice(0, ePos);
  const digits = mantissa.replace('.', '');
  const n = digits.length;
  const E = Number(exp.slice(ePos + 1)); // scientific exponent
  const K = E - n + 1; // v = digits × 10^K
  const absE = Math.abs(E);
  if (K >= 0 && absE < n + 7) {
    return sign + digits + '0'.repeat(K);
  }
  if (K < 0 && (K > -7 || absE < 4)) {
    const k = -K;
    if (n <= k) return sign + '0.' + '0'.repeat(k - n) + digits;
    return sign + digits.slice(0, n - k) + '.' + digits.slice(n - k);
  }
  const rest = digits.slice(1);
  return sign + digits[0] + (rest.length > 0 ? '.' + rest : '') + 'e' + (E < 0 ? '-' : '+') + String(absE);
}
