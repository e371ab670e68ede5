// Per-document short lists of numbers (a document's term ids in order, its tag ids), kept in one
// growing Uint32Array instead of an object per document: a million documents cost two typed
// arrays and their values, not a million small arrays. A replaced or removed list leaves a hole;
// when holes outweigh the live values the store copies the live lists together.

function growInt(a: Int32Array<ArrayBuffer>, n: number, fill: number): Int32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  let len = a.length;
  while (len < n) len *= 2;
  const b = new Int32Array(len).fill(fill);
  b.set(a);
  return b;
}

export class SeqStore {
  private data = new Uint32Array(1024);
  private used = 0;
  private holes = 0;
  private start = new Int32Array(64).fill(-1);
  private len = new Int32Array(64);
  private count = 0;

  /** Documents with a list. */
  get size(): number {
    return this.count;
  }

  set(id: number, values: ArrayLike<number>): void {
    this.remove(id);
    if (values.length === 0) return;
    this.start = growInt(this.start, id + 1, -1);
    this.len = growInt(this.len, id + 1, 0);
    if (this.used + values.length > this.data.length) this.makeRoom(values.length);
    this.data.set(values, this.used);
    this.start[id] = this.used;
    this.len[id] = values.length;
    this.used += values.length;
    this.count++;
  }

  remove(id: number): void {
    if (id >= this.start.length || this.start[id]! < 0) return;
    this.holes += this.len[id]!;
    this.start[id] = -1;
    this.len[id] = 0;
    this.count--;
  }

  /** The document's list, or undefined; a view, valid until the next set or remove. */
  get(id: number): Uint32Array | undefined {
    if (id >= this.start.length) return undefined;
    const s = this.start[id]!;
    return s < 0 ? undefined : this.data.subarray(s, s + this.len[id]!);
  }

  private makeRoom(extra: number): void {
    const live = this.used - this.holes;
    let cap = this.data.length;
    while (cap < 2 * (live + extra)) cap *= 2;
    // Compact into a fresh array (of the same size when the holes make enough room).
    const out = new Uint32Array(Math.max(cap, this.data.length));
    let n = 0;
    for (let id = 0; id < this.start.length; id++) {
      const s = this.start[id]!;
      if (s < 0) continue;
      const l = this.len[id]!;
      out.set(this.data.subarray(s, s + l), n);
      this.start[id] = n;
      n += l;
    }
    this.data = out;
    this.used = n;
    this.holes = 0;
  }
}

/**
 * Sorts `ids` by `keys` (parallel arrays, numbers not NaN) with an LSD radix sort on the keys'
 * bits: a million pairs in tens of milliseconds, where a comparator sort takes half a second.
 */
export function sortByKey(keys: Float64Array, ids: Uint32Array): void {
  const n = keys.length;
  if (n < 2) return;
  // Map each double to two uint32 words that sort as unsigned integers in the double's order
  // (the platform is little-endian: the low word comes first).
  const words = new Uint32Array(keys.buffer, keys.byteOffset, n * 2);
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = keys[i] === 0 ? 0 : words[2 * i + 1]!; // -0 sorts with 0
    let l = keys[i] === 0 ? 0 : words[2 * i]!;
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    hi[i] = h;
    lo[i] = l;
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  const passes: ReadonlyArray<readonly [Uint32Array, number]> = [[lo, 0], [lo, 16], [hi, 0], [hi, 16]];
  for (const [word, shift] of passes) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(word[i]! >>> shift) & 0xffff]!++;
    // A digit all keys share (the low bits of integers, say) changes nothing: skip the pass.
    if (counts[(word[0]! >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const o = order[i]!;
      next[counts[(word[o]! >>> shift) & 0xffff]!++] = o;
    }
    [order, next] = [next, order];
  }
  const k2 = new Float64Array(n);
  const i2 = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    k2[i] = keys[order[i]!]!;
    i2[i] = ids[order[i]!]!;
  }
  keys.set(k2);
  ids.set(i2);
}
