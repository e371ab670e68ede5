// The records header's own rules, shared by the header check (RecordsCheck.header) and the
// streamed load (streamLinkCheck), which needs the record geometry before the check has run.

import { HEAP_CLASSES } from '../hnsw/heap.js';
import { geometry, H, LAYOUT_COMPACT, layoutBases, LAYOUT_VERSION, MAGIC, MAX_DIM, MAX_M, MIN_M, READER_SLOTS, type Geometry, type Quant } from '../hnsw/layout.js';

/** Largest heap the engine makes (heap.ts); the checker trusts no larger size. */
export const HEAP_LIMIT = 2 ** 31 - 8;

/**
 * The layout a records header describes (magic, version, dimension, quantisation, M, record
 * geometry and base offsets, each word against the others), or the first problem: the header
 * check's own rules, which the streamed load's helper also needs before the check has run.
 */
export function headerGeometry(w: (i: number) => number): { dim: number; quant: Quant; M: number; g: Geometry; recBase: number } | string {
  if (w(H.MAGIC) >>> 0 !== MAGIC) return 'bad magic in the records header (not a vsetd vector set)';
  const version = w(H.LAYOUT_VERSION);
  if (version !== LAYOUT_VERSION && version !== LAYOUT_COMPACT) return `unsupported layout version ${version} (this engine reads ${LAYOUT_VERSION} and ${LAYOUT_COMPACT})`;
  const dim = w(H.DIM);
  const quant = w(H.QUANT);
  const M = w(H.M);
  if (!(dim >= 1 && dim <= MAX_DIM)) return `dimension ${dim} out of range 1..${MAX_DIM}`;
  if (!(quant >= 0 && quant <= 4)) return `unknown quantisation ${quant}`;
  if (!(M >= MIN_M && M <= MAX_M)) return `M ${M} out of range ${MIN_M}..${MAX_M}`;
  const exact = w(H.EXACT);
  if (!(exact === 0 || (exact === 1 && quant === 0))) return `exact-copy flag ${exact} invalid for quantisation ${quant}`;
  const g = geometry(dim, quant as Quant, M, exact === 1);
  if (w(H.STRIDE) !== g.stride || w(H.VEC_BYTES) !== g.vecBytes) {
    return `record stride ${w(H.STRIDE)} / vector bytes ${w(H.VEC_BYTES)} do not match dimension ${dim}, M ${M}`;
  }
  const { scratchBase, recBase } = layoutBases(version, g.stride);
  if (w(H.SCRATCH_BASE) !== scratchBase || w(H.REC_BASE) !== recBase) return 'record base offsets do not match the layout';
  return { dim, quant: quant as Quant, M, g, recBase };
}

/** Header words that hold something; every other word of the 4 KiB header must be zero. */
export function headerWordUsed(i: number): boolean {
  if (i <= H.EXACT) return true; // 0 … 31, all named
  if (i >= H.ACTIVE_EPOCH && i < H.ACTIVE_EPOCH + READER_SLOTS) return true;
  if (i >= H.FREE_LISTS && i < H.FREE_LISTS + HEAP_CLASSES) return true;
  if (i === H.NAME_KEY || i === H.NAME_KEY + 1) return true;
  return false;
}
