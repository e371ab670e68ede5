// Text normalisation shared by the indexes and the query language, after RediSearch's default
// tokenizer (tokenize.c, toksep.h) and its string helpers:
//   - a document TEXT value splits on ASCII punctuation and blanks (the separator set below),
//     a backslash escaping the next separator; control characters are dropped, not split on
//     (so "a\nb" is the one token "ab", as in the module); tokens are lower-cased (Unicode);
//     stopwords are skipped and do not take a position, so a phrase matches across them;
//   - a query term is unescaped (backslash before punctuation or a space) and lower-cased;
//   - a tag value is trimmed, split on the field's separator and lower-cased unless the field
//     is CASESENSITIVE.
// No stemming is done: "running" does not match "run" (the module would expand it).

/** RediSearch's default English stopwords. */
export const DEFAULT_STOPWORDS: readonly string[] = [
  'a', 'is', 'the', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into',
  'it', 'no', 'not', 'of', 'on', 'or', 'such', 'that', 'their', 'then', 'there', 'these', 'they',
  'this', 'to', 'was', 'will', 'with',
];

/** Document separators: blanks and the punctuation of toksep.h (not '_', not '\n'). */
const DOC_SEP = new Uint8Array(256);
for (const c of ' \t,./(){}[]:;~!@#$%^&*-=+|\'`"<>?') DOC_SEP[c.charCodeAt(0)] = 1;

/** Separators inside an "exact phrase" of a query: the same set without '$'. */
const PHRASE_SEP = new Uint8Array(DOC_SEP);
PHRASE_SEP[0x24] = 0;

function isCntrl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** C ispunct() in the C locale. */
export function isPunct(c: number): boolean {
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/** C isspace() in the C locale. */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * unicode_tolower over bytes: UTF-8 text is lower-cased code point by code point (as the module
 * does with libnu); bytes that are not valid UTF-8 keep their value and only ASCII letters fold.
 * The result is a JS string used as a term (never sent back to a client).
 */
export function lowerBytes(b: Uint8Array, start = 0, end = b.length): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  const buf = Buffer.from(b.buffer, b.byteOffset + start, end - start);
  if (ascii) return buf.toString('latin1').toLowerCase();
  const text = buf.toString('utf8');
  if (!text.includes('\uFFFD') || Buffer.from(text, 'utf8').equals(buf)) return text.toLowerCase();
  // Not UTF-8: keep the bytes (as latin1 chars, tagged so they never equal valid text).
  return '\u0000' + buf.toString('latin1').replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** The same lower-casing, as bytes (UTF-8 where the input was). */
export function lowerToBytes(b: Uint8Array): Uint8Array {
  const key = lowerBytes(b);
  return key.startsWith('\u0000') ? Buffer.from(key.slice(1), 'latin1') : Buffer.from(key, 'utf8');
}

/** The bytes with every backslash that precedes punctuation or a blank removed (rm_normalize). */
export function unescapeBytes(b: Uint8Array, start = 0, end = b.length): Uint8Array {
  let has = false;
  for (let i = start; i < end; i++) {
    if (b[i] === 0x5c) {
      has = true;
      break;
    }
  }
  if (!has) return b.subarray(start, end);
  const out = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x5c && i + 1 < end && (isPunct(b[i + 1]!) || isSpace(b[i + 1]!))) continue;
    out[n++] = c;
  }
  return out.subarray(0, n);
}

/** C string view: up to the first NUL. */
export function cBytes(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** rm_normalize: a query term unescaped and lower-cased, as bytes. */
export function normalizeBytes(b: Uint8Array): Uint8Array {
  return lowerToBytes(unescapeBytes(cBytes(b)));
}

/** A query term as the index stores it. */
export function normalizeTerm(b: Uint8Array): string {
  return lowerBytes(unescapeBytes(cBytes(b)));
}

/** tag_strtolower: a tag from the query, unescaped, lower-cased unless case-sensitive. */
export function normalizeQueryTag(b: Uint8Array, caseSensitive: boolean): string {
  const u = unescapeBytes(cBytes(b));
  return caseSensitive ? Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1') : lowerBytes(u);
}

/** A tag value as stored: latin1 when case-sensitive, else lower-cased text. */
export function tagKey(b: Uint8Array, caseSensitive: boolean): string {
  return caseSensitive ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1') : lowerBytes(b);
}

/** Longest tag the module keeps; longer values are cut (MAX_TAG_LEN). */
export const MAX_TAG_LEN = 0x1000;

/**
 * The tags of one TAG field value (TagIndex_Preprocess, without INDEXEMPTY): split on the
 * separator, blanks trimmed around each value, empty values dropped.
 */
export function splitTags(value: Uint8Array, separator: number, caseSensitive: boolean): string[] {
  const v = cBytes(value);
  const out: string[] = [];
  let i = 0;
  const n = v.length;
  while (i < n) {
    while (i < n && (isSpace(v[i]!) || v[i] === separator)) i++;
    if (i >= n) break;
    const start = i;
    let last = i;
    for (; i < n && v[i] !== separator; i++) {
      if (!isSpace(v[i]!)) last = i;
    }
    if (i < n) i++; // past the separator
    const end = Math.min(last + 1, start + MAX_TAG_LEN);
    out.push(tagKey(v.subarray(start, end), caseSensitive));
  }
  return out;
}

/** One token of a document field: its term and its position (1-based, stopwords skipped). */
export interface DocToken {
  readonly term: string;
  readonly pos: number;
}

/**
 * Tokenizes a TEXT field value (simpleTokenizer). Calls `emit(term, position)` for each token
 * that is neither empty nor a stopword.
 */
export function tokenizeText(
  value: Uint8Array,
  stopwords: ReadonlySet<string>,
  emit: (term: string, pos: number) => void,
): void {
  const v = cBytes(value);
  const n = v.length;
  let pos = 0;
  let i = 0;
  const scratch = new Uint8Array(Math.min(n, 1 << 16));
  while (i <= n) {
    // Find the token end: the first separator not escaped by a backslash.
    const start = i;
    let escaped = false;
    while (i < n && !(DOC_SEP[v[i]!] && !escaped)) {
      escaped = !escaped && v[i] === 0x5c;
      i++;
    }
    const end = i;
    i++;
    if (end === start) continue;
    // Normalise: drop control characters, unescaped blanks and the escaping backslashes.
    let buf: Uint8Array = end - start <= scratch.length ? scratch : new Uint8Array(end - start);
    let len = 0;
    let esc = false;
    for (let j = start; j < end; j++) {
      const c = v[j]!;
      if (((c === 0x20 || c === 0x09) && !esc) || isCntrl(c)) {
        esc = false;
        continue;
      }
      if (c === 0x5c && !esc) {
        esc = true;
        continue;
      }
      buf[len++] = c;
      esc = false;
    }
    if (len === 0) continue;
    buf = buf.subarray(0, len);
    const term = lowerBytes(buf);
    if (stopwords.has(term)) continue;
    emit(term, ++pos);
  }
}

/**
 * The terms of an "exact phrase" in a query: split on the phrase separators (no '$'), each piece
 * normalised as a query term. Stopwords stay: the module looks them up as they are.
 */
export function phraseTermBytes(b: Uint8Array): Uint8Array[] {
  const v = cBytes(b);
  const out: Uint8Array[] = [];
  let i = 0;
  const n = v.length;
  while (i <= n) {
    const start = i;
    let escaped = false;
    while (i < n && !(PHRASE_SEP[v[i]!] && !escaped)) {
      escaped = !escaped && v[i] === 0x5c;
      i++;
    }
    if (i > start) out.push(normalizeBytes(v.subarray(start, i)));
    i++;
  }
  return out;
}
