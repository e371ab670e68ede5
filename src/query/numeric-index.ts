// NUMERIC and GEO field indexes.
//
// NumericIndex keeps every document's value in a typed array (NaN: no value) and, for ranges,
// a copy sorted by value. Writes never touch the sorted copy: a new or changed value goes to a
// small unsorted "delta", and an entry of the sorted copy whose document now has another value
// (or none) is simply stale, recognised by comparing with the current value. A range query binary
// searches the sorted copy, skips stale entries and scans the delta; when the delta grows past
// a sixteenth of the sorted part, the next query merges it in (O(n), sorting only the delta).

import { DocSet } from './docset.js';
import { sortByKey } from './seq-store.js';

const EARTH_RADIUS_IN_METERS = 6372797.560856;

function grow(a: Float64Array<ArrayBuffer>, id: number, fill: number): Float64Array<ArrayBuffer> {
  if (id < a.length) return a;
  let n = a.length;
  while (n <= id) n *= 2;
  const b = new Float64Array(n).fill(fill);
  b.set(a);
  return b;
}

function growInt(a: Int32Array<ArrayBuffer>, id: number): Int32Array<ArrayBuffer> {
  if (id < a.length) return a;
  let n = a.length;
  while (n <= id) n *= 2;
  const b = new Int32Array(n).fill(-1);
  b.set(a);
  return b;
}

export class NumericIndex {
  private values = new Float64Array(64).fill(NaN);
  /** The value each document has in the sorted part (NaN: none). */
  private inMain = new Float64Array(64).fill(NaN);
  private mainVals = new Float64Array(0);
  private mainIds = new Uint32Array(0);
  private deltaIds: number[] = [];
  private deltaVals: number[] = [];
  /** Index of each document's delta entry, or -1. */
  private deltaPos = new Int32Array(64).fill(-1);
  private count = 0;

  /** Documents with a value. */
  get size(): number {
    return this.count;
  }

  value(id: number): number {
    return id < this.values.length ? this.values[id]! : NaN;
  }

  set(id: number, v: number): void {
    this.values = grow(this.values, id, NaN);
    this.inMain = grow(this.inMain, id, NaN);
    this.deltaPos = growInt(this.deltaPos, id);
    if (Number.isNaN(this.values[id]!)) this.count++;
    this.values[id] = v;
    if (this.inMain[id] === v) return; // its entry in the sorted part is valid again
    const p = this.deltaPos[id]!;
    if (p >= 0) this.deltaVals[p] = v;
    else {
      this.deltaPos[id] = this.deltaIds.length;
      this.deltaIds.push(id);
      this.deltaVals.push(v);
    }
  }

  remove(id: number): void {
    if (id >= this.values.length || Number.isNaN(this.values[id]!)) return;
    this.values[id] = NaN;
    this.count--;
  }

  /** Merges the delta into the sorted part, dropping stale entries. */
  private compact(): void {
    const n = this.deltaIds.length;
    const dv = Float64Array.from(this.deltaVals);
    const di = Uint32Array.from(this.deltaIds);
    sortByKey(dv, di);
    const outVals = new Float64Array(this.mainVals.length + n);
    const outIds = new Uint32Array(this.mainVals.length + n);
    let k = 0;
    let i = 0;
    let j = 0;
    const mv = this.mainVals;
    const mi = this.mainIds;
    for (let t = 0; t < mi.length; t++) this.inMain[mi[t]!] = NaN;
    while (i < mv.length || j < n) {
      let id: number;
      let v: number;
      if (j >= n || (i < mv.length && mv[i]! <= dv[j]!)) {
        id = mi[i]!;
        v = mv[i++]!;
      } else {
        id = di[j]!;
        v = dv[j++]!;
      }
      // Keep an entry only if it is the document's current value and not kept already.
      if (this.values[id] === v && !(this.inMain[id] === v)) {
        outVals[k] = v;
        outIds[k++] = id;
        this.inMain[id] = v;
      }
    }
    for (const id of this.deltaIds) this.deltaPos[id] = -1;
    this.mainVals = outVals.subarray(0, k);
    this.mainIds = outIds.subarray(0, k);
    this.deltaIds = [];
    this.deltaVals = [];
  }

  private bounds(min: number, max: number, minInc: boolean, maxInc: boolean): [number, number] {
    const a = this.mainVals;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (minInc ? a[mid]! < min : a[mid]! <= min) lo = mid + 1;
      else hi = mid;
    }
    const start = lo;
    hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (maxInc ? a[mid]! <= max : a[mid]! < max) lo = mid + 1;
      else hi = mid;
    }
    return [start, lo];
  }

  /** Documents whose value lies in the range. `universe` bounds the ids. */
  range(min: number, max: number, minInc: boolean, maxInc: boolean, universe: number): DocSet {
    if (Number.isNaN(min) || Number.isNaN(max)) return DocSet.EMPTY;
    if (this.deltaIds.length > 1024 && this.deltaIds.length * 16 > this.mainVals.length) this.compact();
    const [s, e] = this.bounds(min, max, minInc, maxInc);
    const out = new Uint32Array(Math.max(0, e - s) + this.deltaIds.length);
    let n = 0;
    const vals = this.values;
    for (let i = s; i < e; i++) {
      const id = this.mainIds[i]!;
      if (vals[id] === this.mainVals[i]) out[n++] = id;
    }
    for (let i = 0; i < this.deltaIds.length; i++) {
      const id = this.deltaIds[i]!;
      const v = this.deltaVals[i]!;
      if (vals[id] !== v || this.inMain[id] === v) continue;
      if ((minInc ? v >= min : v > min) && (maxInc ? v <= max : v < max)) out[n++] = id;
    }
    return DocSet.fromUnsorted(out.subarray(0, n), universe);
  }

  /** An upper bound of range()'s size, in O(log n). */
  estimate(min: number, max: number, minInc: boolean, maxInc: boolean): number {
    if (Number.isNaN(min) || Number.isNaN(max)) return 0;
    const [s, e] = this.bounds(min, max, minInc, maxInc);
    return Math.min(this.count, Math.max(0, e - s) + this.deltaIds.length);
  }
}

/** Points of a GEO field; a radius query scans them (no geohash tree). */
export class GeoIndex {
  private lon = new Float64Array(64).fill(NaN);
  private lat = new Float64Array(64).fill(NaN);
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(id: number, lon: number, lat: number): void {
    this.lon = grow(this.lon, id, NaN);
    this.lat = grow(this.lat, id, NaN);
    if (Number.isNaN(this.lon[id]!)) this.count++;
    this.lon[id] = lon;
    this.lat[id] = lat;
  }

  remove(id: number): void {
    if (id >= this.lon.length || Number.isNaN(this.lon[id]!)) return;
    this.lon[id] = NaN;
    this.lat[id] = NaN;
    this.count--;
  }

  within(id: number, lon: number, lat: number, radius: number): boolean {
    if (id >= this.lon.length || Number.isNaN(this.lon[id]!)) return false;
    return geoDistance(lon, lat, this.lon[id]!, this.lat[id]!) <= radius;
  }

  radius(lon: number, lat: number, radius: number): DocSet {
    const out: number[] = [];
    for (let id = 0; id < this.lon.length; id++) if (this.within(id, lon, lat, radius)) out.push(id);
    return DocSet.fromSorted(Uint32Array.from(out));
  }
}

/** Haversine distance in meters, with the earth radius Redis's geo commands use. */
export function geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180;
  const u = Math.sin(((lat2 - lat1) * rad) / 2);
  const v = Math.sin(((lon2 - lon1) * rad) / 2);
  const a = u * u + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * v * v;
  return 2 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}
