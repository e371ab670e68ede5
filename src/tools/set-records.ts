/**
 * The file `vsetd export` writes and `vsetd import` reads: one vector set as a stream of
 * MessagePack values (msgpackr), for backups and for moves between servers and versions.
 *
 *   header   map   {format: "vsetd-vset", version: 1, key: bin, vectors: "raw" | "f32",
 *                   quant: "int8" | "f32" | "bin", dim, inputDim, m, vsetd, created}
 *   element  array [name: bin, vector: bin, l2: float | nil, range: float | nil, attr: bin | nil]
 *                  (one per element; "raw": the stored bytes, l2 and range as VEMB RAW gives them,
 *                  re-added with VADDRAW; "f32": the float32 vector VEMB gives, l2/range nil)
 *   trailer  map   {end: true, count, sha256: bin, digest: str | nil}
 *
 * Elements are positional arrays rather than maps: as compact as msgpackr's record extension,
 * and readable by any MessagePack decoder, which a backup format should be. The trailer's
 * SHA-256 covers the header's meaning and every element's fields (length-prefixed, so no two
 * different contents hash alike) independently of how the encoder laid the bytes out; `digest`
 * is the server's DEBUG DIGEST-VALUE of the set when the exporting server allowed DEBUG and the
 * set did not change during the export, compared again after an import where DEBUG is allowed.
 * A file without its trailer (cut short), with a wrong count or hash, or with any value of the
 * wrong shape is refused before anything is sent.
 */
import { createHash, type Hash } from 'node:crypto';
import { storedVectorProblem } from '../vset/stored-vector.js';
import type { QuantName } from '../vset/types.js';

export const FORMAT = 'vsetd-vset';
export const FORMAT_VERSION = 1;

export class RecordsError extends Error {}

export interface SetHeader {
  key: Buffer;
  vectors: 'raw' | 'f32';
  quant: QuantName;
  dim: number;
  inputDim: number;
  m: number;
  vsetd: string;
  created: string;
}

export interface SetElement {
  name: Buffer;
  vector: Buffer;
  l2: number | null;
  range: number | null;
  attr: Buffer | null;
}

export interface SetTrailer {
  count: number;
  sha256: Buffer;
  digest: string | null;
}

const MAX_DIM = 65536;

export function headerValue(h: SetHeader): Record<string, unknown> {
  return { format: FORMAT, version: FORMAT_VERSION, key: h.key, vectors: h.vectors, quant: h.quant, dim: h.dim, inputDim: h.inputDim, m: h.m, vsetd: h.vsetd, created: h.created };
}

export function elementValue(e: SetElement): unknown[] {
  return [e.name, e.vector, e.l2, e.range, e.attr];
}

export function trailerValue(t: SetTrailer): Record<string, unknown> {
  return { end: true, count: t.count, sha256: t.sha256, digest: t.digest };
}

/** The running SHA-256 of a set's contents, as both sides compute it. */
export class ContentHash {
  private readonly h: Hash = createHash('sha256');
  constructor(header: SetHeader) {
    this.h.update(`${FORMAT}/${FORMAT_VERSION} ${header.vectors} ${header.quant} ${header.dim} ${header.inputDim} ${header.m}\n`);
  }
  add(e: SetElement): void {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(e.name.length, 0);
    head.writeUInt32LE(e.vector.length, 4);
    head.writeFloatLE(e.l2 ?? NaN, 8);
    head.writeFloatLE(e.range ?? NaN, 12);
    head.writeInt32LE(e.attr === null ? -1 : e.attr.length, 16);
    this.h.update(head);
    this.h.update(e.name);
    this.h.update(e.vector);
    if (e.attr !== null) this.h.update(e.attr);
  }
  digest(): Buffer {
    return this.h.digest();
  }
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function toBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function field(m: unknown, k: string): unknown {
  return m instanceof Map ? m.get(k) : undefined;
}

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

export function parseHeader(v: unknown): SetHeader {
  if (!(v instanceof Map) || field(v, 'format') !== FORMAT) throw new RecordsError(`not a vsetd export: the file does not start with a ${FORMAT} header`);
  const version = field(v, 'version');
  if (version !== FORMAT_VERSION) throw new RecordsError(`export format version ${String(version)} is not supported (this vsetd reads version ${FORMAT_VERSION})`);
  const key = field(v, 'key');
  const vectors = field(v, 'vectors');
  const quant = field(v, 'quant');
  const dim = field(v, 'dim');
  const inputDim = field(v, 'inputDim');
  const m = field(v, 'm');
  if (!isBytes(key)) throw new RecordsError('header: key is not bytes');
  if (vectors !== 'raw' && vectors !== 'f32') throw new RecordsError(`header: unknown vectors kind ${String(vectors)}`);
  if (quant !== 'int8' && quant !== 'f32' && quant !== 'bin') throw new RecordsError(`header: unknown quantisation ${String(quant)}`);
  if (!intIn(dim, 1, MAX_DIM)) throw new RecordsError(`header: invalid dimension ${String(dim)}`);
  if (!intIn(inputDim, 0, MAX_DIM) || (inputDim !== 0 && inputDim < dim)) throw new RecordsError(`header: invalid projection input dimension ${String(inputDim)}`);
  if (!intIn(m, 4, 4096)) throw new RecordsError(`header: invalid M ${String(m)}`);
  const vsetd = field(v, 'vsetd');
  const created = field(v, 'created');
  return { key: toBuffer(key), vectors, quant, dim, inputDim, m, vsetd: typeof vsetd === 'string' ? vsetd : '?', created: typeof created === 'string' ? created : '?' };
}

export function isTrailer(v: unknown): boolean {
  return v instanceof Map && field(v, 'end') === true;
}

export function parseTrailer(v: unknown): SetTrailer {
  const count = field(v, 'count');
  const sha = field(v, 'sha256');
  const digest = field(v, 'digest');
  if (!intIn(count, 0, Number.MAX_SAFE_INTEGER)) throw new RecordsError('trailer: invalid count');
  if (!isBytes(sha) || sha.length !== 32) throw new RecordsError('trailer: invalid sha256');
  if (digest !== null && digest !== undefined && typeof digest !== 'string') throw new RecordsError('trailer: invalid digest');
  return { count, sha256: toBuffer(sha), digest: typeof digest === 'string' ? digest : null };
}

/** Checks one element record against the header; `n` is its position, for the message. */
export function parseElement(v: unknown, h: SetHeader, n: number): SetElement {
  if (!Array.isArray(v) || v.length !== 5) throw new RecordsError(`element ${n}: not a 5-item record`);
  const [name, vector, l2, range, attr] = v as unknown[];
  if (!isBytes(name)) throw new RecordsError(`element ${n}: name is not bytes`);
  if (!isBytes(vector)) throw new RecordsError(`element ${n}: vector is not bytes`);
  if (attr !== null && !isBytes(attr)) throw new RecordsError(`element ${n}: attribute is neither bytes nor nil`);
  const e: SetElement = { name: toBuffer(name), vector: toBuffer(vector), l2: null, range: null, attr: attr === null ? null : toBuffer(attr) };
  if (h.vectors === 'raw') {
    if (typeof l2 !== 'number' || typeof range !== 'number' || !Number.isFinite(l2) || !Number.isFinite(range) || l2 < 0 || range < 0) {
      throw new RecordsError(`element ${n}: l2 and range must be finite non-negative numbers`);
    }
    const problem = storedVectorProblem(h.quant, h.dim, e.vector);
    if (problem !== null) throw new RecordsError(`element ${n}: ${problem}`);
    e.l2 = l2;
    e.range = range;
  } else {
    if (l2 !== null || range !== null) throw new RecordsError(`element ${n}: a float32 record carries no l2 or range`);
    const problem = storedVectorProblem('f32', h.dim, e.vector);
    if (problem !== null) throw new RecordsError(`element ${n}: ${problem}`);
  }
  return e;
}
