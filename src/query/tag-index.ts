// A TAG field index: tag value → posting list, plus each document's own tags (to remove it
// again and to test one document without the lists). Values are stored as tagKey() makes them:
// lower-cased unless the field is CASESENSITIVE.

import type { TagMatch } from './ast.js';
import { DocSet } from './docset.js';
import { PostingList } from './postings.js';
import { globMatch } from './text-index.js';

export class TagIndex {
  private readonly postings = new Map<string, PostingList>();
  private readonly docTags = new Map<number, readonly string[]>();

  /** Documents with at least one tag in this field. */
  get size(): number {
    return this.docTags.size;
  }

  set(id: number, tags: readonly string[]): void {
    this.remove(id);
    const unique = [...new Set(tags)];
    if (unique.length === 0) return;
    this.docTags.set(id, unique);
    for (const t of unique) {
      let p = this.postings.get(t);
      if (p === undefined) this.postings.set(t, (p = new PostingList()));
      p.add(id);
    }
  }

  remove(id: number): void {
    const old = this.docTags.get(id);
    if (old === undefined) return;
    this.docTags.delete(id);
    for (const t of old) {
      const p = this.postings.get(t)!;
      p.remove(id);
      if (p.size === 0) this.postings.delete(t);
    }
  }

  /** The tag values a match selects. */
  private values(m: TagMatch): string[] {
    if (m.kind === 'exact') return this.postings.has(m.value) ? [m.value] : [];
    const out: string[] = [];
    for (const t of this.postings.keys()) if (tagMatches(t, m)) out.push(t);
    return out;
  }

  /** Documents with a tag any of the matches selects. */
  lookup(matches: readonly TagMatch[], universe: number): DocSet {
    let lists: Uint32Array[] = [];
    for (const m of matches) for (const v of this.values(m)) lists.push(this.postings.get(v)!.sorted());
    if (lists.length === 0) return DocSet.EMPTY;
    if (lists.length === 1) return DocSet.fromSorted(lists[0]!);
    let total = 0;
    for (const l of lists) total += l.length;
    const all = new Uint32Array(total);
    let n = 0;
    for (const l of lists) {
      all.set(l, n);
      n += l.length;
    }
    lists = [];
    return DocSet.fromUnsorted(all, universe);
  }

  /** An upper bound of lookup()'s size: exact values from their lists, patterns the field size. */
  estimate(matches: readonly TagMatch[]): number {
    let n = 0;
    for (const m of matches) {
      if (m.kind !== 'exact') return this.size;
      n += this.postings.get(m.value)?.sizeBound ?? 0;
    }
    return Math.min(n, this.size);
  }

  /** Whether one document has a tag any of the matches selects. */
  test(id: number, matches: readonly TagMatch[]): boolean {
    const tags = this.docTags.get(id);
    if (tags === undefined) return false;
    for (const m of matches) for (const t of tags) if (tagMatches(t, m)) return true;
    return false;
  }
}

export function tagMatches(tag: string, m: TagMatch): boolean {
  switch (m.kind) {
    case 'exact':
      return tag === m.value;
    case 'prefix':
      return tag.startsWith(m.value);
    case 'suffix':
      return tag.endsWith(m.value);
    case 'contains':
      return tag.includes(m.value);
    case 'pattern':
      return globMatch(m.pattern, tag);
  }
}
