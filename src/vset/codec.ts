/**
 * Persistence of a vector set (snapshots, AOF base files, DUMP/RESTORE): the meaningful bytes of
 * its two shared buffers, exactly as laid out in memory — header, node records (vectors, levels,
 * level-0 links) and the heap (upper links, names, attributes, name index, REDUCE matrix). Loading
 * reads them into fresh shared memory (from a snapshot file directly) and checks them there
 * completely; nothing is re-inserted.
 *
 *   format 2: u32 version, varint records length, varint heap length, u32 × 2 image digest,
 *             records bytes, heap bytes (the images digested, not CRC'd: BinaryWriter.digested)
 *   format 1: u32 version, varint records length, records bytes, varint heap length, heap bytes
 *
 * Format 2 checks the images against a digest of their own (image/image-digest.ts) that runs at
 * memory speed, where format 1 left them to the snapshot's CRC-32 (a tenth of a load's CPU).
 * Format 1 payloads (snapshots and DUMPs of earlier builds) still load.
 *
 * Capture copies the two images between commands (a memcpy of what the set uses), so a BGSAVE or
 * AOF rewrite writes a consistent set while clients keep changing the live one.
 */
import { registerCodec, type ValueBuild } from '../persistence/codecs.js';
import { CorruptDataError, ImageDigestMismatch, type BinaryReader } from '../persistence/binary.js';
import { digestBytes, digestInMemory, IMAGE_HEAP, IMAGE_RECORDS } from '../image/image-digest.js';
import { arenaSpace } from '../hnsw/arena.js';
import { VectorSet } from './index.js';
import { STREAM_FIRST_BYTES, STREAM_PIECE_BYTES, stageHeap, streamLinkCheck, type LinkStream } from '../image/streamed-load.js';
import { isWasmMemory } from '../hnsw/platform.js';
import { HELPER_ALWAYS, type CheckHelper } from '../image/check-helper.js';
import { loadHelper, whenLoadEnds } from '../image/load-scope.js';
import { SetBatches } from './deferred-sets.js';
import { VectorSetValue } from './vector-set-value.js';
import { allocPlaceBytes, retirePlace } from './placement.js';
import { loadMark } from '../persistence/load-trace.js';

const FORMAT_VERSION = 2;
const FORMAT_CRC_IMAGES = 1;
/** The engine's records memory is at most 4 GiB, its heap 2 GiB. */
const MAX_RECORDS = 2 ** 32;
const MAX_HEAP = 2 ** 31;

/**
 * Reads the two images straight into fresh shared memory (from a file, see FileReader.rawInto);
 * the returned step checks them there completely (header, records, links and their reciprocity,
 * free lists, heap blocks, name table, attributes, reachability) before anything interprets
 * them, and refuses them naming the first problem.
 */
function read(r: BinaryReader): ValueBuild {
  const version = r.u32('vector set format version');
  if (version !== FORMAT_VERSION && version !== FORMAT_CRC_IMAGES) r.fail(`unsupported vector set format version ${version}`);
  const digested = version === FORMAT_VERSION;
  const recordsLen = r.varint('vector set records length');
  if (recordsLen > MAX_RECORDS) r.fail(`vector set records length ${recordsLen} exceeds the limit ${MAX_RECORDS}`);
  let heapLen = 0;
  let e0 = 0;
  let e1 = 0;
  if (digested) {
    heapLen = heapLength(r);
    e0 = r.i32('vector set image digest');
    e1 = r.i32('vector set image digest');
  }
  // Bytes the input does not hold are refused before memory is taken for them.
  r.need(recordsLen, 'vector set records');
  // A small set goes to an arena, and no shared memory of its own is reserved for it, not even
  // for a moment: format 2 reads its images straight into a block (checked there), format 1 —
  // whose heap length comes after the records — into plain bytes that are then copied into one.
  // (VSETD_LOAD_HELPER=always sends every set through the helper's path, for tests of it.)
  const small = !HELPER_ALWAYS && VectorSet.imageMemory.fitsArena(recordsLen, heapLen);
  if (small && digested) return readIntoBlock(r, recordsLen, heapLen, e0, e1);
  let stream: LinkStream | null = null;
  try {
    const rec = small ? { mem: null, records: new Uint8Array(recordsLen) } : allocate(r, () => VectorSet.imageMemory.records(recordsLen));
    stream = readRecords(r, rec, digested);
    loadMark('read records');
    if (!digested) heapLen = heapLength(r);
    r.need(heapLen, 'vector set heap');
    const heap = small ? { hp: null, heap: new Uint8Array(heapLen) } : allocate(r, () => VectorSet.imageMemory.heap(heapLen));
    // Into a check memory when the load's helper can copy it into place while it is checked there.
    const staged = stageHeap(rec.mem, heap, heapLen);
    const heapBytes = staged?.bytes ?? heap.heap.subarray(0, heapLen);
    if (digested) {
      r.rawIntoDigested(heapBytes, 'vector set heap');
      // The records' pieces the helper digested meanwhile (see readRecords), the rest, the heap.
      const sum = new Int32Array(2);
      if (stream !== null) stream.digest(sum);
      digestImage(rec.mem, rec.records.subarray(0, stream !== null ? STREAM_FIRST_BYTES : recordsLen), IMAGE_RECORDS, sum);
      digestImage(staged?.mem, heapBytes, IMAGE_HEAP, sum);
      if (sum[0] !== e0 || sum[1] !== e1) throw new ImageDigestMismatch('vector set images do not match their digest');
    } else {
      r.rawInto(heapBytes, 'vector set heap');
      // The records' pieces the helper checksummed meanwhile (see readRecords).
      if (stream !== null) for (const [crc, bytes] of stream.checksums()) r.foldPieceCrc(crc, bytes);
    }
    loadMark('read heap');
    const build: ValueBuild = () => {
      let set: VectorSet;
      try {
        set = VectorSet.fromImageMemory({ ...rec, ...heap }, { stream, staged });
      } catch (e) {
        throw new CorruptDataError(`vector set image refused: ${(e as Error).message}`);
      }
      loadMark('adopt');
      return valueOf(set);
    };
    // The load stopped before building the set (a later check refused the record).
    build.release = () => stream?.abort();
    return build;
  } catch (e) {
    stream?.abort();
    throw e;
  }
}

/** A small set's image digest while it is read (reads run one at a time). */
const readSum = new Int32Array(2);

/**
 * A small set's images (format 2) read straight into a block of an arena, through a view of the
 * whole arena, and digested there; checked there too — on the load's helper while the load reads
 * on, or here. Everything per set is numbers: a load of 100,000 sets made a dozen views and
 * objects for each, most of its collector's work.
 */
function readIntoBlock(r: BinaryReader, recordsLen: number, heapLen: number, e0: number, e1: number): ValueBuild {
  const place = allocate(r, () => allocPlaceBytes(heapLen, recordsLen));
  // The block starts with the heap part; the records part follows it.
  const heapAt = place.block;
  const recordsAt = place.block + place.heapBytes;
  // Until the step is returned, a failure gives the block back (a truncated or damaged image).
  try {
    const bytes = arenaSpace.arena(place.arena).bytes;
    r.rawIntoDigestedAt(bytes, recordsAt, recordsLen, 'vector set records');
    loadMark('read records');
    r.need(heapLen, 'vector set heap');
    r.rawIntoDigestedAt(bytes, heapAt, heapLen, 'vector set heap');
    const sum = readSum.fill(0);
    digestInMemory(place.memory, recordsAt, recordsLen, 0, IMAGE_RECORDS, sum);
    digestInMemory(place.memory, heapAt, heapLen, 0, IMAGE_HEAP, sum);
    if (sum[0] !== e0 || sum[1] !== e1) throw new ImageDigestMismatch('vector set images do not match their digest');
    loadMark('read heap');
  } catch (e) {
    retirePlace(place);
    throw e;
  }
  const build: ValueBuild = () => {
    const batches = setBatchesFor(loadHelper);
    if (batches !== null) return batches.deferAt(place, recordsAt, recordsLen, heapAt, heapLen, valueOf);
    const bytes = arenaSpace.arena(place.arena).bytes;
    const image = { mem: null, hp: null, records: bytes.subarray(recordsAt, recordsAt + recordsLen), heap: bytes.subarray(heapAt, heapAt + heapLen), place };
    let set: VectorSet;
    try {
      set = VectorSet.fromImageMemory(image);
    } catch (e) {
      throw new CorruptDataError(`vector set image refused: ${(e as Error).message}`);
    }
    loadMark('adopt');
    return valueOf(set);
  };
  // The load stopped before building the set (a later check refused the record): the block goes back.
  build.release = () => retirePlace(place);
  return build;
}

function valueOf(set: VectorSet): VectorSetValue {
  if (set.cardWithoutViews === 0) {
    set.dispose();
    throw new CorruptDataError('vector set with no elements (Redis never stores an empty vector set)');
  }
  return new VectorSetValue(set);
}

/** The small-set batches of the load that lends `helper` (one per load: a new helper, new batches). */
let batchesOf: { helper: CheckHelper; batches: SetBatches } | null = null;
function setBatchesFor(helper: CheckHelper | null): SetBatches | null {
  if (helper === null) return null;
  if (batchesOf?.helper !== helper) {
    batchesOf = { helper, batches: new SetBatches(helper) };
    whenLoadEnds(() => (batchesOf = null));
  }
  return batchesOf.batches;
}

/**
 * Reads the records image, in pieces when the load's helper thread can check level-0 links
 * while the rest is read (it starts once the header is in); the stream, if one started. The
 * pieces after the first are then left for the helper to checksum too (LinkStream.checksums).
 */
function readRecords(r: BinaryReader, rec: { mem: unknown; records: Uint8Array }, digested: boolean): LinkStream | null {
  const bytes = rec.records.byteLength;
  if (!isWasmMemory(rec.mem) || bytes <= STREAM_PIECE_BYTES) {
    if (digested) r.rawIntoDigested(rec.records, 'vector set records');
    else r.rawInto(rec.records, 'vector set records');
    return null;
  }
  let stream: LinkStream | null = null;
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(done === 0 ? STREAM_FIRST_BYTES : STREAM_PIECE_BYTES, bytes - done);
      const piece = rec.records.subarray(done, done + n);
      // Once the helper follows the read, it checksums the pieces (the caller folds them in).
      if (digested) r.rawIntoDigested(piece, 'vector set records');
      else if (stream !== null) r.rawIntoUnchecked(piece, 'vector set records');
      else r.rawInto(piece, 'vector set records');
      done += n;
      if (done === n) stream = streamLinkCheck(rec.mem, bytes, digested);
      stream?.progress(done);
    }
  } catch (e) {
    stream?.abort();
    throw e;
  }
  return stream;
}

function heapLength(r: BinaryReader): number {
  const heapLen = r.varint('vector set heap length');
  if (heapLen > MAX_HEAP) r.fail(`vector set heap length ${heapLen} exceeds the limit ${MAX_HEAP}`);
  return heapLen;
}

/** Adds an image's digest to `sum`, in place when it lies in a WebAssembly memory (`mem`). */
function digestImage(mem: unknown, bytes: Uint8Array, image: number, sum: Int32Array): void {
  if (isWasmMemory(mem) && bytes.buffer === mem.buffer) digestInMemory(mem, bytes.byteOffset, bytes.byteLength, 0, image, sum);
  else digestBytes(bytes, 0, image, sum);
}

function allocate<T>(r: BinaryReader, alloc: () => T): T {
  try {
    return alloc();
  } catch (e) {
    return r.fail((e as Error).message);
  }
}

/** A capture's image digest while it is encoded (encodes run one at a time, start to end). */
const encodeSum = new Int32Array(2);

/** Where a capture's copies lie: in no WebAssembly memory (digested through staging). */
const COPIED = { records: null, heap: null } as const;

registerCodec({
  typeId: 2,
  type: 'vectorset',
  capture(value, slab) {
    const set = (value as VectorSetValue).engine;
    // Deleted nodes waiting for quiescence would otherwise be saved as dead slots.
    set.reclaim();
    const img = set.images();
    const records = slab ? slab.copy(img.records) : img.records.slice();
    const heap = slab ? slab.copy(img.heap) : img.heap.slice();
    // Bytes read in place (InPlaceCapture) are digested where they lie; copies through staging
    // (a BGSAVE's capture asks nothing more of the set).
    const mems = records === img.records ? set.imageMemories() : COPIED;
    return {
      encode: (w) => {
        const sum = encodeSum.fill(0);
        digestImage(mems.records, records, IMAGE_RECORDS, sum);
        digestImage(mems.heap, heap, IMAGE_HEAP, sum);
        w.u32(FORMAT_VERSION).varint(records.length).varint(heap.length).i32(sum[0]).i32(sum[1]);
        w.digested(records).digested(heap);
      },
      // DEBUG DIGEST-VALUE: count and dimension, then every element (stored vector, name,
      // attribute) as its own part, so the digest does not depend on node order.
      digest: (hash) => {
        hash(Buffer.from(`${set.card}:${set.dim}`));
        for (const node of set.nodes()) {
          const raw = set.raw(node);
          const name = set.nameOf(node);
          const attr = set.getAttr(node);
          // Lengths first, so no two different elements can concatenate to the same bytes.
          const head = Buffer.alloc(21);
          head.writeUInt32LE(raw.bytes.length, 0);
          head.writeUInt32LE(name.length, 4);
          head.writeInt32LE(attr ? attr.length : -1, 8);
          head.writeFloatLE(raw.l2, 12);
          head.writeFloatLE(raw.range, 16);
          hash(Buffer.concat([head, raw.bytes, name, attr ?? new Uint8Array(0)]));
        }
      },
    };
  },
  read,
});
