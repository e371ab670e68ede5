/**
 * The vector part of the query engine's commands: FT.CREATE, FT.SEARCH, FT.INFO, FT._LIST,
 * FT.DROPINDEX and FT.ALTER … SCHEMA ADD, over hashes in database 0 (src/query). Parsing and
 * errors follow RediSearch 8.8 (src/query/*); KNN searches run on the search pool as VSIM does.
 */
import { command, NO_KEYS, type CommandSpec } from './types.js';
import { str, optional, token } from './doc-args.js';
import { inlineWhenIdle, threadPool } from './vsim.js';
import type { Client } from '../server/client.js';
import type { ReplyWriter } from '../server/reply.js';
import { ftRegistry } from '../query/registry.js';
import { FtIndex } from '../query/ft-index.js';
import { QueryError } from '../query/errors.js';
import { findLanguage, parseCreate } from '../query/schema.js';
import { parseSearch } from '../query/search-args.js';
import { parseQuery } from '../query/query.js';
import { filterHits, FtReplyError, knnHits, planSearch, settle, writeSearchReply, type SearchPlan } from '../query/ft-search.js';
import { writeIndexInfo } from '../query/ft-info.js';
import { decodeKnn, runKnnTask } from '../vset/search-task.js';
import { SearchResults } from '../vset/index.js';

const G = 'search';
const M = 'search';

function noIndex(name: string): string {
  return new QueryError('NO_INDEX', `Index not found: ${name}`).reply;
}

/** Runs `fn`, answering a QueryError or FtReplyError (and only those) with its text. */
function guarded(c: Client, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof QueryError || e instanceof FtReplyError) c.reply.error(e.reply);
    else throw e;
  }
}

/** The scorers RediSearch registers (src/ext/default.c); SCORER names are case-sensitive. */
const SCORERS = new Set(['TFIDF', 'TFIDF.DOCNORM', 'BM25', 'BM25STD', 'BM25STD.TANH', 'BM25STD.NORM', 'DISMAX', 'DOCSCORE', 'HAMMING']);

function ftCreate(c: Client, argv: Buffer[]): void {
  if (c.db.index !== 0) {
    c.reply.error('Cannot create index on db != 0');
    return;
  }
  guarded(c, () => {
    const def = parseCreate(argv);
    const reg = ftRegistry(c.server.keyspace);
    if (reg.get(def.name) !== undefined) throw new QueryError('INDEX_EXISTS', 'Index already exists');
    reg.add(new FtIndex(def, argv.slice(1).map((a) => Buffer.from(a))));
    c.server.dirty++;
    c.reply.ok();
  });
}

function ftAlter(c: Client, argv: Buffer[]): void {
  guarded(c, () => {
    const name = argv[1]!.toString('latin1');
    const reg = ftRegistry(c.server.keyspace);
    const index = reg.get(name);
    if (index === undefined) throw new QueryError('NO_INDEX', `Index not found: ${name}`);
    // module.c AlterIndexInternalCommand: its checks and texts, in its order.
    const word = (i: number): string | undefined => argv[i]?.toString('latin1').toUpperCase();
    let at = 2;
    if (word(at) === 'SKIPINITIALSCAN') at++;
    if (word(at) !== 'SCHEMA') throw new FtReplyError('ALTER must be followed by SCHEMA');
    if (word(at + 1) !== 'ADD') throw new FtReplyError('Unknown action passed to ALTER SCHEMA');
    const added = argv.slice(at + 2);
    if (added.length === 0) throw new FtReplyError('No fields provided');
    // The index as FT.CREATE would have made it with the new fields at the end of its schema,
    // rebuilt from the hashes. SKIPINITIALSCAN only spares RediSearch reindexing the documents it
    // already holds for the new fields; here they are reindexed all the same, so none is lost.
    const args = [...index.createArgs, ...added.map((a) => Buffer.from(a))];
    const def = parseCreate([Buffer.from('FT.CREATE'), ...args]);
    reg.remove(name);
    reg.add(new FtIndex({ ...def, skipInitialScan: false }, args));
    c.server.dirty++;
    c.reply.ok();
  });
}

/**
 * FT.DROPINDEX keeps the documents unless DD; the deprecated FT.DROP deletes them unless KEEPDOCS
 * (module.c, DropIndexCommand: the index is looked up before the argument is read).
 */
function ftDropIndex(c: Client, argv: Buffer[]): void {
  const name = argv[1]!.toString('latin1');
  const reg = ftRegistry(c.server.keyspace);
  // module.c DropIndexCommand: the index first, then the optional DD (or _FORCEKEEPDOCS).
  const index = reg.get(name);
  if (index === undefined) {
    c.reply.error(noIndex(name));
    return;
  }
  // FT.DROP (deprecated) deletes the documents unless KEEPDOCS; FT.DROPINDEX keeps them unless DD.
  const legacy = argv[0]!.toString('latin1').toUpperCase() === 'FT.DROP';
  const opt = argv[2]?.toString('latin1').toUpperCase();
  let dd = legacy;
  if (opt !== undefined) {
    if (opt === '_FORCEKEEPDOCS' || (legacy && opt === 'KEEPDOCS')) dd = false;
    else if (!legacy && opt === 'DD') dd = true;
    else {
      c.reply.error(new QueryError('ARG_UNRECOGNIZED', 'Unknown argument').reply);
      return;
    }
  }
  const keys = dd ? index.keys() : [];
  reg.remove(name);
  // DD: the documents go too (the command itself is what replicas and the AOF replay).
  const db = c.server.keyspace.dbs[0]!;
  for (const k of keys) db.delete(k);
  c.server.dirty++;
  c.reply.ok();
}

/** Simple strings, as indexes.c Indexes_List sends them (CR and LF escaped, as REPLY_SIMPLE_SAFE does). */
function ftList(c: Client, argv: Buffer[]): void {
  if (argv.length > 2) {
    c.reply.error("ERR wrong number of arguments for 'FT._LIST' command");
    return;
  }
  const names = [...ftRegistry(c.server.keyspace).names()];
  if (c.reply.resp3) c.reply.set(names.length);
  else c.reply.array(names.length);
  for (const n of names) c.reply.simple(n.replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
}

function ftInfo(c: Client, argv: Buffer[]): void {
  const name = argv[1]!.toString('latin1');
  const index = ftRegistry(c.server.keyspace).get(name);
  if (index === undefined) {
    c.reply.error(noIndex(name));
    return;
  }
  writeIndexInfo(c.reply, index);
}

/** Reused by inline KNN searches. */
const inlineResults = new SearchResults(16);

function ftSearch(c: Client, argv: Buffer[]): void {
  guarded(c, () => {
    const req = parseSearch(argv);
    const index = ftRegistry(c.server.keyspace).get(req.index);
    if (index === undefined) throw new QueryError('NO_INDEX', `Index not found: ${req.index}`);
    // AREQ_ApplyContext's checks before the query is parsed, in its order.
    if (req.language !== null && findLanguage(req.language) === null) throw new QueryError('INVAL', 'No such language');
    if (req.scorer !== null && !SCORERS.has(req.scorer)) throw new QueryError('INVAL', `No such scorer ${req.scorer}`);
    // SetValueFormat: EXPAND is for JSON documents under RESP3; these are hashes.
    if (req.format === 'EXPAND') throw new QueryError('BAD_VAL', `EXPAND format is only supported with ${c.reply.resp3 ? 'JSON' : 'RESP3'}`);
    const query = parseQuery(req.query, index.def, { params: req.params, noStopwords: req.noStopwords, numericFilters: req.numericFilters, geoFilters: req.geoFilters });
    index.uses++;
    const dialect = req.dialect ?? 1;
    if (dialect >= 1 && dialect <= 4) index.dialects[dialect - 1]!++;
    const plan = planSearch(index, req, query);
    const ks = c.server.keyspace;
    const knn = plan.knn;
    if (knn === null || knn.k === 0 || (knn.task.among !== null && knn.task.among.length === 0)) {
      writeSearchReply(c.reply, ks, plan, knn === null ? filterHits(plan) : []);
      return;
    }
    const pool = threadPool(c);
    if (!pool || (inlineWhenIdle(c) && pool.claimInline())) {
      if (pool) pool.inlineRuns++;
      writeSearchReply(c.reply, ks, plan, knnHits(plan, decodeKnn(runKnnTask(knn.iv.field.engine, knn.task, inlineResults))));
      return;
    }
    const field = knn.iv.field;
    const work = pool.submit(field.poolId, field.engine.handle(), knn.task).then((bytes) => (w: ReplyWriter) => reply(w, c, plan, bytes));
    c.deferReply(work);
  });
}

/**
 * The reply once a worker answered; no bytes: the worker could not run it, so it runs here. Other
 * clients may have written while the search ran: `settle` keeps only hits that are still in the
 * index and still match the filter, and none when the index itself went away.
 */
function reply(w: ReplyWriter, c: Client, plan: SearchPlan, bytes: Uint8Array): void {
  const knn = plan.knn!;
  const current = ftRegistry(c.server.keyspace).get(plan.index.name);
  if (current !== plan.index) {
    writeSearchReply(w, c.server.keyspace, plan, []);
    return;
  }
  let task = knn.task;
  if (bytes.length === 0 && plan.index.version !== plan.version) {
    // The plan's slot list or bitmap may name nodes of a graph that changed (or was replaced by a
    // flush) since: plan again rather than scan them.
    task = planSearch(plan.index, plan.req, plan.query).knn?.task ?? task;
  }
  const hits = bytes.length > 0 ? decodeKnn(bytes) : decodeKnn(runKnnTask(knn.iv.field.engine, task, inlineResults));
  writeSearchReply(w, c.server.keyspace, plan, settle(plan, current, knnHits(plan, hits)) ?? []);
}

const doc = (summary: string, since: string) => ({ summary, since, group: G, module: M, complexity: 'O(N)' });

export const ftCommands: CommandSpec[] = [
  command('FT.CREATE', -5, ['write', 'denyoom', 'module'], NO_KEYS, ['@search', '@write', '@slow'], {
    ...doc('Creates an index with the given spec', '1.0.0'),
    arguments: [str('index'), token('SCHEMA'), str('field')],
  }, ftCreate),
  command('FT.ALTER', -5, ['write', 'denyoom', 'module'], NO_KEYS, ['@search', '@write', '@slow'], {
    ...doc('Adds a new field to the index', '1.0.0'),
    arguments: [str('index'), token('SKIPINITIALSCAN', { optional: true }), token('SCHEMA'), token('ADD'), str('field')],
  }, ftAlter),
  command('FT.DROPINDEX', -2, ['write', 'module'], NO_KEYS, ['@search', '@write', '@slow', '@dangerous'], {
    ...doc('Deletes the index', '2.0.0'),
    arguments: [str('index'), optional(token('DD'))],
  }, (c, argv) => {
    if (argv.length > 3) c.reply.error("ERR wrong number of arguments for 'FT.DROPINDEX' command");
    else ftDropIndex(c, argv);
  }),
  command('FT.DROP', -2, ['write', 'module'], NO_KEYS, ['@search', '@write', '@slow', '@dangerous'], {
    ...doc('Deletes the index and its documents (deprecated: FT.DROPINDEX)', '1.0.0'),
    arguments: [str('index'), optional(token('KEEPDOCS'))],
  }, (c, argv) => {
    if (argv.length > 3) c.reply.error("ERR wrong number of arguments for 'FT.DROP' command");
    else ftDropIndex(c, argv);
  }),
  command('FT.SEARCH', -3, ['readonly', 'module'], NO_KEYS, ['@search', '@read', '@slow'], {
    ...doc('Searches the index with a textual query, returning either documents or just ids', '1.0.0'),
    arguments: [str('index'), str('query')],
  }, ftSearch),
  command('FT.INFO', -2, ['readonly', 'module'], NO_KEYS, ['@search', '@read', '@slow'], {
    ...doc('Returns information and statistics on the index', '1.0.0'),
    arguments: [str('index')],
  }, ftInfo),
  command('FT._LIST', -1, ['readonly', 'module'], NO_KEYS, ['@search', '@read', '@slow'], doc('Returns a list of all existing indexes', '2.0.0'), ftList),
];
