/**
 * A vector set as a key's value: the engine's `VectorSet` (graph, vectors, names and attributes in
 * shared memory) plus what the keyspace and the commands need around it — the process-wide
 * `vset-uid`, name-based access, reply-ready search hits, the byte-ordered name index for VRANGE,
 * and random sampling for VRANDMEMBER.
 */
import type { KeyValue } from '../keyspace/value.js';
import { Quant, VectorSet, type CasTicket, type InsertPlan, type SetHandle } from './index.js';
import type { CreateOptions, QuantName, RawEmbedding } from './types.js';
import type { RangeBound } from '../commands/vectorset.js';

/** vset-uid: a counter of set objects created in this process (spec §1.4), not persisted. */
let nextUid = 0;

const releaseListeners: Array<(uid: number) => void> = [];

/** Called with a set's uid when it leaves the keyspace (deleted, overwritten, flushed, expired). */
export function onVectorSetReleased(listener: (uid: number) => void): void {
  releaseListeners.push(listener);
}

/**
 * Engine sets that are not keys (the query engine's vector fields, src/query) take their pool ids
 * from here, far above any vset-uid, and say so when they go: search workers forget them.
 */
let nextFieldSetId = 2 ** 40;
export function fieldSetId(): number {
  return nextFieldSetId++;
}
export function fieldSetReleased(id: number): void {
  for (const l of releaseListeners) l(id);
}

function quantOf(name: QuantName): Quant {
  return name === 'f32' ? Quant.NoQuant : name === 'int8' ? Quant.Q8 : Quant.Bin;
}

export class VectorSetValue implements KeyValue {
  readonly type = 'vectorset' as const;
  readonly uid = nextUid++;
  /**
   * Element names in byte order for VRANGE: built on first use, then kept up to date by VADD and
   * VREM (a binary search and an array splice each), so paging with VRANGE while writing does
   * not re-sort the whole set on every call.
   */
  private sortedNames: Buffer[] | null = null;

  constructor(readonly engine: VectorSet) {}

  static create(opts: CreateOptions): VectorSetValue {
    return new VectorSetValue(
      VectorSet.create({
        dim: opts.dim,
        quant: quantOf(opts.quant),
        M: opts.m,
        arena: true,
        ...(opts.projectionInputDim > 0 ? { projectFrom: opts.projectionInputDim } : {}),
      }),
    );
  }

  // ---- KeyValue ----------------------------------------------------------------------------

  elementCount(): number {
    // Without making the views of a set the hydration ring let go again: the load's log line and
    // INFO's keyspace section count every key's elements (a snapshot of 10,000 small sets made
    // 9,500 sets of views again for that, each a dozen typed arrays, garbage a moment later).
    return this.engine.cardWithoutViews;
  }

  memoryUsage(): number {
    return this.engine.memoryUsage();
  }

  encoding(): string {
    // Redis reports any module value as "raw".
    return 'raw';
  }

  // ---- properties (VINFO, VDIM, VCARD) ------------------------------------------------------

  get dim(): number {
    return this.engine.dim;
  }
  get projectionInputDim(): number {
    return this.engine.projectionInputDim;
  }
  get quant(): QuantName {
    return this.engine.quantName;
  }
  get m(): number {
    return this.engine.M;
  }
  get size(): number {
    return this.engine.card;
  }
  get maxLevel(): number {
    return this.engine.maxLevel;
  }
  get attributesCount(): number {
    return this.engine.attributesCount;
  }
  get maxNodeUid(): number {
    return this.engine.lastNodeId;
  }

  // ---- elements ----------------------------------------------------------------------------

  has(name: Uint8Array): boolean {
    return this.engine.lookup(name) >= 0;
  }

  /**
   * VADD: inserts or updates. `attr`: undefined keeps (or none for a new element), an empty
   * buffer on an update removes the attribute, on a new element stores an empty one (spec §14.1).
   * Returns true for a new element.
   */
  add(name: Uint8Array, vector: Float32Array, attr: Uint8Array | undefined, ef: number): boolean {
    const exists = this.engine.lookup(name) >= 0;
    let a: Uint8Array | null | undefined = attr;
    if (exists && attr !== undefined && attr.length === 0) a = null;
    const r = this.engine.add(name, vector, a === undefined ? { ef } : { ef, attr: a });
    if (r.added) this.nameAdded(name);
    return r.added;
  }

  /**
   * VADDRAW: inserts or updates from the stored form (checked by the caller), with VADD's
   * attribute rules. Returns true for a new element.
   */
  addStored(name: Uint8Array, bytes: Uint8Array, l2: number, range: number, attr: Uint8Array | undefined, ef: number): boolean {
    const exists = this.engine.lookup(name) >= 0;
    let a: Uint8Array | null | undefined = attr;
    if (exists && attr !== undefined && attr.length === 0) a = null;
    const r = this.engine.addStored(name, bytes, l2, range, a === undefined ? { ef } : { ef, attr: a });
    if (r.added) this.nameAdded(name);
    return r.added;
  }

  /**
   * VADD CAS, the commit on the main thread: insert the new element `name` (the caller has
   * checked that it is absent), linked from the plan a search thread made when the plan still
   * fits the graph. Returns whether the plan was used (false: the insert searched again).
   */
  addPlanned(name: Uint8Array, vector: Float32Array, attr: Uint8Array | undefined, ef: number, ticket: CasTicket, plan: InsertPlan | null): boolean {
    const r = this.engine.add(name, vector, { ef, cas: { ticket, plan }, ...(attr === undefined ? {} : { attr }) });
    if (r.added) this.nameAdded(name);
    return r.planned === true;
  }

  private nameAdded(name: Uint8Array): void {
    if (this.sortedNames === null) return;
    const copy = Buffer.from(name);
    this.sortedNames.splice(lowerBound(this.sortedNames, copy, false), 0, copy);
  }

  remove(name: Uint8Array): boolean {
    const removed = this.engine.remove(name);
    if (removed) {
      if (this.sortedNames !== null) this.sortedNames.splice(lowerBound(this.sortedNames, name, false), 1);
      this.engine.reclaim();
    }
    return removed;
  }

  /** undefined: no such element; null: no attribute. */
  getAttr(name: Uint8Array): Uint8Array | null | undefined {
    const node = this.engine.lookup(name);
    if (node < 0) return undefined;
    return this.engine.getAttr(node);
  }

  /** VSETATTR: null removes. Returns false when the element does not exist. */
  setAttr(name: Uint8Array, value: Uint8Array | null): boolean {
    const node = this.engine.lookup(name);
    if (node < 0) return false;
    this.engine.setAttr(node, value);
    return true;
  }

  embedding(name: Uint8Array): Float64Array | null {
    const node = this.engine.lookup(name);
    return node < 0 ? null : this.engine.reconstruct(node);
  }

  rawEmbedding(name: Uint8Array): RawEmbedding | null {
    const node = this.engine.lookup(name);
    if (node < 0) return null;
    const r = this.engine.raw(node);
    const quant = this.quant;
    return quant === 'int8' ? { quant, bytes: r.bytes, l2: r.l2, range: r.range } : { quant, bytes: r.bytes, l2: r.l2 };
  }

  /** VLINKS: per level from the node's top level down to 0, neighbour names and float-rounded scores. */
  links(name: Uint8Array): Array<Array<{ name: Uint8Array; score: number }>> | null {
    const node = this.engine.lookup(name);
    if (node < 0) return null;
    const l = this.engine.links(node, true);
    const out: Array<Array<{ name: Uint8Array; score: number }>> = [];
    for (let level = l.links.length - 1; level >= 0; level--) {
      const ids = l.links[level]!;
      const scores = l.scores![level]!;
      const row: Array<{ name: Uint8Array; score: number }> = [];
      for (let i = 0; i < ids.length; i++) row.push({ name: this.engine.nameOf(ids[i]!), score: scores[i]! });
      out.push(row);
    }
    return out;
  }

  // ---- search ------------------------------------------------------------------------------

  /**
   * The structured-cloneable handle a search worker attaches: where the set lies now (an arena
   * set moves as it grows, so this is asked for each search).
   */
  handle(): SetHandle {
    return this.engine.handle();
  }

  /**
   * Leaving the keyspace: workers that attached the set let go of it, and its arena block goes
   * back once the searches already handed out have finished.
   */
  release(): void {
    for (const l of releaseListeners) l(this.uid);
    this.engine.dispose();
  }

  // ---- VRANDMEMBER and VRANGE --------------------------------------------------------------

  /**
   * VRANDMEMBER's sample as node slots: `count` distinct members (at most the set's size), or
   * exactly `count` members with repeats allowed. Slots, not names, so that a large sample costs
   * 4 bytes per member until the reply is written (names via `memberName`).
   *
   * Distinct members follow the reference (spec §7.11): up to 20% of the set, random picks with
   * duplicates rejected; beyond that, a run of consecutive members from a random start,
   * wrapping around. Picks are uniform; Redis's random walk is not, and clients must not rely on
   * either.
   */
  randomSample(count: number, repeats: boolean): Int32Array {
    const e = this.engine;
    const size = e.card;
    if (size === 0) return new Int32Array(0);
    if (repeats) {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = e.randomNode();
      return out;
    }
    const n = Math.min(count, size);
    const out = new Int32Array(n);
    if (n <= size * 0.2) {
      const seen = new Set<number>();
      while (seen.size < n) {
        const node = e.randomNode();
        if (seen.has(node)) continue;
        out[seen.size] = node;
        seen.add(node);
      }
      return out;
    }
    const all = Int32Array.from(e.nodes());
    const start = Math.floor(Math.random() * all.length);
    for (let i = 0; i < n; i++) out[i] = all[(start + i) % all.length]!;
    return out;
  }

  /** The name of a node from `randomSample`, as a view valid until the next write. */
  memberName(node: number): Uint8Array {
    return this.engine.nameView(node);
  }

  private sorted(): Buffer[] {
    if (this.sortedNames === null) {
      const names: Buffer[] = [];
      for (const node of this.engine.nodes()) {
        const n = this.engine.nameOf(node);
        names.push(Buffer.from(n.buffer, n.byteOffset, n.length));
      }
      names.sort(Buffer.compare);
      this.sortedNames = names;
    }
    return this.sortedNames;
  }

  /** VRANGE: names in byte order between the bounds, at most `count` (negative: no limit). */
  range(start: RangeBound, end: RangeBound, count: number): Uint8Array[] {
    const names = this.sorted();
    const lo = start.kind === 'incl' || start.kind === 'excl' ? lowerBound(names, start.name, start.kind === 'excl') : 0;
    const out: Uint8Array[] = [];
    for (let i = lo; i < names.length && (count < 0 || out.length < count); i++) {
      const n = names[i]!;
      if (end.kind === 'incl' && Buffer.compare(n, end.name) > 0) break;
      if (end.kind === 'excl' && Buffer.compare(n, end.name) >= 0) break;
      out.push(n);
    }
    return out;
  }
}

/** First index whose name is ≥ `target` (> `target` when `after`), in byte order. */
function lowerBound(names: Buffer[], target: Uint8Array, after: boolean): number {
  let a = 0;
  let b = names.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    const cmp = Buffer.compare(names[mid]!, target);
    if (cmp < 0 || (cmp === 0 && after)) a = mid + 1;
    else b = mid;
  }
  return a;
}
