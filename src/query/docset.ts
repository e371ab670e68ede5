// A set of document ids (small non-negative integers) for query evaluation, in one of two forms:
//   - sparse: a sorted Uint32Array of the ids, when few documents match;
//   - dense: a bitmap with one bit per possible id, when many do.
// AND/OR/AND-NOT pick the cheap path for each pair of forms (a sparse side is walked and tested
// against the other; two bitmaps combine word by word), so combining a handful of clauses over a
// million documents costs a few tens of thousands of word operations. Sets are immutable.

/** A set switches to a bitmap above one member per this many possible ids (bitmap ≤ array size). */
const DENSE_RATIO = 32;

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class DocSet {
  private constructor(
    /** Sorted ids, or null when dense. */
    private readonly ids: Uint32Array | null,
    /** Bitmap, or null when sparse. */
    private readonly bits: Uint32Array | null,
    /** Number of members. */
    readonly size: number,
  ) {}

  static readonly EMPTY = new DocSet(new Uint32Array(0), null, 0);

  /** From ids already sorted ascending and unique (taken, not copied). */
  static fromSorted(ids: Uint32Array): DocSet {
    return ids.length === 0 ? DocSet.EMPTY : new DocSet(ids, null, ids.length);
  }

  /** From a bitmap (taken, not copied). */
  static fromBits(bits: Uint32Array): DocSet {
    let n = 0;
    for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) n += popcount(bits[i]!);
    return n === 0 ? DocSet.EMPTY : new DocSet(null, bits, n);
  }

  /**
   * From ids in any order, possibly repeated (taken). `universe` bounds every id (id < universe)
   * and decides the form.
   */
  static fromUnsorted(ids: Uint32Array, universe: number): DocSet {
    if (ids.length === 0) return DocSet.EMPTY;
    if (ids.length * DENSE_RATIO > universe) {
      const bits = new Uint32Array((universe + 31) >>> 5);
      for (let i = 0; i < ids.length; i++) bits[ids[i]! >>> 5]! |= 1 << (ids[i]! & 31);
      return DocSet.fromBits(bits);
    }
    ids.sort();
    let n = 1;
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[n - 1]) ids[n++] = ids[i]!;
    return DocSet.fromSorted(n === ids.length ? ids : ids.subarray(0, n));
  }

  get isDense(): boolean {
    return this.bits !== null;
  }

  has(id: number): boolean {
    if (this.bits !== null) {
      const w = id >>> 5;
      return w < this.bits.length && (this.bits[w]! & (1 << (id & 31))) !== 0;
    }
    const a = this.ids!;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && a[lo] === id;
  }

  /** The members in ascending order. */
  toArray(): Uint32Array {
    if (this.ids !== null) return this.ids;
    const out = new Uint32Array(this.size);
    let n = 0;
    const b = this.bits!;
    for (let w = 0; w < b.length; w++) {
      let x = b[w]!;
      while (x !== 0) {
        const t = x & -x;
        out[n++] = (w << 5) + 31 - Math.clz32(t);
        x ^= t;
      }
    }
    return out;
  }

  forEach(fn: (id: number) => void): void {
    if (this.ids !== null) {
      for (let i = 0; i < this.ids.length; i++) fn(this.ids[i]!);
      return;
    }
    const b = this.bits!;
    for (let w = 0; w < b.length; w++) {
      let x = b[w]!;
      while (x !== 0) {
        const t = x & -x;
        fn((w << 5) + 31 - Math.clz32(t));
        x ^= t;
      }
    }
  }

  and(o: DocSet): DocSet {
    if (this.size === 0 || o.size === 0) return DocSet.EMPTY;
    if (this.bits !== null && o.bits !== null) {
      const n = Math.min(this.bits.length, o.bits.length);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = this.bits[i]! & o.bits[i]!;
      return DocSet.fromBits(out);
    }
    // Walk the sparse side (the smaller one if both are) and test the other.
    const [walk, test] = this.ids !== null && (o.ids === null || this.size <= o.size) ? [this, o] : [o, this];
    const a = walk.ids!;
    const out = new Uint32Array(Math.min(a.length, test.size));
    let n = 0;
    if (test.bits !== null) {
      const b = test.bits;
      for (let i = 0; i < a.length; i++) {
        const id = a[i]!;
        const w = id >>> 5;
        if (w < b.length && (b[w]! & (1 << (id & 31))) !== 0) out[n++] = id;
      }
    } else {
      // Merge with galloping: cheap when one list is much shorter.
      const c = test.ids!;
      let j = 0;
      for (let i = 0; i < a.length && j < c.length; i++) {
        const id = a[i]!;
        if (c[j]! < id) {
          let step = 1;
          while (j + step < c.length && c[j + step]! < id) step *= 2;
          let lo = j + (step >> 1);
          let hi = Math.min(j + step, c.length);
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (c[mid]! < id) lo = mid + 1;
            else hi = mid;
          }
          j = lo;
        }
        if (j < c.length && c[j] === id) out[n++] = id;
      }
    }
    return DocSet.fromSorted(out.subarray(0, n));
  }

  or(o: DocSet): DocSet {
    if (o.size === 0) return this;
    if (this.size === 0) return o;
    if (this.bits !== null || o.bits !== null) {
      const [d, other] = this.bits !== null ? [this, o] : [o, this];
      const len = other.bits !== null ? Math.max(d.bits!.length, other.bits.length) : Math.max(d.bits!.length, ((other.ids![other.size - 1]! >>> 5) + 1));
      const out = new Uint32Array(len);
      out.set(d.bits!);
      if (other.bits !== null) for (let i = 0; i < other.bits.length; i++) out[i]! |= other.bits[i]!;
      else for (let i = 0; i < other.ids!.length; i++) out[other.ids![i]! >>> 5]! |= 1 << (other.ids![i]! & 31);
      return DocSet.fromBits(out);
    }
    const a = this.ids!;
    const b = o.ids!;
    const out = new Uint32Array(a.length + b.length);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < a.length && j < b.length) {
      const x = a[i]!;
      const y = b[j]!;
      if (x < y) {
        out[n++] = x;
        i++;
      } else if (y < x) {
        out[n++] = y;
        j++;
      } else {
        out[n++] = x;
        i++;
        j++;
      }
    }
    while (i < a.length) out[n++] = a[i++]!;
    while (j < b.length) out[n++] = b[j++]!;
    return DocSet.fromSorted(out.subarray(0, n));
  }

  /** The members of this set that are not in o. */
  andNot(o: DocSet): DocSet {
    if (this.size === 0 || o.size === 0) return this;
    if (this.bits !== null) {
      const out = Uint32Array.from(this.bits);
      if (o.bits !== null) {
        const n = Math.min(out.length, o.bits.length);
        for (let i = 0; i < n; i++) out[i]! &= ~o.bits[i]!;
      } else {
        for (let i = 0; i < o.ids!.length; i++) {
          const id = o.ids![i]!;
          if (id >>> 5 < out.length) out[id >>> 5]! &= ~(1 << (id & 31));
        }
      }
      return DocSet.fromBits(out);
    }
    const a = this.ids!;
    const out = new Uint32Array(a.length);
    let n = 0;
    for (let i = 0; i < a.length; i++) if (!o.has(a[i]!)) out[n++] = a[i]!;
    return n === a.length ? this : DocSet.fromSorted(out.subarray(0, n));
  }
}
