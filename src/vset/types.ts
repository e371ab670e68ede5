/**
 * What the vector-set commands need from a set, independent of how the engine lays it out.
 * `VectorSetValue` (vector-set-value.ts) implements it over the HNSW engine; the command layer
 * (src/commands/vectorset.ts) only talks to this interface.
 */

/** Quantisation names as VINFO and VEMB RAW report them. */
export type QuantName = 'f32' | 'int8' | 'bin';

export interface CreateOptions {
  /** Stored dimension (REDUCE target, or the vector length). */
  dim: number;
  /** Input dimension of the projection, or 0 without REDUCE. */
  projectionInputDim: number;
  quant: QuantName;
  m: number;
}

export interface RawEmbedding {
  quant: QuantName;
  bytes: Uint8Array;
  l2: number;
  /** Q8 only. */
  range?: number;
}
