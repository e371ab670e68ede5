/**
 * One VECTOR field of a query engine index: the documents' vectors in an HNSW graph of the
 * engine (src/vset), one element per indexed hash, named by the hash's key. The graph lives in an
 * arena like a vector set's, so a tenant's small index costs the bytes it holds, and KNN queries
 * run on the search pool like VSIM.
 *
 * Distances are RediSearch's: COSINE 1 − cos (vectors normalised, as vector sets store them),
 * IP 1 − dot and L2 the squared distance of the vectors as given (quantisations RawIP/RawL2).
 * FLOAT64 vectors are stored as float32 (scores then differ from Redis's in the last digits).
 * FLAT fields are searched by exact scan; HNSW fields by the graph, with EF_RUNTIME.
 */
import { Quant } from '../hnsw/layout.js';
import { VectorSet } from '../vset/index.js';

export type VectorAlgorithm = 'FLAT' | 'HNSW';
export type VectorType = 'FLOAT32' | 'FLOAT64';
export type DistanceMetric = 'COSINE' | 'L2' | 'IP';

export interface VectorFieldOptions {
  algorithm: VectorAlgorithm;
  type: VectorType;
  dim: number;
  metric: DistanceMetric;
  M: number;
  efConstruction: number;
  efRuntime: number;
}

const QUANT_OF: Record<DistanceMetric, Quant> = { COSINE: Quant.NoQuant, IP: Quant.RawIP, L2: Quant.RawL2 };

export class VectorField {
  private set: VectorSet;
  /** Bytes a document's field must hold: dim × 4 or × 8. */
  readonly blobBytes: number;

  constructor(readonly options: VectorFieldOptions) {
    this.blobBytes = options.dim * (options.type === 'FLOAT64' ? 8 : 4);
    this.set = this.fresh();
  }

  private fresh(): VectorSet {
    return VectorSet.create({ dim: this.options.dim, quant: QUANT_OF[this.options.metric], M: this.options.M, arena: true });
  }

  /** The engine set (search pool tasks and MEMORY figures). */
  get engine(): VectorSet {
    return this.set;
  }

  get size(): number {
    return this.set.card;
  }

  /** A query or document blob as float32, or null when its length is not the field's. */
  decode(blob: Uint8Array): Float32Array | null {
    if (blob.length !== this.blobBytes) return null;
    const dim = this.options.dim;
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.length);
    const out = new Float32Array(dim);
    if (this.options.type === 'FLOAT64') for (let i = 0; i < dim; i++) out[i] = dv.getFloat64(i * 8, true);
    else for (let i = 0; i < dim; i++) out[i] = dv.getFloat32(i * 4, true);
    for (let i = 0; i < dim; i++) if (!Number.isFinite(out[i])) return null;
    return out;
  }

  /** Indexes (or re-indexes) a document's vector; throws SetMemoryError when memory runs out. */
  upsert(key: Buffer, vector: Float32Array): void {
    this.set.add(key, vector, { ef: this.options.efConstruction });
  }

  /** Removes a document's vector; false when it had none. */
  remove(key: Buffer): boolean {
    return this.set.remove(key);
  }

  /** The graph node holding a document's vector, or −1. */
  slotOf(key: Buffer): number {
    return this.set.lookup(key);
  }

  has(key: Buffer): boolean {
    return this.set.lookup(key) >= 0;
  }

  /** Drops every vector (FLUSHDB, a reload). */
  clear(): void {
    this.set.dispose();
    this.set = this.fresh();
  }

  dispose(): void {
    this.set.dispose();
  }
}
