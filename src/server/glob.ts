/**
 * Glob patterns as Redis matches them (util.c's stringmatchlen): KEYS, SCAN MATCH, CONFIG GET,
 * PSUBSCRIBE, ACL key and channel patterns.
 */

/** Glob matching as Redis's stringmatchlen: * ? [set] [^set] [a-z] and \ escapes. */
export function globMatch(pattern: Uint8Array, text: Uint8Array, nocase = false): boolean {
  return globAt(pattern, 0, text, 0, nocase, 0) === MATCH;
}

const MATCH = 1;
const NO_MATCH = 0;
/** The text ran out before the pattern: a later start for a '*' can only leave less text. */
const NO_MATCH_EXHAUSTED = -1;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * Returns MATCH, NO_MATCH, or NO_MATCH_EXHAUSTED when the text ended first. As in Redis's
 * stringmatchlen (skipLongerMatches), a '*' stops trying later starts once the rest of the pattern
 * ran out of text, which keeps patterns like "*a*a*a*a*b" linear instead of exponential.
 */
function globAt(p: Uint8Array, pi: number, s: Uint8Array, si: number, nocase: boolean, depth: number): number {
  // Redis caps the recursion to avoid stack exhaustion on patterns like "*a*a*a…".
  if (depth > 1000) return NO_MATCH;
  while (pi < p.length) {
    const pc = p[pi]!;
    if (pc === 42 /* * */) {
      while (pi + 1 < p.length && p[pi + 1] === 42) pi++;
      if (pi + 1 === p.length) return MATCH;
      for (let k = si; k <= s.length; k++) {
        const r = globAt(p, pi + 1, s, k, nocase, depth + 1);
        if (r === MATCH) return MATCH;
        if (r === NO_MATCH_EXHAUSTED) return NO_MATCH_EXHAUSTED;
      }
      return NO_MATCH_EXHAUSTED;
    }
    if (si >= s.length) return NO_MATCH_EXHAUSTED;
    const sc = s[si]!;
    if (pc === 63 /* ? */) {
      pi++;
      si++;
      continue;
    }
    if (pc === 91 /* [ */) {
      pi++;
      const negate = p[pi] === 94; /* ^ */
      if (negate) pi++;
      let match = false;
      while (pi < p.length && p[pi] !== 93 /* ] */) {
        if (p[pi] === 92 && pi + 1 < p.length) {
          pi++;
          if (p[pi] === sc) match = true;
        } else if (pi + 2 < p.length && p[pi + 1] === 45 /* - */ && p[pi + 2] !== 93) {
          let a = p[pi]!;
          let b = p[pi + 2]!;
          if (a > b) [a, b] = [b, a];
          const c = nocase ? lower(sc) : sc;
          if (nocase) {
            a = lower(a);
            b = lower(b);
          }
          if (c >= a && c <= b) match = true;
          pi += 2;
        } else if (nocase ? lower(p[pi]!) === lower(sc) : p[pi] === sc) {
          match = true;
        }
        pi++;
      }
      if (pi >= p.length) pi--; // unterminated set: Redis treats the end as the closing bracket
      if (negate) match = !match;
      if (!match) return NO_MATCH;
      pi++;
      si++;
      continue;
    }
    let lit = pc;
    if (pc === 92 /* \ */ && pi + 1 < p.length) {
      pi++;
      lit = p[pi]!;
    }
    if (nocase ? lower(lit) !== lower(sc) : lit !== sc) return NO_MATCH;
    pi++;
    si++;
  }
  return si === s.length ? MATCH : NO_MATCH;
}
