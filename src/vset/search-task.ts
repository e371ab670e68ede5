/**
 * One VSIM, as plain data, and the code that runs it against an attached set and encodes the
 * finished reply. The same function runs in a search worker and, with `search-threads 0`,
 * NOTHREAD, inside MULTI or with vset-force-single-threaded-execution, on the main thread — so the
 * two paths cannot drift apart.
 *
 * The reply is produced where the search runs: names and attributes are read from the set's shared
 * memory inside the search's read section, so a slot freed by a concurrent VREM cannot be reused
 * (and renamed) while its name is being copied out.
 */
import { compileFilter, type CompiledFilter } from '../filter/index.js';
import { ReplyWriter, type Protocol } from '../server/reply.js';
import { encodePlan, SearchResults, type VectorSet } from './index.js';

export interface SearchTask {
  /** VSIM FP32/VALUES: the input vector (stored or projection-input length), else null. */
  query: Float32Array | null;
  /** VSIM ELE: the element whose vector is the query, else null. */
  element: Uint8Array | null;
  count: number;
  ef: number;
  epsilon: number;
  truth: boolean;
  /** FILTER expression bytes (already known to compile), or null. */
  filter: Uint8Array | null;
  filterEf: number;
  withScores: boolean;
  withAttribs: boolean;
  protocol: Protocol;
}

/**
 * Debug marks a task may carry to a search worker (DEBUG SEARCH-WORKER, only with
 * enable-debug-command): `debugHold` makes the worker wait on that shared word until it is
 * non-zero before running the task; `debugCrash` makes the worker thread exit inside the task's
 * read section, as a worker that dies mid-batch would, without cleaning up.
 */
export interface DebugMarks {
  debugHold?: Int32Array;
  debugCrash?: boolean;
}

/**
 * The neighbour search of a VADD CAS (hnsw/plan.ts): `vector` is the input (projection-input
 * length on a REDUCE set), `level` the new node's level from the owner's ticket.
 */
export interface PlanTask {
  kind: 'plan';
  vector: Float32Array;
  level: number;
  ef: number;
}

/**
 * A KNN of the query engine (FT.SEARCH, src/query): nearest documents of a vector field's set,
 * as (distance, element name = the document's key) pairs, not a finished reply — the reply
 * carries the documents' hash fields, which live on the main thread.
 */
export interface KnnTask {
  kind: 'knn';
  /** In the field's dimension (checked by the caller). */
  query: Float32Array;
  count: number;
  ef: number;
  /** An exact scan of these slots only (a selective filter's matching documents). */
  among: Int32Array | null;
  /** A filtered graph walk: bit s of this bitmap says slot s may be returned. */
  allow: Int32Array | null;
  /** An exact scan of every vector (FLAT fields), filtered by `allow` if set. */
  exact: boolean;
  /** Candidates a filtered walk may expand. */
  filterEf: number;
}

/** What a search worker runs: a VSIM, the search half of a VADD CAS, or a query engine KNN. */
export type PoolTask = SearchTask | PlanTask | KnnTask;

/**
 * Runs a KNN task: `u32 count`, then per hit `f64 distance, u32 name length, name bytes`
 * (little endian), nearest first. Names are copied inside the read section, so a concurrent
 * delete cannot recycle a slot while its name is read.
 */
export function runKnnTask(set: VectorSet, task: KnnTask, out: SearchResults = new SearchResults()): Uint8Array {
  const size = set.card;
  if (size === 0) return new Uint8Array(4);
  const allow = task.allow;
  const prepared = set.prepare(task.query);
  const opts = {
    count: Math.min(task.count, size),
    ef: Math.min(Math.max(task.ef, task.count), size),
    truth: task.exact,
    filterEf: task.filterEf,
    ...(task.among !== null ? { among: task.among } : {}),
    ...(allow !== null ? { filter: (slot: number) => (allow[slot >>> 5]! & (1 << (slot & 31))) !== 0 } : {}),
  };
  return set.read(() => {
    set.search(prepared, opts, out);
    let bytes = 4;
    for (let i = 0; i < out.count; i++) bytes += 12 + set.nameView(out.ids[i]!).length;
    const buf = new Uint8Array(bytes);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, out.count, true);
    let at = 4;
    for (let i = 0; i < out.count; i++) {
      const name = set.nameView(out.ids[i]!);
      dv.setFloat64(at, out.dists[i]!, true);
      dv.setUint32(at + 8, name.length, true);
      buf.set(name, at + 12);
      at += 12 + name.length;
    }
    return buf;
  });
}

/** Reads what runKnnTask wrote. */
export function decodeKnn(bytes: Uint8Array): Array<{ distance: number; name: Buffer }> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const n = bytes.length >= 4 ? dv.getUint32(0, true) : 0;
  const hits: Array<{ distance: number; name: Buffer }> = [];
  let at = 4;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(at + 8, true);
    hits.push({ distance: dv.getFloat64(at, true), name: Buffer.from(bytes.subarray(at + 12, at + 12 + len)) });
    at += 12 + len;
  }
  return hits;
}

/**
 * The task as it goes to a worker: its bytes (the ELE name, the FILTER expression) in buffers of
 * their own. Posting a typed array to a worker copies its whole backing buffer, and these come as
 * views of the socket's read chunk (up to 64 KiB) or of Node's 8 KiB Buffer pool: sent as they
 * were, a FILTER cost a 64 KiB copy (and as much garbage in the worker) per query.
 */
export function ownedBytes(task: SearchTask): SearchTask {
  if (task.element) task.element = exactCopy(task.element);
  if (task.filter) task.filter = exactCopy(task.filter);
  return task;
}

function exactCopy(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
}

/**
 * The encoded plan (`decodePlan` reads it back), or no bytes at all when planning failed: the
 * commit then inserts the ordinary way, so a failure here can cost time but never the insert.
 */
export function runPlanTask(set: VectorSet, task: PlanTask): Uint8Array {
  try {
    return encodePlan(set.planInsert(task.vector, task.level, task.ef));
  } catch {
    return new Uint8Array(0);
  }
}

/** Compiled filters by expression text, per thread: repeated queries skip the compile. */
export class FilterCache {
  private readonly map = new Map<string, CompiledFilter>();
  constructor(private readonly capacity = 64) {}

  get(expr: Uint8Array): CompiledFilter | null {
    const k = Buffer.from(expr.buffer, expr.byteOffset, expr.length).toString('latin1');
    let f = this.map.get(k);
    if (f) {
      // Refresh recency.
      this.map.delete(k);
      this.map.set(k, f);
      return f;
    }
    const r = compileFilter(expr);
    if (!r.ok) return null;
    f = r.filter;
    this.map.set(k, f);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return f;
  }
}

/**
 * Runs the search and returns the encoded reply (RESP2 or RESP3, as the task asks), including
 * error replies for the cases only the searching thread can see (the ELE element vanished).
 */
export function runSearchTask(
  set: VectorSet,
  task: SearchTask,
  filters: FilterCache,
  out: SearchResults = new SearchResults(),
  /** A writer to reuse (its buffer stays allocated between tasks); emptied on return. */
  w: ReplyWriter = new ReplyWriter(task.protocol),
): Uint8Array {
  w.protocol = task.protocol;
  writeSearchReply(set, task, filters, out, w);
  return concat(w.take());
}

/** Runs the search and writes its reply into `w` (the inline path writes to the client directly). */
export function writeSearchReply(set: VectorSet, task: SearchTask, filters: FilterCache, out: SearchResults, w: ReplyWriter): void {
  let prepared;
  if (task.element) {
    const node = set.lookup(task.element);
    if (node < 0) {
      w.error('ERR element not found in set');
      return;
    }
    prepared = set.queryFromNode(node);
  } else {
    prepared = set.prepare(task.query!);
  }
  const filter = task.filter ? filters.get(task.filter) : null;
  if (task.filter && !filter) {
    w.error('ERR syntax error in FILTER expression');
    return;
  }
  // COUNT has no upper limit (spec §7.2) and the effective EF is capped at the cardinality (§5),
  // so neither needs to exceed the set's size; capping also keeps a COUNT near 2^63 away from the
  // engine's allocations.
  const size = set.card;
  const opts = {
    count: Math.min(task.count, size),
    ef: Math.min(task.ef, size),
    epsilon: task.epsilon,
    truth: task.truth,
    filterEf: task.filterEf,
    ...(filter
      ? {
          filter: (slot: number) => {
            // An element without an attribute never matches (spec §9.1).
            const attr = set.attrView(slot);
            return attr !== null && filter.match(attr, 0, attr.length);
          },
        }
      : {}),
  };
  // One read section around the search and the reply: the names and attributes copied into the
  // reply belong to nodes no concurrent VREM can recycle until the section ends.
  set.read(() => {
    set.search(prepared, opts, out);
    writeHits(w, set, out, task.withScores, task.withAttribs);
  });
}

function concat(chunks: Buffer[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The VSIM reply shapes of spec §7.2. */
function writeHits(r: ReplyWriter, set: VectorSet, res: SearchResults, withScores: boolean, withAttribs: boolean): void {
  const n = res.count;
  if (!withScores && !withAttribs) {
    r.array(n);
    for (let i = 0; i < n; i++) r.bulk(set.nameView(res.ids[i]!));
    return;
  }
  if (r.resp3) {
    r.map(n);
    for (let i = 0; i < n; i++) {
      const slot = res.ids[i]!;
      r.bulk(set.nameView(slot));
      if (withScores && withAttribs) {
        r.array(2);
        r.double(res.score(i));
        r.bulkOrNull(set.attrView(slot));
      } else if (withScores) {
        r.double(res.score(i));
      } else {
        r.bulkOrNull(set.attrView(slot));
      }
    }
    return;
  }
  const per = 1 + (withScores ? 1 : 0) + (withAttribs ? 1 : 0);
  r.array(n * per);
  for (let i = 0; i < n; i++) {
    const slot = res.ids[i]!;
    r.bulk(set.nameView(slot));
    if (withScores) r.double(res.score(i));
    if (withAttribs) r.bulkOrNull(set.attrView(slot));
  }
}
