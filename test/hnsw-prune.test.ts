// A full neighbour's level-0 list is re-pruned when a new node links to it (src/hnsw/insert.ts
// pruneFullList), as hnswlib re-prunes a full list: links that point the same way as a closer
// link go, both ways, and the new node, which points another way, takes their place. Swapping a
// single link instead refused a new node farther than every link of the full list.
import { describe, expect, test } from 'vitest';
import { Quant, VectorSet } from '../src/vset/index.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString();
/** A unit vector in the plane at `deg` degrees (cosine distance depends on the angle only). */
const at = (deg: number): Float32Array => new Float32Array([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]);

function level0(set: VectorSet, name: string): string[] {
  return [...set.links(set.lookup(enc(name))).links[0]].map((id) => dec(set.nameOf(id))).sort();
}

describe('re-pruning a full level-0 list', () => {
  test('links that point the way a closer link points make room for a node in another direction', () => {
    // M 4: level-0 lists hold 8 links. The plain float32 graph (exact: false): these angles lie
    // closer together than a Q8 walk can tell apart at 2 dimensions.
    const set = VectorSet.create({ dim: 2, quant: Quant.NoQuant, exact: false, M: 4, seed: 3 });
    set.add(enc('c'), at(0));
    // r0 … r7 on one side of c, each a little nearer to c than the one before: each links the
    // one before and c (c is never covered by a neighbour farther from it), so c's list fills.
    for (let i = 0; i < 8; i++) set.add(enc(`r${i}`), at(31.4 - 0.2 * i));
    expect(level0(set, 'c')).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(level0(set, 'r3')).toEqual(['c', 'r2', 'r4']);

    // q lies on the other side, farther from c (40°) than any link of c (at most 31.4°).
    set.add(enc('q'), at(-40));
    // The heuristic over c's links and q keeps r7 (the nearest) and q; r1 … r6 are covered by r7
    // and go (each keeps two links and reaches c through its neighbour); r0 stays, being down to
    // M/2 links. The old rule would have swapped c's farthest link, r0, for q.
    expect(level0(set, 'c')).toEqual(['q', 'r0', 'r7']);
    for (let i = 1; i <= 6; i++) expect(level0(set, `r${i}`)).not.toContain('c');
    expect(level0(set, 'r3')).toEqual(['r2', 'r4']);
    expect(level0(set, 'q')).toContain('c');
    expect(set.validate()).toEqual([]);

    // Every element is still found from anywhere.
    for (const name of ['c', 'q', 'r0', 'r3', 'r7']) {
      const node = set.lookup(enc(name));
      const r = set.search(set.queryFromNode(node), { count: 1, ef: 10 });
      expect(dec(set.nameOf(r.ids[0]))).toBe(name);
    }
  });

  test('a new node the full list already covers changes nothing but its own links', () => {
    const set = VectorSet.create({ dim: 2, quant: Quant.NoQuant, exact: false, M: 4, seed: 3 });
    set.add(enc('c'), at(0));
    for (let i = 0; i < 8; i++) set.add(enc(`r${i}`), at(31.4 - 0.2 * i));
    // q on the same side, beyond the r's: r7 is closer to it than c is, so c does not take it.
    set.add(enc('q'), at(45));
    expect(level0(set, 'c')).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(level0(set, 'q')).not.toContain('c');
    expect(set.validate()).toEqual([]);
  });
});
