/**
 * One VECTOR field of a query engine index: the documents' vectors in an HNSW graph of the
 * engine (src/vset), one element per indexed hash, named by the hash's key. The graph lives in an
 * arena like a vector set's, so a tenant's small index costs the bytes it holds, and KNN queries
 * run on the search pool like VSIM.
 *
 * Distances are RediSearch's: COSINE 1 − cos (vectors normalised, as vector sets store them),
 * IP 1 − dot and L2 the squared distance of the vectors as given (quantisations RawIP/RawL2).
 * Every data type is stored as float32 (FLOAT64 scores then differ from Redis's in the last digits).
 * FLAT fields are searched by exact scan; HNSW fields by the graph, with EF_RUNTIME.
 */
import { Quant } from '../hnsw/layout.js';
import { VectorSet } from '../vset/index.js';
import { fieldSetId, fieldSetReleased } from '../vset/vector-set-value.js';
import type { DistanceMetric, VectorFieldSpec } from './schema.js';

const QUANT_OF: Record<DistanceMetric, Quant> = { COSINE: Quant.NoQuant, IP: Quant.RawIP, L2: Quant.RawL2 };

/** float16 → float (IEEE half: 1 sign, 5 exponent, 10 mantissa bits). */
function half(h: number): number {
  const e = (h >>> 10) & 31;
  const m = h & 1023;
  const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m === 0 ? Infinity : NaN) : (1 + m / 1024) * 2 ** (e - 15);
  return h & 0x8000 ? -v : v;
}

export class VectorField {
  private set: VectorSet;
  /** The set's id on the search pool (a new one whenever the set is replaced). */
  poolId = fieldSetId();
  /** Bytes a document's field must hold: dim × 4 or × 8. */
  readonly blobBytes: number;

  constructor(readonly spec: VectorFieldSpec) {
    this.blobBytes = spec.blobBytes;
    this.set = this.fresh();
  }

  private fresh(): VectorSet {
    return VectorSet.create({ dim: this.spec.dim, quant: QUANT_OF[this.spec.metric], M: this.spec.m, arena: true });
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
    const dim = this.spec.dim;
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.length);
    const out = new Float32Array(dim);
    switch (this.spec.dataType) {
      case 'FLOAT32':
        for (let i = 0; i < dim; i++) out[i] = dv.getFloat32(i * 4, true);
        break;
      case 'FLOAT64':
        for (let i = 0; i < dim; i++) out[i] = dv.getFloat64(i * 8, true);
        break;
      case 'FLOAT16':
        for (let i = 0; i < dim; i++) out[i] = half(dv.getUint16(i * 2, true));
        break;
      case 'BFLOAT16':
        for (let i = 0; i < dim; i++) out[i] = new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0]!;
        break;
      case 'INT8':
        for (let i = 0; i < dim; i++) out[i] = dv.getInt8(i);
        break;
      case 'UINT8':
        for (let i = 0; i < dim; i++) out[i] = dv.getUint8(i);
        break;
    }
    for (let i = 0; i < dim; i++) if (!Number.isFinite(out[i])) return null;
    return out;
  }

  /** Indexes (or re-indexes) a document's vector; throws SetMemoryError when memory runs out. */
  upsert(key: Buffer, vector: Float32Array): void {
    this.set.add(key, vector, { ef: this.spec.efConstruction });
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
    this.dispose();
    this.set = this.fresh();
    this.poolId = fieldSetId();
  }

  dispose(): void {
    fieldSetReleased(this.poolId);
    this.set.dispose();
  }
}
