// A posting list: the ids of the documents that have one term or tag. Writes are cheap (a set
// insert or delete on the side); a read folds the pending changes into one sorted array, once,
// and keeps it until the next write. So a burst of writes followed by queries costs one merge
// per list, and a list nobody queries is never sorted.

export class PostingList {
  /** Sorted, unique ids as of the last fold. */
  private base: Uint32Array = new Uint32Array(0);
  /** Ids added since (not in base). */
  private adds = new Set<number>();
  /** Ids of base removed since. */
  private dels = new Set<number>();

  /** An upper bound of the size, without folding. */
  get sizeBound(): number {
    return this.base.length + this.adds.size;
  }

  get size(): number {
    return this.base.length + this.adds.size - this.dels.size;
  }

  private inBase(id: number): boolean {
    const a = this.base;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && a[lo] === id;
  }

  add(id: number): void {
    if (this.dels.size > 0 && this.dels.delete(id)) return;
    if (!this.adds.has(id) && !this.inBase(id)) this.adds.add(id);
  }

  remove(id: number): void {
    if (this.adds.delete(id)) return;
    if (this.inBase(id)) this.dels.add(id);
  }

  has(id: number): boolean {
    if (this.adds.has(id)) return true;
    return !this.dels.has(id) && this.inBase(id);
  }

  /** The ids, sorted ascending. The array is shared: do not modify it. */
  sorted(): Uint32Array {
    if (this.adds.size === 0 && this.dels.size === 0) return this.base;
    const added = Uint32Array.from(this.adds).sort();
    const out = new Uint32Array(this.base.length - this.dels.size + added.length);
    let i = 0;
    let j = 0;
    let n = 0;
    const b = this.base;
    while (i < b.length || j < added.length) {
      if (j >= added.length || (i < b.length && b[i]! < added[j]!)) {
        const id = b[i++]!;
        if (!this.dels.has(id)) out[n++] = id;
      } else {
        out[n++] = added[j++]!;
      }
    }
    this.base = out.subarray(0, n);
    this.adds = new Set();
    this.dels = new Set();
    return this.base;
  }
}
