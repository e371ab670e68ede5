/**
 * Reads the stored vectors (and ids) out of a file written by `faiss.write_index`, as laid out by
 * faiss/impl/index_write.cpp and read back by index_read.cpp:
 *
 *   IxF2 / IxFI / IxFl  IndexFlatL2 / IndexFlatIP / IndexFlat: header, then a size_t count of
 *                       floats (ntotal·d) and the float32 vectors, row after row
 *   IxMp / IxM2         IndexIDMap / IndexIDMap2: header, the wrapped index, then a size_t count
 *                       and that many int64 ids (the label of each stored position)
 *   IHNf                IndexHNSWFlat: header, the HNSW graph (five size_t-prefixed vectors and five
 *                       int32s, skipped: vsetd builds its own graph), then its storage, an IndexFlat
 *
 * The header is d (int32), ntotal (int64), two unused int64s, is_trained (one byte), metric
 * (int32: 0 inner product, 1 L2) and, for other metrics, a float argument. Everything is
 * little-endian, as faiss writes it on the machines it runs on.
 *
 * The file may be damaged or made to hurt: every count is checked against the bytes that remain
 * before anything is allocated for it, against the header's ntotal and d, and nesting is
 * bounded, so a crafted file costs at most its own size and ends in a FaissFormatError naming
 * the problem and its offset. Any other index type is refused by name (faiss's class for the
 * fourcc when known), because its stored codes are not the vectors (PQ, SQ, IVF lists …).
 */

export class FaissFormatError extends Error {}

export type FaissMetric = 'l2' | 'ip';

export interface FaissVectors {
  /** What the file holds, e.g. "IndexIDMap(IndexHNSWFlat)". */
  kind: string;
  dim: number;
  count: number;
  metric: FaissMetric;
  /** count × dim float32, row-major, as stored. */
  vectors: Float32Array;
  /**
   * The label FAISS returns for each stored position: the IndexIDMap id, else the position
   * itself. LangChain's index_to_docstore_id is keyed by these.
   */
  labels: bigint[] | null;
  /** IndexHNSWFlat's M, when the file is one (informational). */
  hnswM: number | null;
}

/** faiss's names for the fourccs a user is likely to meet, for the refusal message. */
const KNOWN: Record<string, string> = {
  IxFP: 'IndexFlatL2Panorama',
  IxFp: 'IndexFlatIPPanorama',
  IxHE: 'IndexLSH',
  IxHe: 'IndexLSH',
  IxPQ: 'IndexPQ',
  IxPq: 'IndexPQ',
  IxPo: 'IndexPQ',
  IxSQ: 'IndexScalarQuantizer',
  IxRF: 'IndexRefine',
  IxRf: 'IndexRefineFlat',
  IxPT: 'IndexPreTransform',
  Ix2L: 'Index2Layer',
  IwFl: 'IndexIVFFlat',
  IwFL: 'IndexIVFFlat',
  IwF2: 'IndexIVFFlat',
  IwPQ: 'IndexIVFPQ',
  IwQR: 'IndexIVFPQR',
  IwSq: 'IndexIVFScalarQuantizer',
  IwSQ: 'IndexIVFScalarQuantizer',
  IwSh: 'IndexIVFSpectralHash',
  IvFl: 'IndexIVFFlat',
  IHNp: 'IndexHNSWPQ',
  IHNs: 'IndexHNSWSQ',
  IHN2: 'IndexHNSW2Level',
  IHNc: 'IndexHNSWCagra',
  IHc2: 'IndexHNSWCagra',
  IHfP: 'IndexHNSWFlatPanorama',
  IH00: 'IndexHNSW',
  INSf: 'IndexNSGFlat',
  INSp: 'IndexNSGPQ',
  INSs: 'IndexNSGSQ',
  IBxF: 'IndexBinaryFlat',
  IBHf: 'IndexBinaryHNSW',
  IBwF: 'IndexBinaryIVF',
  IBMp: 'IndexBinaryIDMap',
  IBM2: 'IndexBinaryIDMap2',
  IRMf: 'IndexResidualQuantizer',
  ILQf: 'IndexLocalSearchQuantizer',
  null: 'a missing index',
};

const MAX_NESTING = 4;
/** faiss's own bound on d (FAISS_CHECK_RANGE in read_index_header); vsetd's is lower still. */
const MAX_FAISS_DIM = 1 << 20;

class Reader {
  pos = 0;
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(what: string, at = this.pos): never {
    throw new FaissFormatError(`${this.file}: ${what} (at byte ${at})`);
  }
  need(n: number, what: string): void {
    if (n > this.bytes.length - this.pos) this.fail(`${what} needs ${n} bytes but only ${this.bytes.length - this.pos} remain: the file is truncated or corrupt`);
  }
  fourcc(): string {
    this.need(4, 'index type');
    const s = String.fromCharCode(...this.bytes.subarray(this.pos, this.pos + 4));
    this.pos += 4;
    return s;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }
  /** A size_t count of `elemBytes`-byte items, checked against the bytes that remain. */
  count(elemBytes: number, what: string): number {
    const at = this.pos;
    this.need(8, `${what} length`);
    const n = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    const remaining = BigInt(this.bytes.length - this.pos);
    if (n * BigInt(elemBytes) > remaining) this.fail(`${what} claims ${n} items of ${elemBytes} bytes but only ${remaining} bytes remain: the file is truncated or corrupt`, at);
    return Number(n);
  }
  skip(n: number): void {
    this.pos += n;
  }
}

interface Header {
  dim: number;
  ntotal: number;
  metric: FaissMetric;
}

function readHeader(r: Reader, type: string): Header {
  const at = r.pos;
  const dim = r.i32(`${type} dimension`);
  const ntotal = r.i64(`${type} ntotal`);
  r.i64('header padding');
  r.i64('header padding');
  const trained = r.u8('is_trained');
  if (trained > 1) r.fail(`invalid is_trained byte ${trained}`, r.pos - 1);
  const metric = r.i32('metric type');
  if (dim < 1 || dim > MAX_FAISS_DIM) r.fail(`${type} dimension ${dim} is outside 1..${MAX_FAISS_DIM}`, at);
  if (ntotal < 0n || ntotal > BigInt(Number.MAX_SAFE_INTEGER)) r.fail(`${type} ntotal ${ntotal} is invalid`, at + 4);
  if (metric !== 0 && metric !== 1) {
    r.fail(`${type} uses faiss metric ${metric}; only METRIC_INNER_PRODUCT (0) and METRIC_L2 (1) can be imported, as cosine, inner-product or L2 rankings`, r.pos - 4);
  }
  return { dim, ntotal: Number(ntotal), metric: metric === 0 ? 'ip' : 'l2' };
}

interface Parsed {
  kind: string;
  header: Header;
  vectors: Float32Array;
  labels: bigint[] | null;
  hnswM: number | null;
}

function readFlat(r: Reader, type: string): Parsed {
  const name = type === 'IxF2' ? 'IndexFlatL2' : type === 'IxFI' ? 'IndexFlatIP' : 'IndexFlat';
  const header = readHeader(r, name);
  const at = r.pos;
  const floats = r.count(4, `${name} vectors`);
  if (floats !== header.ntotal * header.dim) r.fail(`${name} holds ${floats} floats, but ntotal ${header.ntotal} × d ${header.dim} = ${header.ntotal * header.dim}`, at);
  const vectors = new Float32Array(floats);
  // A copy through a DataView-free path: the bytes may sit at any alignment in the file buffer.
  new Uint8Array(vectors.buffer).set(r.bytes.subarray(r.pos, r.pos + floats * 4));
  r.skip(floats * 4);
  return { kind: name, header, vectors, labels: null, hnswM: null };
}

/** The HNSW graph of an IndexHNSW: checked for shape and skipped. Returns M. */
function skipHnsw(r: Reader, ntotal: number): number {
  const probas = r.count(8, 'HNSW assign_probas');
  r.skip(probas * 8);
  const cumAt = r.pos;
  const cum = r.count(4, 'HNSW cum_nneighbor_per_level');
  const cumStart = r.pos;
  r.skip(cum * 4);
  const levelsAt = r.pos;
  const levels = r.count(4, 'HNSW levels');
  if (levels !== ntotal) r.fail(`HNSW levels has ${levels} entries for ntotal ${ntotal}`, levelsAt);
  r.skip(levels * 4);
  const offsets = r.count(8, 'HNSW offsets');
  r.skip(offsets * 8);
  const neighbors = r.count(4, 'HNSW neighbors');
  r.skip(neighbors * 4);
  for (const f of ['entry_point', 'max_level', 'efConstruction', 'efSearch', 'upper_beam']) r.i32(`HNSW ${f}`);
  // cum_nneighbor_per_level[1] is 2·M (level 0 has twice the links of the others).
  if (cum < 2) r.fail('HNSW cum_nneighbor_per_level is too short', cumAt);
  const level0 = new DataView(r.bytes.buffer, r.bytes.byteOffset + cumStart + 4, 4).getInt32(0, true);
  return level0 > 0 ? level0 >>> 1 : 0;
}

function readIndex(r: Reader, depth: number): Parsed {
  if (depth > MAX_NESTING) r.fail(`indexes nested more than ${MAX_NESTING} deep`);
  const at = r.pos;
  const type = r.fourcc();
  switch (type) {
    case 'IxF2':
    case 'IxFI':
    case 'IxFl':
      return readFlat(r, type);
    case 'IxMp':
    case 'IxM2': {
      const name = type === 'IxMp' ? 'IndexIDMap' : 'IndexIDMap2';
      const header = readHeader(r, name);
      const inner = readIndex(r, depth + 1);
      if (inner.labels !== null) r.fail(`${name} wraps another id map`, at);
      if (inner.header.ntotal !== header.ntotal) r.fail(`${name} ntotal ${header.ntotal} differs from its index's ${inner.header.ntotal}`, at);
      if (inner.header.dim !== header.dim) r.fail(`${name} dimension ${header.dim} differs from its index's ${inner.header.dim}`, at);
      const idsAt = r.pos;
      const n = r.count(8, `${name} id_map`);
      if (n !== header.ntotal) r.fail(`${name} id_map has ${n} ids for ntotal ${header.ntotal}`, idsAt);
      const labels: bigint[] = new Array<bigint>(n);
      for (let i = 0; i < n; i++) labels[i] = r.i64('id');
      return { ...inner, kind: `${name}(${inner.kind})`, header: { ...inner.header, metric: header.metric }, labels };
    }
    case 'IHNf': {
      const header = readHeader(r, 'IndexHNSWFlat');
      const m = skipHnsw(r, header.ntotal);
      const storageAt = r.pos;
      if (r.bytes.length - r.pos >= 4 && String.fromCharCode(...r.bytes.subarray(r.pos, r.pos + 4)) === 'null') {
        r.fail('IndexHNSWFlat has no storage (written without its vectors)', storageAt);
      }
      const storage = readIndex(r, depth + 1);
      if (!storage.kind.startsWith('IndexFlat') || storage.labels !== null) r.fail(`IndexHNSWFlat storage is ${storage.kind}, not an IndexFlat`, storageAt);
      if (storage.header.ntotal !== header.ntotal || storage.header.dim !== header.dim) {
        r.fail(`IndexHNSWFlat storage holds ${storage.header.ntotal}×${storage.header.dim}, the index ${header.ntotal}×${header.dim}`, storageAt);
      }
      return { kind: 'IndexHNSWFlat', header, vectors: storage.vectors, labels: null, hnswM: m };
    }
    default: {
      const printable = /^[\x20-\x7e]{4}$/.test(type) ? `'${type}'` : `0x${Buffer.from(type, 'latin1').toString('hex')}`;
      const known = KNOWN[type];
      r.fail(
        known !== undefined
          ? `unsupported index type ${printable} (${known}): vsetd imports IndexFlatL2, IndexFlatIP, IndexHNSWFlat and IndexIDMap/IndexIDMap2 around them, whose files hold the vectors themselves`
          : `unknown index type ${printable}: not a faiss index file, or one of a type vsetd does not import (IndexFlatL2, IndexFlatIP, IndexHNSWFlat, IndexIDMap)`,
        at,
      );
    }
  }
}

/** Parses a whole `faiss.write_index` file; throws FaissFormatError. */
export function readFaissIndex(bytes: Uint8Array, file = 'index.faiss'): FaissVectors {
  const r = new Reader(bytes, file);
  const p = readIndex(r, 0);
  if (r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} unexpected bytes after the index`);
  for (let i = 0; i < p.vectors.length; i++) {
    if (!Number.isFinite(p.vectors[i]!)) {
      throw new FaissFormatError(`${file}: vector ${Math.floor(i / p.header.dim)} has a non-finite component (NaN or infinity), which vsetd refuses`);
    }
  }
  if (p.labels !== null) {
    const seen = new Set<bigint>();
    for (const l of p.labels) {
      if (seen.has(l)) throw new FaissFormatError(`${file}: id ${l} appears twice in the IndexIDMap`);
      seen.add(l);
    }
  }
  return { kind: p.kind, dim: p.header.dim, count: p.header.ntotal, metric: p.header.metric, vectors: p.vectors, labels: p.labels, hnswM: p.hnswM };
}
