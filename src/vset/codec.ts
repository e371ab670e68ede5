/**
 * Persistence of a vector set (snapshots, AOF base files, DUMP/RESTORE): the meaningful bytes of
 * its two shared buffers, exactly as laid out in memory — header, node records (vectors, levels,
 * level-0 links) and the heap (upper links, names, attributes, name index, REDUCE matrix). Loading
 * copies them into fresh shared memory and validates the graph; nothing is re-inserted.
 *
 *   u32 format version, varint records length, records bytes, varint heap length, heap bytes
 *
 * Capture copies the two images between commands (a memcpy of what the set uses), so a BGSAVE or
 * AOF rewrite writes a consistent set while clients keep changing the live one.
 */
import { registerCodec } from '../persistence/codecs.js';
import { log } from '../server/log.js';
import type { BinaryReader } from '../persistence/binary.js';
import { VectorSet } from './index.js';
import { geometry, H, HEADER_BYTES, LAYOUT_VERSION, MAGIC, MAX_DIM, MAX_LEVEL, MAX_M, MIN_M, READER_SLOTS, type Quant } from '../hnsw/layout.js';
import { VectorSetValue } from './vector-set-value.js';

const FORMAT_VERSION = 1;
/** The engine's records memory is at most 4 GiB, its heap 2 GiB. */
const MAX_RECORDS = 2 ** 32;
const MAX_HEAP = 2 ** 31;

/**
 * The header's parameters must agree with each other and with the image sizes before anything is
 * attached: every later check (and every search) trusts the stride, the bases and the counts.
 * Returns a problem or null.
 */
function headerProblem(records: Uint8Array, heap: Uint8Array): string | null {
  if (records.length < HEADER_BYTES) return `records image of ${records.length} bytes is shorter than the header`;
  const h = new DataView(records.buffer, records.byteOffset, HEADER_BYTES);
  const word = (i: number): number => h.getInt32(i * 4, true);
  if ((word(H.MAGIC) >>> 0) !== MAGIC) return 'bad magic in the records header';
  if (word(H.LAYOUT_VERSION) !== LAYOUT_VERSION) return `unsupported layout version ${word(H.LAYOUT_VERSION)}`;
  const dim = word(H.DIM);
  const quant = word(H.QUANT);
  const M = word(H.M);
  if (dim < 1 || dim > MAX_DIM) return `dimension ${dim} out of range 1..${MAX_DIM}`;
  if (quant < 0 || quant > 2) return `unknown quantisation ${quant}`;
  if (M < MIN_M || M > MAX_M) return `M ${M} out of range ${MIN_M}..${MAX_M}`;
  const g = geometry(dim, quant as Quant, M);
  if (word(H.STRIDE) !== g.stride || word(H.VEC_BYTES) !== g.vecBytes) return `record stride ${word(H.STRIDE)} does not match dimension ${dim}, M ${M}`;
  const proj = word(H.PROJ_INPUT_DIM);
  if (proj !== 0 && (proj < dim || proj > MAX_DIM)) return `projection input dimension ${proj} invalid for dimension ${dim}`;
  if (word(H.SCRATCH_BASE) !== HEADER_BYTES || word(H.REC_BASE) !== HEADER_BYTES + (READER_SLOTS + 1) * g.stride) return 'record base offsets do not match the layout';
  const hw = word(H.HIGH_WATER);
  const slots = Math.floor((records.length - word(H.REC_BASE)) / g.stride);
  if (hw < 0 || hw > slots) return `high-water mark ${hw} beyond the ${slots} records in the image`;
  const count = word(H.COUNT);
  if (count < 0 || count > hw) return `element count ${count} larger than the ${hw} records`;
  if (word(H.MAX_LEVEL) < 0 || word(H.MAX_LEVEL) > MAX_LEVEL) return `max level ${word(H.MAX_LEVEL)} out of range`;
  const entry = word(H.ENTRY);
  if (entry < -1 || entry >= hw) return `entry point ${entry} out of range`;
  const top = word(H.HEAP_TOP);
  if (top < 8 || top !== heap.length) return `heap top ${top} does not match the heap image (${heap.length} bytes)`;
  return null;
}

function decode(r: BinaryReader): VectorSetValue {
  const version = r.u32('vector set format version');
  if (version !== FORMAT_VERSION) r.fail(`unsupported vector set format version ${version}`);
  const records = r.bytes('vector set records', MAX_RECORDS);
  const heap = r.bytes('vector set heap', MAX_HEAP);
  const bad = headerProblem(records, heap);
  if (bad) r.fail(`vector set image refused: ${bad}`);
  let set: VectorSet;
  try {
    set = VectorSet.fromImages(records, heap);
  } catch (e) {
    return r.fail(`vector set image refused: ${(e as Error).message}`);
  }
  let problems: string[];
  try {
    problems = set.validate();
  } catch (e) {
    problems = [`validation failed: ${(e as Error).message}`];
  }
  // Reachability is a property of graph quality, not of integrity: a graph the engine itself built
  // (and searches) must load again even if some of its level-0 regions hang only off upper
  // levels, so those findings are logged, not fatal. Everything structural refuses the value.
  const quality = problems.filter((p) => p.includes('unreachable'));
  problems = problems.filter((p) => !p.includes('unreachable'));
  if (problems.length > 0) r.fail(`vector set graph is invalid: ${problems.slice(0, 3).join('; ')}`);
  if (quality.length > 0) log.warning(`Loaded a vector set with a graph quality warning: ${quality.join('; ')}`);
  if (set.card === 0) r.fail('vector set with no elements (Redis never stores an empty vector set)');
  return new VectorSetValue(set);
}

registerCodec({
  typeId: 2,
  type: 'vectorset',
  capture(value) {
    const set = (value as VectorSetValue).engine;
    // Deleted nodes waiting for quiescence would otherwise be saved as dead slots.
    set.reclaim();
    const img = set.images();
    const records = img.records.slice();
    const heap = img.heap.slice();
    return {
      encode: (w) => {
        w.u32(FORMAT_VERSION);
        w.bytes(records);
        w.bytes(heap);
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
  decode,
});
