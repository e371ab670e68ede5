/**
 * Checks on a vector in its stored form (VEMB RAW's bytes) that comes from outside — VADDRAW's
 * argument, a record of an export file — before the engine trusts it. Pure, so the command-line
 * tools use it without loading the server.
 */
import type { QuantName } from './types.js';

/** Bytes of a stored vector, as quantBytes in src/hnsw/layout.ts. */
export function storedBytes(quant: QuantName, dim: number): number {
  return quant === 'f32' ? dim * 4 : quant === 'int8' ? dim : Math.ceil(dim / 64) * 8;
}

/** Why `blob` cannot be a stored vector of this quantisation and dimension, or null. */
export function storedVectorProblem(quant: QuantName, dim: number, blob: Uint8Array): string | null {
  const want = storedBytes(quant, dim);
  if (blob.length !== want) return `${quant} vector of dimension ${dim} needs ${want} bytes, got ${blob.length}`;
  if (quant === 'f32') {
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.length);
    for (let i = 0; i < dim; i++) if (!Number.isFinite(dv.getFloat32(i * 4, true))) return `component ${i} is not a finite number`;
  } else if (quant === 'int8') {
    for (let i = 0; i < dim; i++) if (blob[i] === 0x80) return `component ${i} is -128, outside the quantiser's -127..127`;
  } else {
    for (let bit = dim; bit < want * 8; bit++) if (blob[bit >>> 3]! & (1 << (bit & 7))) return `bit ${bit} is set beyond dimension ${dim}`;
  }
  return null;
}

