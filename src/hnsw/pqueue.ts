// Binary heaps of (distance, node) pairs over typed arrays, reused by one searcher for every
// query: no allocation per visited node, no objects per entry.
//
// `MinQueue` holds the candidates to expand (closest first); `MaxQueue` holds the results found
// so far (farthest on top, so the worst can be compared against and evicted in O(log n)).
// Distances are kept as float64 (they are float32 values, so nothing is rounded) to avoid a
// conversion on every comparison.

export class MinQueue {
  ids: Int32Array;
  dists: Float64Array;
  size = 0;

  constructor(capacity = 256) {
    this.ids = new Int32Array(capacity);
    this.dists = new Float64Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    const dists = new Float64Array(this.dists.length * 2);
    dists.set(this.dists);
    this.ids = ids;
    this.dists = dists;
  }

  push(id: number, dist: number): void {
    if (this.size === this.ids.length) this.grow();
    const ids = this.ids;
    const dists = this.dists;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const pd = dists[parent];
      if (pd <= dist) break;
      ids[i] = ids[parent];
      dists[i] = pd;
      i = parent;
    }
    ids[i] = id;
    dists[i] = dist;
  }

  topDist(): number {
    return this.dists[0];
  }

  topId(): number {
    return this.ids[0];
  }

  /** Remove the closest entry (read it with topId/topDist first). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const ids = this.ids;
    const dists = this.dists;
    const id = ids[n];
    const dist = dists[n];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let cd = dists[child];
      const right = child + 1;
      if (right < n && dists[right] < cd) {
        child = right;
        cd = dists[right];
      }
      if (cd >= dist) break;
      ids[i] = ids[child];
      dists[i] = cd;
      i = child;
    }
    ids[i] = id;
    dists[i] = dist;
  }
}

export class MaxQueue {
  ids: Int32Array;
  dists: Float64Array;
  size = 0;

  constructor(capacity = 256) {
    this.ids = new Int32Array(capacity);
    this.dists = new Float64Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  /** Make room for at least `n` entries without growing during a search. */
  reserve(n: number): void {
    if (n <= this.ids.length) return;
    let cap = this.ids.length;
    while (cap < n) cap *= 2;
    const ids = new Int32Array(cap);
    ids.set(this.ids.subarray(0, this.size));
    const dists = new Float64Array(cap);
    dists.set(this.dists.subarray(0, this.size));
    this.ids = ids;
    this.dists = dists;
  }

  /** Distance of the farthest entry; +Infinity when empty. */
  topDist(): number {
    return this.size === 0 ? Infinity : this.dists[0];
  }

  topId(): number {
    return this.ids[0];
  }

  push(id: number, dist: number): void {
    if (this.size === this.ids.length) this.reserve(this.size + 1);
    const ids = this.ids;
    const dists = this.dists;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const pd = dists[parent];
      if (pd >= dist) break;
      ids[i] = ids[parent];
      dists[i] = pd;
      i = parent;
    }
    ids[i] = id;
    dists[i] = dist;
  }

  /** Remove the farthest entry. */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const ids = this.ids;
    const dists = this.dists;
    const id = ids[n];
    const dist = dists[n];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let cd = dists[child];
      const right = child + 1;
      if (right < n && dists[right] > cd) {
        child = right;
        cd = dists[right];
      }
      if (cd <= dist) break;
      ids[i] = ids[child];
      dists[i] = cd;
      i = child;
    }
    ids[i] = id;
    dists[i] = dist;
  }

  /**
   * Empty the heap into `outIds`/`outDists` in ascending distance order; returns the count.
   */
  drainAscending(outIds: Int32Array, outDists: Float64Array): number {
    const n = this.size;
    for (let k = n - 1; k >= 0; k--) {
      outIds[k] = this.ids[0];
      outDists[k] = this.dists[0];
      this.pop();
    }
    return n;
  }
}
