/**
 * One FT index over the hashes of database 0 whose keys start with one of its prefixes: the
 * documents (each key gets a small number, reused after removal), the secondary indexes of its
 * TEXT/TAG/NUMERIC/GEO fields (secondary-index.ts) and one HNSW graph per VECTOR field
 * (vector-field.ts). The registry (registry.ts) calls `update` after every change of a key the
 * index follows, so the index is exact at all times: there is no background indexing.
 *
 * A hash whose fields cannot be indexed (a vector blob of the wrong size, a NUMERIC field that is
 * not a number) is not indexed at all and counts as an indexing failure, as in RediSearch.
 */
import type { HashValue } from '../keyspace/hash-value.js';
import type { KeyValue } from '../keyspace/value.js';
import { isMemoryFailure } from '../vset/placement.js';
import { DocSet } from './docset.js';
import type { IndexDefinition, VectorFieldSpec } from './schema.js';
import { SecondaryIndex } from './secondary-index.js';
import { VectorField } from './vector-field.js';

/** A VECTOR field and, per document number, the graph node holding its vector (−1: none). */
export interface IndexedVectors {
  readonly spec: VectorFieldSpec;
  readonly field: VectorField;
  slotById: Int32Array;
}

export class FtIndex {
  secondary: SecondaryIndex;
  readonly vectors = new Map<string, IndexedVectors>();
  private readonly idOf = new Map<string, number>();
  private keyOf: Array<string | undefined> = [];
  private freeIds: number[] = [];
  /**
   * Per document number, when it was last (re)indexed: RediSearch gives a document a new,
   * larger doc id every time it is reindexed, and orders results it does not otherwise order
   * (equal scores, equal sort keys) by that id. Document numbers here are reused, so this
   * sequence stands in for RediSearch's doc id.
   */
  private seqById = new Float64Array(16);
  private lastSeq = 0;
  /** Bumped by every change: a search that ran on the pool compares it to decide to recheck. */
  version = 0;
  /** Documents refused since the index was created (FT.INFO hash_indexing_failures). */
  failures = 0;
  lastFailure: { key: string; message: string } | null = null;
  /** FT.SEARCH calls (FT.INFO number_of_uses). */
  uses = 0;
  /** Queries per dialect, 1 … 4 (FT.INFO dialect_stats). */
  readonly dialects = [0, 0, 0, 0];

  constructor(
    readonly def: IndexDefinition,
    /** The FT.CREATE arguments after the command name: what snapshots keep to recreate it. */
    readonly createArgs: readonly Buffer[],
  ) {
    this.secondary = new SecondaryIndex(def);
    for (const f of def.fields) {
      if (f.type === 'VECTOR') this.vectors.set(f.name, { spec: f, field: new VectorField(f), slotById: new Int32Array(16).fill(-1) });
    }
  }

  get name(): string {
    return this.def.name;
  }

  get size(): number {
    return this.secondary.size;
  }

  /** The last doc id handed out, as RediSearch counts them: one per (re)indexing (FT.INFO max_doc_id). */
  get maxDocId(): number {
    return this.lastSeq;
  }

  /** One past the largest document number in use: the size a DocSet over this index needs. */
  get idLimit(): number {
    return this.keyOf.length;
  }

  /** RediSearch's doc id of a document (see seqById); larger means indexed later. */
  seqOf(id: number): number {
    return id < this.seqById.length ? this.seqById[id]! : 0;
  }

  follows(key: string): boolean {
    for (const p of this.def.prefixes) if (key.startsWith(p)) return true;
    return false;
  }

  keyOfDoc(id: number): string | undefined {
    return this.keyOf[id];
  }

  docOf(key: string): number | undefined {
    return this.idOf.get(key);
  }

  /** (Re)indexes `key` from what it holds now (undefined: removed). */
  update(key: string, value: KeyValue | undefined): void {
    this.version++;
    if (value === undefined || value.type !== 'hash') {
      this.remove(key);
      return;
    }
    const hash = value as HashValue;
    const fields = new Map<string, Uint8Array>();
    for (const f of this.def.fields) {
      const v = hash.get(f.path);
      if (v !== undefined) fields.set(f.path, v);
    }
    let id = this.idOf.get(key);
    const fresh = id === undefined;
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.keyOf.length;
      this.idOf.set(key, id);
      this.keyOf[id] = key;
    }
    if (id >= this.seqById.length) {
      const bigger = new Float64Array(Math.max(this.seqById.length * 2, id + 1));
      bigger.set(this.seqById);
      this.seqById = bigger;
    }
    this.seqById[id] = ++this.lastSeq;
    const r = this.secondary.add(id, fields);
    if (!r.ok) {
      this.refuse(key, id, r.message);
      return;
    }
    const name = Buffer.from(key, 'latin1');
    for (const iv of this.vectors.values()) {
      const blob = fields.get(iv.spec.path);
      const vector = blob === undefined ? null : iv.field.decode(blob);
      try {
        if (vector === null) {
          // No vector (or one the engine refuses, NaN say): the document stays, without one.
          if (!fresh && iv.slotById[id]! >= 0) iv.field.remove(name);
          this.setSlot(iv, id, -1);
        } else {
          iv.field.upsert(name, vector);
          this.setSlot(iv, id, iv.field.slotOf(name));
        }
      } catch (e) {
        if (!isMemoryFailure(e)) throw e;
        this.refuse(key, id, `out of memory for the vector of field ${iv.spec.name}`);
        return;
      }
    }
  }

  private refuse(key: string, id: number, message: string): void {
    this.failures++;
    this.lastFailure = { key, message };
    this.removeDoc(key, id);
  }

  private setSlot(iv: IndexedVectors, id: number, slot: number): void {
    if (id >= iv.slotById.length) {
      const bigger = new Int32Array(Math.max(iv.slotById.length * 2, id + 1)).fill(-1);
      bigger.set(iv.slotById);
      iv.slotById = bigger;
    }
    iv.slotById[id] = slot;
  }

  remove(key: string): void {
    this.version++;
    const id = this.idOf.get(key);
    if (id !== undefined) this.removeDoc(key, id);
  }

  private removeDoc(key: string, id: number): void {
    this.secondary.remove(id);
    const name = Buffer.from(key, 'latin1');
    for (const iv of this.vectors.values()) {
      if (id < iv.slotById.length && iv.slotById[id]! >= 0) {
        iv.field.remove(name);
        iv.slotById[id] = -1;
      }
    }
    this.idOf.delete(key);
    this.keyOf[id] = undefined;
    this.freeIds.push(id);
  }

  /** Forgets every document (FLUSHDB, before a rebuild). */
  clear(): void {
    this.version++;
    this.secondary = new SecondaryIndex(this.def);
    for (const iv of this.vectors.values()) {
      iv.field.clear();
      iv.slotById = new Int32Array(16).fill(-1);
    }
    this.idOf.clear();
    this.keyOf = [];
    this.freeIds = [];
    this.seqById = new Float64Array(16);
  }

  /** Every key the index holds (FT.DROPINDEX DD). */
  keys(): string[] {
    return [...this.idOf.keys()];
  }

  /** The graph nodes of these documents' vectors in a field, those that have one. */
  slotsOf(iv: IndexedVectors, docs: DocSet): Int32Array {
    const out = new Int32Array(docs.size);
    let n = 0;
    const slots = iv.slotById;
    docs.forEach((id) => {
      const s = id < slots.length ? slots[id]! : -1;
      if (s >= 0) out[n++] = s;
    });
    return out.subarray(0, n);
  }

  /** A bitmap over graph nodes: bit s set when node s belongs to one of `docs`. */
  allowBits(iv: IndexedVectors, docs: DocSet): Int32Array {
    const bits = new Int32Array(Math.ceil(Math.max(1, iv.field.engine.slotCount) / 32));
    const slots = iv.slotById;
    docs.forEach((id) => {
      const s = id < slots.length ? slots[id]! : -1;
      if (s >= 0 && s >>> 5 < bits.length) bits[s >>> 5]! |= 1 << (s & 31);
    });
    return bits;
  }

  dispose(): void {
    for (const iv of this.vectors.values()) iv.field.dispose();
  }
}
