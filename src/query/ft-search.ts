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
 * The reply (documents' hash fields) is written on the main thread when the hits are back; what
 * changed in the index while a search ran on the pool is checked then (see `settle`).
 *
 * Orders follow RediSearch where it defines one: SORTBY sorts with documents lacking the field
 * last and ties broken by doc id in the sort direction (SearchResult_CmpByFields); results it
 * leaves unordered come in doc id order. KNN hits without SORTBY come nearest first (RediSearch
 * orders them by its text score, which vsetd does not compute; see the README).
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import type { HashValue } from '../keyspace/hash-value.js';
import type { ReplyWriter } from '../server/reply.js';
import type { KnnTask } from '../vset/search-task.js';
import { DocSet } from './docset.js';
import { QueryError } from './errors.js';
import type { FtIndex, IndexedVectors } from './ft-index.js';
import { formatG, formatNumber } from './format.js';
import type { ParsedQuery, QueryNode } from './ast.js';
import type { SearchRequest } from './search-args.js';

/**
 * An error RediSearch words with a code that src/query/errors.ts does not list; `reply` is the
 * whole error text, as QueryError's is.
 */
export class FtReplyError extends Error {
  constructor(readonly reply: string) {
    super(reply);
    this.name = 'FtReplyError';
  }
}

export interface KnnPlan {
  readonly iv: IndexedVectors;
  readonly task: KnnTask;
  /** Where the distance is returned (AS name, or `__<field>_score`). */
  readonly scoreField: string;
  readonly k: number;
}

/** What SORTBY compares: the KNN distance, a yielded range distance, or a field. */
type SortKey =
  | { readonly kind: 'distance' }
  | { readonly kind: 'yield'; readonly name: string }
  | { readonly kind: 'numeric'; readonly field: string }
  /** Hash bytes; `fold`: a SORTABLE TEXT/TAG field without UNF, compared lowercased as RediSearch stores it. */
  | { readonly kind: 'string'; readonly name: string; readonly path: string; readonly fold: boolean };

export interface SearchPlan {
  readonly index: FtIndex;
  readonly req: SearchRequest;
  readonly query: ParsedQuery;
  /** The documents the filter matches. */
  docs: DocSet;
  /** $YIELD_DISTANCE_AS of vector range clauses: name → (document number → distance). */
  yields: Map<string, Map<number, number>>;
  readonly knn: KnnPlan | null;
  readonly sortKey: SortKey | null;
  /** index.version when the filter was evaluated. */
  readonly version: number;
}

/** A document in the answer: its key and, for KNN queries, its distance. */
export interface Hit {
  key: string;
  id: number;
  distance: number;
}

/** The names $YIELD_DISTANCE_AS gives in a query tree. */
function yieldNames(n: QueryNode, out: string[]): string[] {
  switch (n.type) {
    case 'and':
    case 'or':
      for (const c of n.children) yieldNames(c, out);
      break;
    case 'not':
      yieldNames(n.child, out);
      break;
    case 'vectorRange':
      if (n.distanceField !== null) out.push(n.distanceField);
      break;
    default:
  }
  return out;
}

function resolveSortKey(index: FtIndex, req: SearchRequest, query: ParsedQuery): SortKey | null {
  const sortBy = req.sortBy;
  if (sortBy === null) return null;
  const field = sortBy.field;
  if (query.knn !== null && field === query.knn.scoreField) return { kind: 'distance' };
  if (yieldNames(query.root, []).includes(field)) return { kind: 'yield', name: field };
  const spec = index.def.fields.find((f) => f.name === field);
  // pipeline_construction.c: only schema fields may be loaded implicitly for sorting.
  if (spec === undefined) throw new FtReplyError(`SEARCH_PROP_NOT_FOUND Property \`${field.replace(/[\r\n]/g, ' ')}\` not loaded nor in schema`);
  if (spec.type === 'NUMERIC') return { kind: 'numeric', field: spec.name };
  const fold = (spec.type === 'TEXT' || spec.type === 'TAG') && spec.sortable && !spec.unf;
  return { kind: 'string', name: spec.name, path: spec.path, fold };
}

/** Evaluates a filter, recording the distances of vector range clauses that yield them. */
function evaluateFilter(index: FtIndex, root: QueryNode, inKeys: readonly string[] | null): { docs: DocSet; yields: Map<string, Map<number, number>> } {
  const yields = new Map<string, Map<number, number>>();
  let docs = index.secondary.evaluate(root, { vectorRange: (n) => vectorRange(index, n, yields) });
  if (inKeys !== null) {
    // INKEYS: only these documents (keys the index does not hold are ignored).
    const ids: number[] = [];
    for (const k of inKeys) {
      const id = index.docOf(k);
      if (id !== undefined) ids.push(id);
    }
    docs = docs.and(DocSet.fromUnsorted(Uint32Array.from(ids), index.idLimit));
  }
  return { docs, yields };
}

/** Evaluates the filter and prepares the KNN task, if any. Throws QueryError or FtReplyError. */
export function planSearch(index: FtIndex, req: SearchRequest, query: ParsedQuery): SearchPlan {
  const sortKey = resolveSortKey(index, req, query);
  const version = index.version;
  const { docs, yields } = evaluateFilter(index, query.root, req.inKeys);
  const knn = query.knn;
  if (knn === null) return { index, req, query, docs, yields, knn: null, sortKey, version };
  const iv = index.vectors.get(knn.field);
  if (iv === undefined) throw new QueryError('INVAL', `Unknown field \`${knn.field}\``);
  const vector = iv.field.decode(knn.vector);
  if (vector === null) throw new QueryError('BAD_VAL', 'Error parsing vector similarity query: query vector does not match index\'s type or dimension.');
  const total = iv.field.size;
  const k = Math.min(knn.k, total);
  const ef = Math.max(knn.options.efRuntime ?? iv.spec.efRuntime, k);
  const all = query.root.type === 'all' && req.inKeys === null;
  const matches = docs.size;
  const threshold = Math.max(1000, Math.sqrt(2 * iv.spec.m * ef * total));
  const policy = knn.options.hybridPolicy;
  const scan = !all && (policy === 'ADHOC_BF' || (policy !== 'BATCHES' && matches <= threshold));
  // A filtered walk keeps as many matching candidates as RediSearch's BATCHES mode asks of its
  // first batch (hybrid_reader.c: k · N / matches + 1, or BATCH_SIZE): at a selectivity s the
  // walk then sees about what an unfiltered search with ef / s would, and its recall holds up.
  const batch = knn.options.batchSize ?? Math.floor((k * total) / Math.max(1, matches)) + 1;
  const walkEf = !all && !scan ? Math.min(Math.max(ef, batch), Math.max(ef, total)) : ef;
  const task: KnnTask = {
    kind: 'knn',
    query: vector,
    count: k,
    ef: walkEf,
    among: scan ? index.slotsOf(iv, docs) : null,
    allow: !all && !scan ? index.allowBits(iv, docs) : null,
    exact: iv.spec.algorithm === 'FLAT',
    // Enough candidates for k matches at this selectivity, with room to spare.
    filterEf: Math.min(total, Math.ceil((walkEf * 4 * Math.max(1, total)) / Math.max(1, matches))),
  };
  return { index, req, query, docs, yields, knn: { iv, task, scoreField: knn.scoreField, k }, sortKey, version };
}

/** `@field:[VECTOR_RANGE r $v]`: every document whose distance is within r (an exact scan). */
function vectorRange(index: FtIndex, n: Extract<QueryNode, { type: 'vectorRange' }>, yields: Map<string, Map<number, number>>): DocSet {
  const iv = index.vectors.get(n.field);
  if (iv === undefined) return DocSet.EMPTY;
  const vector = iv.field.decode(n.vector);
  if (vector === null) throw new QueryError('BAD_VAL', 'Error parsing vector similarity query: query vector does not match index\'s type or dimension.');
  const set = iv.field.engine;
  if (set.card === 0) return DocSet.EMPTY;
  const res = set.search(set.prepare(vector), { count: set.card, truth: true });
  const ids: number[] = [];
  const dist = n.distanceField === null ? null : new Map<number, number>();
  for (let i = 0; i < res.count; i++) {
    if (res.dists[i]! > n.radius) break;
    const id = index.docOf(Buffer.from(set.nameOf(res.ids[i]!)).toString('latin1'));
    if (id === undefined) continue;
    ids.push(id);
    dist?.set(id, res.dists[i]!);
  }
  if (dist !== null) yields.set(n.distanceField!, dist);
  return DocSet.fromUnsorted(Uint32Array.from(ids), index.idLimit);
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

/**
 * Brings a plan up to date before its reply is written, after its KNN ran on the search pool while
 * other clients wrote: when the index changed meanwhile, the filter is evaluated again and only
 * hits that still match it are kept. Besides documents whose fields changed, this keeps out
 * documents the filter never matched: a graph with memory of its own (records over 8 KiB, or
 * past 8 MiB) waits only for searches already running before it reuses a freed slot, so a task
 * still queued can find, in a slot of its list or bitmap, a document added since (test/
 * ft-concurrency.test.ts shows it). Returns null when the index itself was dropped or replaced
 * (FT.DROPINDEX, FT.ALTER) meanwhile: there is nothing to answer.
 */
export function settle(plan: SearchPlan, current: FtIndex | undefined, hits: Hit[]): Hit[] | null {
  if (current !== plan.index) return null;
  if (plan.index.version === plan.version || (plan.query.root.type === 'all' && plan.req.inKeys === null)) return hits;
  const { docs, yields } = evaluateFilter(plan.index, plan.query.root, plan.req.inKeys);
  plan.docs = docs;
  plan.yields = yields;
  return hits.filter((h) => docs.has(h.id));
}

/** The filter's documents (a query without KNN). */
export function filterHits(plan: SearchPlan): Hit[] {
  const out: Hit[] = [];
  plan.docs.forEach((id) => {
    const key = plan.index.keyOfDoc(id);
    if (key !== undefined) out.push({ key, id, distance: NaN });
  });
  return out;
}

/**
 * The first `n` of `items` in `cmp` order, sorted: a bounded max-heap, so a page of ten out of a
 * hundred thousand matches does not sort them all.
 */
function firstN<T>(items: T[], n: number, cmp: (a: T, b: T) => number): T[] {
  if (n <= 0) return [];
  if (items.length <= n * 4) return items.sort(cmp).slice(0, n);
  const heap: T[] = [];
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && cmp(heap[l]!, heap[top]!) > 0) top = l;
      if (r < heap.length && cmp(heap[r]!, heap[top]!) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top]!, heap[i]!];
      i = top;
    }
  };
  for (const it of items) {
    if (heap.length < n) {
      heap.push(it);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (cmp(heap[i]!, heap[p]!) <= 0) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    } else if (cmp(it, heap[0]!) < 0) {
      heap[0] = it;
      down(0);
    }
  }
  return heap.sort(cmp);
}

/** A document's SORTBY value: a number, bytes (folded when the field's sorting vector would), or none. */
function sortValue(plan: SearchPlan, ks: Keyspace, h: Hit): number | Buffer | undefined {
  const key = plan.sortKey;
  switch (key?.kind) {
    case undefined:
      return undefined;
    case 'distance':
      return h.distance;
    case 'yield':
      return plan.yields.get(key.name)?.get(h.id);
    case 'numeric': {
      const v = plan.index.secondary.numericValue(key.field, h.id);
      return Number.isNaN(v) ? undefined : v;
    }
    case 'string': {
      const raw = (ks.dbs[0]!.peek(h.key) as HashValue | undefined)?.get(key.path);
      if (raw === undefined) return undefined;
      return key.fold ? Buffer.from(Buffer.from(raw).toString('utf8').toLowerCase(), 'utf8') : Buffer.from(raw);
    }
  }
}

/** The comparison SORTBY (or the default order) asks for. */
function comparator(plan: SearchPlan, ks: Keyspace): (a: Hit, b: Hit) => number {
  const seq = (h: Hit): number => plan.index.seqOf(h.id);
  if (plan.sortKey === null) {
    if (plan.knn !== null) return (a, b) => a.distance - b.distance || seq(a) - seq(b);
    return (a, b) => seq(a) - seq(b);
  }
  const dir = plan.req.sortBy!.ascending ? 1 : -1;
  const cache = new Map<Hit, number | Buffer | undefined>();
  const get = (h: Hit): number | Buffer | undefined => {
    if (!cache.has(h)) cache.set(h, sortValue(plan, ks, h));
    return cache.get(h);
  };
  // Documents without a value come last whatever the direction; ties by doc id in the direction.
  return (a: Hit, b: Hit): number => {
    const x = get(a);
    const y = get(b);
    if (x === undefined || y === undefined) {
      if (x !== undefined) return -1;
      if (y !== undefined) return 1;
    } else {
      const c = typeof x === 'number' ? x - (y as number) : Buffer.compare(x, y as Buffer);
      if (c !== 0) return dir * c;
    }
    return dir * (seq(a) - seq(b));
  };
}

/**
 * WITHSORTKEYS: the sort value as aggregate_exec.c's reeval_key sends it — `#` and %.17g for a
 * number, `$` and the (folded) string, null without one.
 */
function sortKeyText(plan: SearchPlan, ks: Keyspace, h: Hit): Buffer | null {
  const v = sortValue(plan, ks, h);
  if (v === undefined) return null;
  if (typeof v === 'number') return Buffer.from(`#${Number.isFinite(v) ? formatG(v, 17) : formatNumber(v)}`, 'latin1');
  return Buffer.concat([Buffer.from('$'), v]);
}

/** SORTBY (or the default order), then LIMIT. */
function order(plan: SearchPlan, hits: Hit[], ks: Keyspace): Hit[] {
  const { offset, limit } = plan.req;
  return firstN(hits, offset + limit, comparator(plan, ks)).slice(offset);
}

type Field = [string, Buffer | string];

/**
 * The fields returned for a document, in RediSearch's order: its lookup keys as they were
 * created — the KNN distance, yielded range distances, the SORTBY field, then the rest (the
 * hash in its order, or the RETURN list in its order). Values as the engine prints them.
 */
function fieldsOf(plan: SearchPlan, hit: Hit, hash: HashValue): Field[] {
  const knn = plan.knn;
  const sortKey = plan.sortKey;
  const computed = (name: string): string | undefined => {
    if (knn !== null && name === knn.scoreField) return formatNumber(hit.distance);
    const d = plan.yields.get(name)?.get(hit.id);
    return d === undefined ? undefined : formatNumber(d);
  };
  const first: Field[] = [];
  const rest: Field[] = [];
  const ret = plan.req.returnFields;
  if (ret === null) {
    if (knn !== null) first.push([knn.scoreField, formatNumber(hit.distance)]);
    for (const [name, m] of plan.yields) {
      const d = m.get(hit.id);
      if (d !== undefined) first.push([name, formatNumber(d)]);
    }
    let skip: string | null = null;
    if (sortKey?.kind === 'string' || sortKey?.kind === 'numeric') {
      const spec = plan.index.def.fields.find((f) => f.name === plan.req.sortBy!.field)!;
      const v = hash.get(spec.path);
      if (v !== undefined) {
        first.push([spec.name, v]);
        skip = spec.path;
      }
    }
    for (const [f, v] of hash.entries()) if (f !== skip) rest.push([f, v]);
    return [...first, ...rest];
  }
  const sortName = sortKey?.kind === 'string' || sortKey?.kind === 'numeric' ? plan.req.sortBy!.field : null;
  let sortField: Field | null = null;
  for (const rf of ret) {
    const c = computed(rf.path) ?? computed(rf.name);
    if (c !== undefined) {
      first.push([rf.name, c]);
      continue;
    }
    const spec = plan.index.def.fields.find((f) => f.name === rf.path);
    const v = hash.get(spec?.path ?? rf.path);
    if (v === undefined) continue;
    if (rf.path === sortName && sortField === null) sortField = [rf.name, v];
    else rest.push([rf.name, v]);
  }
  return sortField === null ? [...first, ...rest] : [...first, sortField, ...rest];
}

/**
 * The hits whose documents are still there: a key whose time to live has passed is removed now
 * (as any read of it would), and its document with it, as RediSearch skips expired documents.
 */
function live(ks: Keyspace, hits: Hit[]): Hit[] {
  const db = ks.dbs[0]!;
  if (db.expiresCount === 0) return hits;
  const now = Date.now();
  return hits.filter((h) => db.lookup(h.key, now, false) !== undefined);
}

/** WITHPAYLOADS: the PAYLOAD_FIELD of the document (rules.c: none without that option). */
function payloadOf(plan: SearchPlan, hash: HashValue | undefined): Buffer | undefined {
  const f = plan.index.def.payloadField;
  const v = f === null || hash === undefined || hash.type !== 'hash' ? undefined : hash.get(f);
  return v === undefined ? undefined : Buffer.from(v);
}

/** The FT.SEARCH reply, RESP2 or RESP3 as the module shapes it. */
export function writeSearchReply(w: ReplyWriter, ks: Keyspace, plan: SearchPlan, found: Hit[]): void {
  const all = live(ks, found);
  const total = all.length;
  const page = plan.req.limit === 0 ? [] : order(plan, all, ks);
  const noContent = plan.req.noContent || (plan.req.returnFields !== null && plan.req.returnFields.length === 0);
  const withScores = plan.req.withScores;
  const withPayloads = plan.req.withPayloads;
  const withSortKeys = plan.req.withSortKeys;
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
      w.map(1 + (withScores ? 1 : 0) + (withPayloads ? 1 : 0) + (withSortKeys ? 1 : 0) + (noContent ? 0 : 1) + 1);
      w.simple('id');
      w.bulk(Buffer.from(hit.key, 'latin1'));
      if (withScores) {
        w.simple('score');
        w.double(1);
      }
      if (withPayloads) {
        w.simple('payload');
        const pl = payloadOf(plan, hash);
        if (pl === undefined) w.null();
        else w.bulk(pl);
      }
      if (withSortKeys) {
        w.simple('sortkey');
        const sk = sortKeyText(plan, ks, hit);
        if (sk === null) w.null();
        else w.bulk(sk);
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
  w.array(1 + rows.length * (1 + (withScores ? 1 : 0) + (withPayloads ? 1 : 0) + (withSortKeys ? 1 : 0) + (noContent ? 0 : 1)));
  w.integer(total);
  for (const { hit, hash } of rows) {
    w.bulk(Buffer.from(hit.key, 'latin1'));
    if (withScores) w.bulk(Buffer.from('1'));
    if (withPayloads) {
      const pl = payloadOf(plan, hash);
      if (pl === undefined) w.null();
      else w.bulk(pl);
    }
    if (withSortKeys) {
      const sk = sortKeyText(plan, ks, hit);
      if (sk === null) w.null();
      else w.bulk(sk);
    }
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
