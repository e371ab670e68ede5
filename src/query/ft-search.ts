/**
 * FT.SEARCH against one index: the filter is evaluated on the main thread by the secondary
 * indexes (a DocSet); a KNN clause then becomes a KnnTask for the search pool (or runs inline,
 * as VSIM does), with a plan chosen from the filter's size — the query engine's hybrid policies:
 *
 *  - a selective filter (ADHOC_BF): an exact scan of the matching documents' vectors only —
 *    recall 1, and cheap because only those vectors are read;
 *  - a broad one (BATCHES): a graph walk that returns only nodes whose bit is set in a bitmap of
 *    the matching documents.
 *
 * The walk costs about (ef / selectivity) × M0 distances, the scan one per match: they meet near
 * matches ≈ √(M0 · ef · N), the threshold used unless HYBRID_POLICY asks for one of them.
 * The reply (documents' hash fields) is written on the main thread when the hits are back.
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import type { HashValue } from '../keyspace/hash-value.js';
import type { ReplyWriter } from '../server/reply.js';
import type { KnnTask } from '../vset/search-task.js';
import { DocSet } from './docset.js';
import { QueryError } from './errors.js';
import type { FtIndex, IndexedVectors } from './ft-index.js';
import { formatNumber } from './format.js';
import type { ParsedQuery, QueryNode } from './ast.js';
import type { SearchRequest } from './search-args.js';

export interface KnnPlan {
  readonly iv: IndexedVectors;
  readonly task: KnnTask;
  /** Where the distance is returned (AS name, or `__<field>_score`). */
  readonly scoreField: string;
  readonly k: number;
}

export interface SearchPlan {
  readonly index: FtIndex;
  readonly req: SearchRequest;
  /** The documents the filter matches. */
  readonly docs: DocSet;
  readonly knn: KnnPlan | null;
  /** VECTOR_RANGE distances returned under $YIELD_DISTANCE_AS: name → document → distance. */
  readonly yields: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

/** A document in the answer: its key and, for KNN queries, its distance. */
export interface Hit {
  key: string;
  id: number;
  distance: number;
}

/** Evaluates the filter and prepares the KNN task, if any. Throws QueryError. */
export function planSearch(index: FtIndex, req: SearchRequest, query: ParsedQuery): SearchPlan {
  const yields = new Map<string, Map<number, number>>();
  const docs = index.secondary.evaluate(query.root, { vectorRange: (n) => vectorRange(index, n, yields) });
  const knn = query.knn;
  if (knn === null) return { index, req, docs, knn: null, yields };
  const iv = index.vectors.get(knn.field);
  if (iv === undefined) throw new QueryError('INVAL', `Unknown field \`${knn.field}\``);
  const vector = iv.field.decode(knn.vector);
  if (vector === null) throw new QueryError('BAD_VAL', 'Error parsing vector similarity query: query vector does not match index\'s type or dimension.');
  const total = iv.field.size;
  const k = Math.min(knn.k, total);
  const ef = Math.max(knn.options.efRuntime ?? iv.spec.efRuntime, k);
  const all = query.root.type === 'all';
  const matches = docs.size;
  const threshold = Math.max(1000, Math.sqrt(2 * iv.spec.m * ef * total));
  const policy = knn.options.hybridPolicy;
  const scan = !all && (policy === 'ADHOC_BF' || (policy !== 'BATCHES' && matches <= threshold));
  const task: KnnTask = {
    kind: 'knn',
    query: vector,
    count: k,
    ef,
    among: scan ? index.slotsOf(iv, docs) : null,
    allow: !all && !scan ? index.allowBits(iv, docs) : null,
    exact: iv.spec.algorithm === 'FLAT',
    // Enough candidates for k matches at this selectivity, with room to spare.
    filterEf: Math.min(total, Math.ceil((ef * 4 * Math.max(1, total)) / Math.max(1, matches))),
  };
  return { index, req, docs, knn: { iv, task, scoreField: knn.scoreField, k }, yields };
}

/** `@field:[VECTOR_RANGE r $v]`: every document whose distance is within r (an exact scan). */
function vectorRange(index: FtIndex, n: Extract<QueryNode, { type: 'vectorRange' }>, yields: Map<string, Map<number, number>>): DocSet {
  const iv = index.vectors.get(n.field);
  if (iv === undefined) return DocSet.EMPTY;
  const vector = iv.field.decode(n.vector);
  if (vector === null) throw new QueryError('BAD_VAL', 'Error parsing vector similarity query: query vector does not match index\'s type or dimension.');
  const set = iv.field.engine;
  const res = set.search(set.prepare(vector), { count: Math.max(1, set.card), truth: true });
  const ids: number[] = [];
  const distances = n.distanceField !== null ? new Map<number, number>() : null;
  if (n.distanceField !== null) yields.set(n.distanceField, distances!);
  for (let i = 0; i < res.count; i++) {
    if (res.dists[i]! > n.radius) break;
    const id = index.docOf(Buffer.from(set.nameOf(res.ids[i]!)).toString('latin1'));
    if (id === undefined) continue;
    ids.push(id);
    distances?.set(id, res.dists[i]!);
  }
  return DocSet.fromUnsorted(Uint32Array.from(ids), index.maxDocId + 1);
}

/** The KNN hits still in the index (a document deleted since the search ran is left out). */
export function knnHits(plan: SearchPlan, hits: ReadonlyArray<{ distance: number; name: Buffer }>): Hit[] {
  const out: Hit[] = [];
  for (const h of hits) {
    const key = h.name.toString('latin1');
    const id = plan.index.docOf(key);
    if (id !== undefined) out.push({ key, id, distance: h.distance });
  }
  return out;
}

/** The filter's documents in index order (a query without KNN). */
export function filterHits(plan: SearchPlan): Hit[] {
  const out: Hit[] = [];
  plan.docs.forEach((id) => {
    const key = plan.index.keyOfDoc(id);
    if (key !== undefined) out.push({ key, id, distance: NaN });
  });
  return out;
}

/** SORTBY, then LIMIT. */
function order(plan: SearchPlan, hits: Hit[], ks: Keyspace): Hit[] {
  const sortBy = plan.req.sortBy;
  if (sortBy !== null) {
    const dir = sortBy.ascending ? 1 : -1;
    const yielded = plan.yields.get(sortBy.field);
    if (plan.knn !== null && sortBy.field === plan.knn.scoreField) {
      hits.sort((a, b) => dir * (a.distance - b.distance) || a.id - b.id);
    } else if (yielded !== undefined) {
      const d = (h: Hit): number => yielded.get(h.id) ?? Infinity;
      hits.sort((a, b) => dir * (d(a) - d(b)) || a.id - b.id);
    } else {
      const spec = plan.index.def.fields.find((f) => f.name === sortBy.field);
      const path = spec?.path ?? sortBy.field;
      if (spec?.type === 'NUMERIC') {
        const val = (h: Hit): number => plan.index.secondary.numericValue(spec.name, h.id);
        hits.sort((a, b) => {
          const x = val(a);
          const y = val(b);
          // Documents without a value come last, whatever the direction.
          if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? a.id - b.id : 1) : -1;
          return dir * (x - y) || a.id - b.id;
        });
      } else {
        const val = (h: Hit): Buffer | undefined => (ks.dbs[0]!.peek(h.key) as HashValue | undefined)?.get(path);
        hits.sort((a, b) => {
          const x = val(a);
          const y = val(b);
          if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? a.id - b.id : 1) : -1;
          return dir * Buffer.compare(x, y) || a.id - b.id;
        });
      }
    }
  } else if (plan.knn !== null) {
    hits.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }
  return hits.slice(plan.req.offset, plan.req.offset + plan.req.limit);
}

/** The fields returned for a document: [name, value] pairs (values as the engine prints them). */
function fieldsOf(plan: SearchPlan, hit: Hit, hash: HashValue): Array<[string, Buffer | string]> {
  const knn = plan.knn;
  const ret = plan.req.returnFields;
  const out: Array<[string, Buffer | string]> = [];
  if (ret === null) {
    if (knn !== null) out.push([knn.scoreField, formatNumber(hit.distance)]);
    for (const [name, m] of plan.yields) {
      const d = m.get(hit.id);
      if (d !== undefined) out.push([name, formatNumber(d)]);
    }
    for (const [f, v] of hash.entries()) out.push([f, v]);
    return out;
  }
  for (const rf of ret) {
    if (knn !== null && (rf.path === knn.scoreField || rf.name === knn.scoreField)) {
      out.push([rf.name, formatNumber(hit.distance)]);
      continue;
    }
    const yielded = plan.yields.get(rf.path)?.get(hit.id);
    if (yielded !== undefined) {
      out.push([rf.name, formatNumber(yielded)]);
      continue;
    }
    const spec = plan.index.def.fields.find((f) => f.name === rf.path);
    const v = hash.get(spec?.path ?? rf.path);
    if (v !== undefined) out.push([rf.name, v]);
  }
  return out;
}

/** The FT.SEARCH reply, RESP2 or RESP3 as the module shapes it. */
export function writeSearchReply(w: ReplyWriter, ks: Keyspace, plan: SearchPlan, all: Hit[]): void {
  const total = all.length;
  const page = plan.req.limit === 0 ? [] : order(plan, all, ks);
  const noContent = plan.req.noContent || (plan.req.returnFields !== null && plan.req.returnFields.length === 0);
  const withScores = plan.req.withScores;
  // The documents are read now: one deleted meanwhile is answered without fields, as the module
  // answers a document that expired between the search and the load.
  const rows = page.map((h) => ({ hit: h, hash: ks.dbs[0]!.peek(h.key) as HashValue | undefined }));
  if (w.resp3) {
    w.map(5);
    w.simple('attributes');
    w.array(0);
    w.simple('format');
    w.simple(plan.req.format ?? 'STRING');
    w.simple('results');
    w.array(rows.length);
    for (const { hit, hash } of rows) {
      w.map(1 + (withScores ? 1 : 0) + (noContent ? 0 : 1) + 1);
      w.simple('id');
      w.bulk(Buffer.from(hit.key, 'latin1'));
      if (withScores) {
        w.simple('score');
        w.double(1);
      }
      if (!noContent) {
        w.simple('extra_attributes');
        if (hash === undefined || hash.type !== 'hash') w.null();
        else {
          const fields = fieldsOf(plan, hit, hash);
          w.map(fields.length);
          for (const [f, v] of fields) {
            w.bulk(Buffer.from(f, 'latin1'));
            w.bulk(typeof v === 'string' ? Buffer.from(v, 'latin1') : v);
          }
        }
      }
      w.simple('values');
      w.array(0);
    }
    w.simple('total_results');
    w.integer(total);
    w.simple('warning');
    w.array(0);
    return;
  }
  w.array(1 + rows.length * (1 + (withScores ? 1 : 0) + (noContent ? 0 : 1)));
  w.integer(total);
  for (const { hit, hash } of rows) {
    w.bulk(Buffer.from(hit.key, 'latin1'));
    if (withScores) w.bulk(Buffer.from('1'));
    if (noContent) continue;
    if (hash === undefined || hash.type !== 'hash') {
      w.null();
      continue;
    }
    const fields = fieldsOf(plan, hit, hash);
    w.array(fields.length * 2);
    for (const [f, v] of fields) {
      w.bulk(Buffer.from(f, 'latin1'));
      w.bulk(typeof v === 'string' ? Buffer.from(v, 'latin1') : v);
    }
  }
}
