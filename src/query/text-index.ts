// A TEXT field index: for each term, the documents whose field holds it (a posting list), and
// for each document, its field's terms in order (the forward index). The forward index answers
// phrases (terms at consecutive positions) and removals; terms are numbered once per index
// (TermDictionary) so a document's terms cost four bytes each.
//
// Prefix, suffix, infix, fuzzy and w'…' queries scan the field's terms; the module walks a trie
// and stops after 200 expansions, vsetd expands them all.

import { DocSet } from './docset.js';
import { PostingList } from './postings.js';
import { SeqStore } from './seq-store.js';

/** Term strings ↔ numbers, shared by the TEXT fields of one index. Terms are never forgotten. */
export class TermDictionary {
  private readonly ids = new Map<string, number>();
  private readonly terms: string[] = [];

  id(term: string): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.ids.set(term, id);
      this.terms.push(term);
    }
    return id;
  }

  get size(): number {
    return this.terms.length;
  }

  find(term: string): number | undefined {
    return this.ids.get(term);
  }

  term(id: number): string {
    return this.terms[id]!;
  }
}

export class TextIndex {
  private readonly postings = new Map<number, PostingList>();
  private readonly docs = new SeqStore();

  constructor(readonly dict: TermDictionary) {}

  /** Documents with at least one term in this field. */
  get size(): number {
    return this.docs.size;
  }

  /** Replaces the document's terms (in position order). */
  set(id: number, termIds: Uint32Array): void {
    this.remove(id);
    if (termIds.length === 0) return;
    this.docs.set(id, termIds);
    for (let i = 0; i < termIds.length; i++) {
      const t = termIds[i]!;
      let p = this.postings.get(t);
      if (p === undefined) this.postings.set(t, (p = new PostingList()));
      p.add(id);
    }
  }

  remove(id: number): void {
    const old = this.docs.get(id);
    if (old === undefined) return;
    for (let i = 0; i < old.length; i++) {
      const p = this.postings.get(old[i]!);
      if (p === undefined) continue;
      p.remove(id);
      if (p.size === 0) this.postings.delete(old[i]!);
    }
    this.docs.remove(id);
  }

  posting(termId: number | undefined): PostingList | undefined {
    return termId === undefined ? undefined : this.postings.get(termId);
  }

  /** Ids of the terms of this field that satisfy a predicate. */
  termsWhere(pred: (term: string) => boolean): number[] {
    const out: number[] = [];
    for (const t of this.postings.keys()) if (pred(this.dict.term(t))) out.push(t);
    return out;
  }

  /** The document's terms in order, or undefined (a view, valid until the index changes). */
  terms(id: number): Uint32Array | undefined {
    return this.docs.get(id);
  }

  /** Whether the document holds the terms at consecutive positions. */
  hasPhrase(id: number, termIds: readonly number[]): boolean {
    const seq = this.docs.get(id);
    if (seq === undefined) return false;
    const n = termIds.length;
    outer: for (let i = 0; i + n <= seq.length; i++) {
      for (let j = 0; j < n; j++) if (seq[i + j] !== termIds[j]) continue outer;
      return true;
    }
    return false;
  }

  /** Union of the posting lists of the given terms. */
  union(termIds: readonly number[], universe: number): DocSet {
    const lists: Uint32Array[] = [];
    let total = 0;
    for (const t of termIds) {
      const p = this.postings.get(t);
      if (p === undefined) continue;
      const s = p.sorted();
      lists.push(s);
      total += s.length;
    }
    if (lists.length === 0) return DocSet.EMPTY;
    if (lists.length === 1) return DocSet.fromSorted(lists[0]!);
    const all = new Uint32Array(total);
    let n = 0;
    for (const l of lists) {
      all.set(l, n);
      n += l.length;
    }
    return DocSet.fromUnsorted(all, universe);
  }
}

/** w'…' patterns: `*` any run, `?` any one character, a backslash makes the next literal. */
export function globMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    if (p < pattern.length) {
      const c = pattern[p]!;
      if (c === '*') {
        starP = ++p;
        starI = i;
        continue;
      }
      if (c === '\\' && p + 1 < pattern.length) {
        if (pattern[p + 1] === s[i]) {
          p += 2;
          i++;
          continue;
        }
      } else if (c === '?' || c === s[i]) {
        p++;
        i++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    i = ++starI;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether a and b are within `max` edits (insert, delete, substitute), by code point. */
export function withinDistance(a: string, b: string, max: number): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  if (Math.abs(x.length - y.length) > max) return false;
  let prev = new Int32Array(y.length + 1);
  let cur = new Int32Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < rowMin) rowMin = cur[j]!;
    }
    if (rowMin > max) return false;
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]! <= max;
}
