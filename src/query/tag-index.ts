// A TAG field index: tag value → posting list, plus each document's own tags (to remove it
// again and to test one document without the lists). Values are stored as tagKey() makes them:
// lower-cased unless the field is CASESENSITIVE; each distinct value gets a number, and a
// document's tags are kept as those numbers (SeqStore), not as strings.

import type { TagMatch } from './ast.js';
import { DocSet } from './docset.js';
import { PostingList } from './postings.js';
import { SeqStore } from './seq-store.js';
import { globMatch } from './text-index.js';

export class TagIndex {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];
  private readonly postings: Array<PostingList | undefined> = [];
  private readonly docTags = new SeqStore();

  /** Documents with at least one tag in this field. */
  get size(): number {
    return this.docTags.size;
  }

  set(id: number, tags: readonly string[]): void {
    this.remove(id);
    const unique: number[] = [];
    for (const t of new Set(tags)) {
      let tid = this.ids.get(t);
      if (tid === undefined) {
        tid = this.values.length;
        this.ids.set(t, tid);
        this.values.push(t);
      }
      unique.push(tid);
      (this.postings[tid] ??= new PostingList()).add(id);
    }
    this.docTags.set(id, unique);
  }

  remove(id: number): void {
    const old = this.docTags.get(id);
    if (old === undefined) return;
    for (let i = 0; i < old.length; i++) this.postings[old[i]!]!.remove(id);
    this.docTags.remove(id);
  }

  /** Numbers of the tag values a list of matches selects. */
  select(matches: readonly TagMatch[]): Set<number> {
    const out = new Set<number>();
    for (const m of matches) {
      if (m.kind === 'exact') {
        const tid = this.ids.get(m.value);
        if (tid !== undefined) out.add(tid);
      } else {
        this.values.forEach((v, tid) => {
          if (tagMatches(v, m)) out.add(tid);
        });
      }
    }
    return out;
  }

  /** Documents with a tag any of the matches selects. */
  lookup(matches: readonly TagMatch[], universe: number): DocSet {
    const lists: Uint32Array[] = [];
    let total = 0;
    for (const tid of this.select(matches)) {
      const p = this.postings[tid]!;
      if (p.size === 0) continue;
      const l = p.sorted();
      lists.push(l);
      total += l.length;
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

  /** An upper bound of lookup()'s size: exact values from their lists, patterns the field size. */
  estimate(matches: readonly TagMatch[]): number {
    let n = 0;
    for (const m of matches) {
      if (m.kind !== 'exact') return this.size;
      const tid = this.ids.get(m.value);
      n += tid === undefined ? 0 : this.postings[tid]!.sizeBound;
    }
    return Math.min(n, this.size);
  }

  /** Whether a document has one of the selected tags (from select()). */
  test(id: number, selected: ReadonlySet<number>): boolean {
    const tags = this.docTags.get(id);
    if (tags === undefined) return false;
    for (let i = 0; i < tags.length; i++) if (selected.has(tags[i]!)) return true;
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
