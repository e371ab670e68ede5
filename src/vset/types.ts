/**
 * What the vector-set commands need from a set, independent of how the engine lays it out.
 * `VectorSetValue` (vector-set-value.ts) implements it over the HNSW engine; the command layer
 * (src/commands/vectorset.ts) only talks to this interface.
 */

import type { CompiledFilter } from '../filter/index.js';

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

export interface SearchOptions {
  count: number;
  ef: number;
  /** Keep results with d/2 <= epsilon (2 = no cut). */
  epsilon: number;
  /** Exact linear scan instead of the graph. */
  truth: boolean;
  /** FILTER, compiled by the thread that searches; null = no filter. */
  filter: CompiledFilter | null;
  /** FILTER-EF: layer-0 candidate budget. */
  filterEf: number;
  /** Fill SearchHit.attr. */
  withAttribs: boolean;
}

export interface SearchHit {
  /** Element name bytes. */
  name: Uint8Array;
  /** 1 - d/2, in double from the float distance. */
  score: number;
  /** Attribute bytes, or null (only filled when asked for). */
  attr: Uint8Array | null;
}

export interface RawEmbedding {
  quant: QuantName;
  bytes: Uint8Array;
  l2: number;
  /** Q8 only. */
  range?: number;
}
