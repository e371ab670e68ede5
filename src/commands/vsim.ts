/**
 * VSIM: its options, and where the search runs — inline on the main thread, or on the search
 * pool (src/server/search-pool.ts), whose workers read the set's shared memory and hand back the
 * finished reply bytes. `threadPool` and `inlineWhenIdle` also decide where a VADD CAS searches.
 */
import { isWord } from './args.js';
import { ERR_VECTOR_SPEC, parseString2d, parseVectorSpec } from './vector-args.js';
import { WRONGTYPE } from '../keyspace/value.js';
import { compileFilter, filterSyntaxError } from '../filter/index.js';
import { FilterCache, ownedBytes, writeSearchReply, type SearchTask } from '../vset/search-task.js';
import { cStringLength, tokenize } from '../filter/lexer.js';
import type { Client } from '../server/client.js';
import { SearchResults } from '../vset/index.js';
import type { PoolFront } from '../server/pool-front.js';
import { debugMark } from './vset-debug.js';
import { lookupSet, MAX_EF, strictInt } from './vectorset.js';

const DEFAULT_COUNT = 10;
const DEFAULT_SEARCH_EF = 100;

/**
 * The search pool, when this command may hand work to it (a VSIM, a VADD CAS's neighbour search):
 * null without a pool or threads, inside MULTI/EXEC and AOF replay, and with the Redis option that
 * forces single-threaded execution — there the work runs inline (spec §10).
 */
export function threadPool(c: Client): PoolFront | null {
  const pool = c.server.searchPool;
  if (!pool || pool.size === 0 || c.inExec || c.server.config.bool('vset-force-single-threaded-execution')) return null;
  return pool;
}

/** Whether a search alone at an idle pool may run inline (`search-inline-when-idle`, default yes). */
export function inlineWhenIdle(c: Client): boolean {
  return c.server.config.bool('search-inline-when-idle');
}

// ---- VSIM ---------------------------------------------------------------------------------------

interface VsimOptions {
  withScores: boolean;
  withAttribs: boolean;
  count: number;
  epsilon: number;
  ef: number;
  /** The FILTER expression (known to compile), or null. */
  filter: Uint8Array | null;
  filterEf: number;
  truth: boolean;
  noThread: boolean;
}

/**
 * Where the `near:` text of a FILTER error starts. The filter library maps a lexer stop at the
 * end of the expression to 0 (the whole text), as Redis does — but Redis compares the stop with
 * the length of the whole argument, while its lexer only reads up to the first NUL. So when
 * bytes follow a NUL, a stop at the NUL stays there and the tail printed is empty.
 */
function nearOffset(expr: Buffer, offset: number): number {
  const len = cStringLength(expr);
  if (offset !== 0 || len === expr.length) return offset;
  const lexed = tokenize(expr);
  return !lexed.ok && lexed.errorOffset >= len ? len : offset;
}

/** Parses VSIM options from `start`; replies the error and returns null on failure. */
function parseVsimOptions(c: Client, argv: Buffer[], start: number): VsimOptions | null {
  const o: VsimOptions = { withScores: false, withAttribs: false, count: DEFAULT_COUNT, epsilon: 2, ef: DEFAULT_SEARCH_EF, filter: null, filterEf: 0, truth: false, noThread: false };
  let filterEf = -1;
  for (let i = start; i < argv.length; i++) {
    const a = argv[i]!;
    const hasValue = i + 1 < argv.length;
    if (isWord(a, 'WITHSCORES')) o.withScores = true;
    else if (isWord(a, 'WITHATTRIBS')) o.withAttribs = true;
    else if (isWord(a, 'TRUTH')) o.truth = true;
    else if (isWord(a, 'NOTHREAD')) o.noThread = true;
    else if (isWord(a, 'COUNT') && hasValue) {
      const n = strictInt(argv[++i]);
      if (n === null || n <= 0) {
        c.reply.error('ERR invalid COUNT');
        return null;
      }
      o.count = n;
    } else if (isWord(a, 'EPSILON') && hasValue) {
      const d = parseString2d(argv[++i]!);
      if (d === null || !(d > 0)) {
        c.reply.error('ERR invalid EPSILON');
        return null;
      }
      o.epsilon = Math.fround(d);
    } else if (isWord(a, 'EF') && hasValue) {
      const n = strictInt(argv[++i]);
      if (n === null || n < 1 || n > MAX_EF) {
        c.reply.error('ERR invalid EF');
        return null;
      }
      o.ef = n;
    } else if (isWord(a, 'FILTER') && hasValue) {
      const expr = argv[++i]!;
      // Compiled here to answer syntax errors now; the searching thread takes the compiled
      // filter from its own cache (the main thread's cache is this one, so no second compile).
      if (!mainThreadFilters.get(expr)) {
        const r = compileFilter(expr);
        const offset = r.ok ? 0 : r.errorOffset;
        c.reply.error(Buffer.from(filterSyntaxError(expr, nearOffset(expr, offset))).toString('latin1'));
        return null;
      }
      o.filter = expr;
    } else if (isWord(a, 'FILTER-EF') && hasValue) {
      const n = strictInt(argv[++i]);
      if (n === null || n <= 0) {
        c.reply.error('ERR invalid FILTER-EF');
        return null;
      }
      filterEf = n;
    } else {
      c.reply.error('ERR syntax error in VSIM command');
      return null;
    }
  }
  o.filterEf = filterEf > 0 ? filterEf : o.count * 100;
  return o;
}

/** FILTER expressions compiled on the main thread (validation and inline searches). */
const mainThreadFilters = new FilterCache();
/** Reused by inline searches. */
const inlineResults = new SearchResults(16);

export function vsim(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.array(0);
    return;
  }
  const set = found.set;
  let query: Float32Array | { element: Buffer };
  let next: number;
  if (isWord(argv[2], 'ELE')) {
    const name = argv[3]!;
    if (!set.has(name)) {
      c.reply.error('ERR element not found in set');
      return;
    }
    query = { element: name };
    next = 4;
  } else {
    const spec = parseVectorSpec(argv, 2, false);
    if (!spec) {
      c.reply.error(ERR_VECTOR_SPEC);
      return;
    }
    next = spec.next;
    const len = spec.vector.length;
    if (set.projectionInputDim > 0 && len !== set.projectionInputDim && len !== set.dim) {
      c.reply.error(`ERR Input dimension mismatch for projection - got ${len} but projection expects ${set.projectionInputDim}`);
      return;
    }
    if (set.projectionInputDim === 0 && len !== set.dim) {
      c.reply.error(`ERR Vector dimension mismatch - got ${len} but set has ${set.dim}`);
      return;
    }
    query = spec.vector;
  }
  const o = parseVsimOptions(c, argv, next);
  if (!o) return;
  const task: SearchTask = {
    query: query instanceof Float32Array ? query : null,
    element: query instanceof Float32Array ? null : query.element,
    count: o.count,
    ef: o.ef,
    epsilon: o.epsilon,
    truth: o.truth,
    filter: o.filter,
    filterEf: o.filterEf,
    withScores: o.withScores,
    withAttribs: o.withAttribs,
    protocol: c.protocol,
  };
  // Inline: no pool, NOTHREAD, inside MULTI/EXEC or AOF replay, when the Redis option forces
  // single-threaded execution, when the pool is idle and this search is alone (see
  // SearchPool.claimInline), or when the set is so small that the hand-off would cost more than
  // the search (search-inline-max-elements). Otherwise a worker runs the same task and builds the
  // reply.
  const pool = o.noThread ? null : threadPool(c);
  const mayInline = pool !== null && inlineWhenIdle(c);
  const small = mayInline && set.engine.cardWithoutViews <= c.server.config.int('search-inline-max-elements');
  if (!pool || small || (mayInline && pool.claimInline())) {
    if (small) pool.inlineSmall++;
    else if (pool) pool.inlineRuns++;
    writeSearchReply(set.engine, task, mainThreadFilters, inlineResults, c.reply);
    return;
  }
  c.deferBytes(pool.submit(set.uid, set.handle(), debugMark(ownedBytes(task))));
}

