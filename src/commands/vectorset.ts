/**
 * The vector-set commands (spec Part A §7): VADD VREM VSIM VCARD VDIM VEMB VGETATTR VSETATTR
 * VINFO VLINKS VRANDMEMBER VISMEMBER VRANGE. Argument checks happen in the order the reference
 * performs them, because the first failure is the reply a client sees.
 */
import { command, ONE_KEY, type CommandSpec } from './types.js';
import { isWord, keyOf, parseInteger } from './args.js';
import { block, dbl, int, key, oneof, optional, str, token, tokenArg } from './doc-args.js';
import { ERR_VECTOR_SPEC, parseVectorSpec } from './vector-args.js';
import { WRONGTYPE } from '../keyspace/value.js';
import { debugMark } from './vset-debug.js';
import { VectorSetValue } from '../vset/vector-set-value.js';
import type { QuantName } from '../vset/types.js';
import type { Client } from '../server/client.js';
import { decodePlan } from '../vset/index.js';
import { inlineWhenIdle, threadPool, vsim } from './vsim.js';
import type { ReplyWriter } from '../server/reply.js';
import type { PoolFront } from '../server/pool-front.js';
import { isMemoryFailure, memoryErrorText } from '../vset/placement.js';

const G = 'module';
const MODULE = 'vectorset';
export const MAX_EF = 1_000_000;
const DEFAULT_M = 16;
const DEFAULT_BUILD_EF = 200;
/** Largest |count| VRANDMEMBER answers for a negative count (repeats allowed). */
export const MAX_RANDOM_REPEATS = 10_000_000;

type LookupResult = { set: VectorSetValue } | { set: null; missing: true } | { set: null; wrongType: true };

/** The set at a key, or why there is none. */
export function lookupSet(c: Client, arg: Buffer): LookupResult {
  const v = c.db.get(keyOf(arg));
  if (!v) {
    c.server.keyspace.stats.keyspaceMisses++;
    return { set: null, missing: true };
  }
  c.server.keyspace.stats.keyspaceHits++;
  if (v.type !== 'vectorset') return { set: null, wrongType: true };
  return { set: v as VectorSetValue };
}

/** Strict integer as Redis's getLongLongFromObject, or null. */
export function strictInt(arg: Buffer | undefined): number | null {
  if (arg === undefined) return null;
  return parseInteger(arg);
}

// ---- VADD ---------------------------------------------------------------------------------------

function vadd(c: Client, argv: Buffer[]): void {
  const spec = parseVectorSpec(argv, 2, true);
  if (!spec) {
    c.reply.error(ERR_VECTOR_SPEC);
    return;
  }
  if (spec.next >= argv.length) {
    c.reply.error("ERR wrong number of arguments for 'VADD' command");
    return;
  }
  const element = argv[spec.next]!;
  let quant: QuantName = 'int8';
  let m = DEFAULT_M;
  let ef = DEFAULT_BUILD_EF;
  let attr: Buffer | undefined;
  let cas = false;
  for (let i = spec.next + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (isWord(a, 'CAS')) cas = true;
    else if (isWord(a, 'NOQUANT')) quant = 'f32';
    else if (isWord(a, 'Q8')) quant = 'int8';
    else if (isWord(a, 'BIN')) quant = 'bin';
    else if (isWord(a, 'EF') && i + 1 < argv.length) {
      const n = strictInt(argv[++i]);
      if (n === null || n < 1 || n > MAX_EF) {
        c.reply.error('ERR invalid EF');
        return;
      }
      ef = n;
    } else if (isWord(a, 'M') && i + 1 < argv.length) {
      const n = strictInt(argv[++i]);
      if (n === null || n < 4 || n > 4096) {
        c.reply.error('ERR invalid M');
        return;
      }
      m = n;
    } else if (isWord(a, 'SETATTR') && i + 1 < argv.length) {
      attr = argv[++i]!;
    } else {
      c.reply.error('ERR invalid option after element');
      return;
    }
  }
  const k = keyOf(argv[1]!);
  const found = lookupSet(c, argv[1]!);
  if (!found.set && 'wrongType' in found) {
    c.reply.error(WRONGTYPE);
    return;
  }
  const vector = spec.vector;
  if (!found.set) {
    const set = VectorSetValue.create({
      dim: spec.reduceDim > 0 ? spec.reduceDim : vector.length,
      projectionInputDim: spec.reduceDim > 0 ? vector.length : 0,
      quant,
      m,
    });
    try {
      set.add(element, vector, attr, ef);
    } catch (e) {
      // Out of memory for the first element: the new set never reaches the keyspace.
      set.engine.dispose();
      throw e;
    }
    c.db.add(k, set);
    c.server.dirty++;
    c.reply.bool(true);
    return;
  }
  const set = found.set;
  if (set.quant !== quant) {
    c.reply.error('ERR asked quantization mismatch with existing vector set');
    return;
  }
  if (set.m !== m) {
    c.reply.error('ERR asked M value mismatch with existing vector set');
    return;
  }
  const projected = set.projectionInputDim > 0;
  if ((!projected && vector.length !== set.dim) || (projected && spec.reduceDim !== set.dim)) {
    c.reply.error(`ERR Vector dimension mismatch - got ${vector.length} but set has ${set.dim}`);
    return;
  }
  if (!projected && spec.reduceDim > 0) {
    c.reply.error('ERR cannot add projection to existing set without projection');
    return;
  }
  if (projected && vector.length !== set.projectionInputDim) {
    c.reply.error(`ERR Input dimension mismatch for projection - got ${vector.length} but projection expects ${set.projectionInputDim}`);
    return;
  }
  const pool = cas && set.size > 0 && !set.has(element) ? threadPool(c) : null;
  if (pool) {
    // Alone at an idle pool, the insert runs here: the hand-off would only add latency.
    if (inlineWhenIdle(c) && pool.claimInline()) pool.casInline++;
    else {
      vaddCas(c, pool, set, element, vector, attr, ef, argv);
      return;
    }
  }
  const added = set.add(element, vector, attr, ef);
  c.db.touch(k);
  c.server.dirty++;
  c.reply.bool(added);
}

/**
 * VADD CAS of a new element into a non-empty set (spec §10): draw the node's level now, let a
 * search thread find its neighbours, and commit on the main thread when the plan comes back.
 * The reply is always true. The commit re-checks what may have changed meanwhile: a key deleted,
 * replaced or retyped, or the element added by someone else, means nothing is inserted (and
 * nothing propagated); a graph that lost nodes meanwhile means the insert searches again, here.
 * This client's later commands wait for the reply, so its database and protocol cannot change.
 */
function vaddCas(c: Client, pool: PoolFront, set: VectorSetValue, element: Buffer, vector: Float32Array, attr: Buffer | undefined, ef: number, argv: Buffer[]): void {
  const ticket = set.engine.casTicket();
  const db = c.db;
  const dbIndex = c.dbIndex;
  const uid = set.uid;
  const server = c.server;
  // argv views the network buffer, which is reused: keep copies for the commit and the AOF.
  const saved = argv.map((a) => Buffer.from(a));
  const name = Buffer.from(element);
  const value = new Float32Array(vector);
  const attribute = attr === undefined ? undefined : Buffer.from(attr);
  const k = keyOf(saved[1]!);
  const planned = pool.submit(uid, set.handle(), debugMark({ kind: 'plan', vector: value, level: ticket.level, ef })).then(
    (bytes) => decodePlan(bytes),
    () => null,
  );
  c.deferReply(
    planned.then((plan) => (w: ReplyWriter) => {
      const now = db.get(k);
      if (!(now instanceof VectorSetValue) || now.uid !== uid || now.has(name)) {
        pool.casDropped++;
      } else {
        try {
          if (now.addPlanned(name, value, attribute, ef, ticket, plan)) pool.casPlanned++;
          else pool.casRedone++;
        } catch (e) {
          // No memory for the insert: the set is as it was (inserts reserve first).
          pool.casDropped++;
          w.error(isMemoryFailure(e) ? memoryErrorText(e) : `ERR internal error while executing 'vadd': ${(e as Error).message}`);
          return;
        }
        db.touch(k);
        server.dirty++;
        server.propagate(dbIndex, saved);
        // Propagated outside the command's call: WAIT must cover this write too.
        c.woff = server.replication.offset;
      }
      w.bool(true);
    }),
  );
}

// ---- the small commands ---------------------------------------------------------------------------

function vrem(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.bool(false);
    return;
  }
  if (!found.set.remove(argv[2]!)) {
    c.reply.bool(false);
    return;
  }
  const k = keyOf(argv[1]!);
  // There is no empty vector set: removing the last element deletes the key.
  if (found.set.size === 0) c.db.delete(k);
  else c.db.touch(k);
  c.server.dirty++;
  c.reply.bool(true);
}

function vcard(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.integer(0);
    return;
  }
  c.reply.integer(found.set.size);
}

function vdim(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    c.reply.error('wrongType' in found ? WRONGTYPE : 'ERR key does not exist');
    return;
  }
  c.reply.integer(found.set.dim);
}

function vemb(c: Client, argv: Buffer[]): void {
  let raw = false;
  for (let i = 3; i < argv.length; i++) {
    if (!isWord(argv[i], 'RAW')) {
      c.reply.error('ERR invalid option');
      return;
    }
    raw = true;
  }
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.null();
    return;
  }
  if (raw) {
    const e = found.set.rawEmbedding(argv[2]!);
    if (!e) {
      c.reply.null();
      return;
    }
    c.reply.array(e.range === undefined ? 3 : 4);
    c.reply.simple(e.quant);
    c.reply.bulk(e.bytes);
    c.reply.double(e.l2);
    if (e.range !== undefined) c.reply.double(e.range);
    return;
  }
  const v = found.set.embedding(argv[2]!);
  if (!v) {
    c.reply.null();
    return;
  }
  c.reply.array(v.length);
  for (let i = 0; i < v.length; i++) c.reply.double(v[i]!);
}

function vgetattr(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.null();
    return;
  }
  c.reply.bulkOrNull(found.set.getAttr(argv[2]!) ?? null);
}

function vsetattr(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.bool(false);
    return;
  }
  const attr = argv[3]!;
  if (!found.set.setAttr(argv[2]!, attr.length === 0 ? null : attr)) {
    c.reply.bool(false);
    return;
  }
  c.db.touch(keyOf(argv[1]!));
  c.server.dirty++;
  c.reply.bool(true);
}

function vinfo(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.nullArray();
    return;
  }
  const s = found.set;
  const r = c.reply;
  r.map(9);
  r.simple('quant-type');
  r.simple(s.quant);
  r.simple('hnsw-m');
  r.integer(s.m);
  r.simple('vector-dim');
  r.integer(s.dim);
  r.simple('projection-input-dim');
  r.integer(s.projectionInputDim);
  r.simple('size');
  r.integer(s.size);
  r.simple('max-level');
  r.integer(s.maxLevel);
  r.simple('attributes-count');
  r.integer(s.attributesCount);
  r.simple('vset-uid');
  r.integer(s.uid);
  r.simple('hnsw-max-node-uid');
  r.integer(s.maxNodeUid);
}

function vlinks(c: Client, argv: Buffer[]): void {
  if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'WITHSCORES'))) {
    c.reply.error("ERR wrong number of arguments for 'VLINKS' command");
    return;
  }
  const withScores = argv.length === 4;
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.null();
    return;
  }
  const levels = found.set.links(argv[2]!);
  if (!levels) {
    c.reply.null();
    return;
  }
  const r = c.reply;
  r.array(levels.length);
  for (const level of levels) {
    if (withScores) {
      r.map(level.length);
      for (const l of level) {
        r.bulk(l.name);
        r.double(l.score);
      }
    } else {
      r.array(level.length);
      for (const l of level) r.bulk(l.name);
    }
  }
}

function vrandmember(c: Client, argv: Buffer[]): void {
  // Redis answers a third argument with its arity error, not a syntax error.
  if (argv.length > 3) {
    c.reply.error("ERR wrong number of arguments for 'VRANDMEMBER' command");
    return;
  }
  let count: number | null = null;
  if (argv.length === 3) {
    count = strictInt(argv[2]);
    if (count === null) {
      c.reply.error('ERR COUNT value is not an integer');
      return;
    }
    if (count === 0) {
      c.reply.array(0);
      return;
    }
  }
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else if (count === null) c.reply.null();
    else c.reply.array(0);
    return;
  }
  const set = found.set;
  if (count === null) {
    c.reply.bulk(set.memberName(set.randomSample(1, false)[0]!));
    return;
  }
  // A negative count asks for exactly |count| members, whatever the set's size. Redis would
  // build any reply, up to running out of memory; vsetd refuses one it cannot hold.
  if (count < -MAX_RANDOM_REPEATS) {
    c.reply.error('ERR value is out of range');
    return;
  }
  const nodes = count > 0 ? set.randomSample(count, false) : set.randomSample(-count, true);
  c.reply.array(nodes.length);
  for (let i = 0; i < nodes.length; i++) c.reply.bulk(set.memberName(nodes[i]!));
}

function vismember(c: Client, argv: Buffer[]): void {
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.bool(false);
    return;
  }
  c.reply.bool(found.set.has(argv[2]!));
}

/** A VRANGE bound: `-`, `+`, `[name` or `(name`; null when malformed. */
export type RangeBound = { kind: 'min' } | { kind: 'max' } | { kind: 'incl' | 'excl'; name: Buffer };

function parseBound(arg: Buffer): RangeBound | null {
  if (arg.length === 1 && arg[0] === 45) return { kind: 'min' };
  if (arg.length === 1 && arg[0] === 43) return { kind: 'max' };
  if (arg.length >= 2 && (arg[0] === 91 || arg[0] === 40)) return { kind: arg[0] === 91 ? 'incl' : 'excl', name: arg.subarray(1) };
  return null;
}

function vrange(c: Client, argv: Buffer[]): void {
  if (argv.length > 5) {
    c.reply.error("ERR wrong number of arguments for 'VRANGE' command");
    return;
  }
  let count = -1;
  if (argv.length === 5) {
    // Any 64-bit integer (string2ll rules); beyond 2^53 it is only ever "no limit" or "huge".
    const n = strictInt(argv[4]);
    if (n === null) {
      c.reply.error('ERR invalid COUNT value');
      return;
    }
    count = n;
  }
  const start = parseBound(argv[2]!);
  if (!start) {
    c.reply.error('ERR invalid start range format');
    return;
  }
  const end = parseBound(argv[3]!);
  if (!end) {
    c.reply.error('ERR invalid end range format');
    return;
  }
  if (start.kind === 'max' || end.kind === 'min') {
    c.reply.error("ERR '-' can only be used as first argument, '+' only as second");
    return;
  }
  const found = lookupSet(c, argv[1]!);
  if (!found.set) {
    if ('wrongType' in found) c.reply.error(WRONGTYPE);
    else c.reply.array(0);
    return;
  }
  c.reply.bulkArray(found.set.range(start, end, count));
}

// ---- table --------------------------------------------------------------------------------------

const docs = (summary: string, since: string, complexity: string, args: CommandSpec['docs']['arguments']): CommandSpec['docs'] => ({ summary, since, group: G, module: MODULE, complexity, arguments: args });

const vectorArg = oneof('format', [tokenArg('FP32', str('vector')), block('values', [int('num'), str('vector', { multiple: true })], { token: 'VALUES' })]);
const elementArg = str('element');

export const vectorSetCommands: CommandSpec[] = [
  command('VADD', -5, ['write', 'denyoom', 'module'], ONE_KEY, ['@write', '@vectorset'], docs('Add one or more elements to a vector set, or update its vector if it already exists.', '8.0.0', 'O(log(N)) for each element added, where N is the number of elements in the vector set.', [
    key(), optional(block('reduce', [int('dim')], { token: 'REDUCE' })), vectorArg, elementArg, optional(token('CAS')),
    optional(oneof('quant_type', [token('NOQUANT'), token('BIN'), token('Q8')])), optional(tokenArg('EF', int('build-exploration-factor'))),
    optional(tokenArg('SETATTR', str('attributes'))), optional(tokenArg('M', int('numlinks'))),
  ]), vadd),
  command('VREM', 3, ['write', 'module'], ONE_KEY, ['@write', '@vectorset'], docs('Remove an element from a vector set.', '8.0.0', 'O(log(N)) for each element removed, where N is the number of elements in the vector set.', [key(), elementArg]), vrem),
  command('VSIM', -4, ['readonly', 'module'], ONE_KEY, ['@read', '@vectorset'], docs('Return elements by vector similarity.', '8.0.0', 'O(log(N)) where N is the number of elements in the vector set.', [
    key(), oneof('query', [tokenArg('ELE', str('element')), tokenArg('FP32', str('vector')), block('values', [int('num'), str('vector', { multiple: true })], { token: 'VALUES' })]),
    optional(token('WITHSCORES')), optional(token('WITHATTRIBS', { since: '8.2.0' })), optional(tokenArg('COUNT', int('num'))), optional(tokenArg('EPSILON', dbl('delta'))),
    optional(tokenArg('EF', int('search-exploration-factor'))), optional(tokenArg('FILTER', str('expression'))), optional(tokenArg('FILTER-EF', int('max-filtering-effort'))),
    optional(token('TRUTH')), optional(token('NOTHREAD')),
  ]), vsim),
  command('VDIM', 2, ['readonly', 'fast', 'module'], ONE_KEY, ['@read', '@fast', '@vectorset'], docs('Return the dimension of vectors in the vector set.', '8.0.0', 'O(1)', [key()]), vdim),
  command('VCARD', 2, ['readonly', 'fast', 'module'], ONE_KEY, ['@read', '@fast', '@vectorset'], docs('Return the number of elements in a vector set.', '8.0.0', 'O(1)', [key()]), vcard),
  command('VEMB', -3, ['readonly', 'fast', 'module'], ONE_KEY, ['@read', '@fast', '@vectorset'], docs('Return the vector associated with an element.', '8.0.0', 'O(1)', [key(), elementArg, optional(token('RAW'))]), vemb),
  command('VLINKS', -3, ['readonly', 'fast', 'module'], ONE_KEY, ['@read', '@fast', '@vectorset'], docs('Return the neighbors of an element at each layer in the HNSW graph.', '8.0.0', 'O(1)', [key(), elementArg, optional(token('WITHSCORES'))]), vlinks),
  command('VINFO', 2, ['readonly', 'fast', 'module'], ONE_KEY, ['@read', '@fast', '@vectorset'], docs('Return information about a vector set.', '8.0.0', 'O(1)', [key()]), vinfo),
  command('VSETATTR', 4, ['write', 'fast', 'module'], ONE_KEY, ['@write', '@fast', '@vectorset'], docs('Associate or remove the JSON attributes of elements.', '8.0.0', 'O(1)', [key(), elementArg, str('json')]), vsetattr),
  command('VGETATTR', 3, ['readonly', 'fast', 'module'], ONE_KEY, ['@read', '@fast', '@vectorset'], docs('Retrieve the JSON attributes of elements.', '8.0.0', 'O(1)', [key(), elementArg]), vgetattr),
  command('VRANDMEMBER', -2, ['readonly', 'module'], ONE_KEY, ['@read', '@vectorset'], docs('Return one or multiple random members from a vector set.', '8.0.0', 'O(N) where N is the absolute value of the count argument.', [key(), optional(int('count'))]), vrandmember),
  command('VISMEMBER', 3, ['readonly', 'module'], ONE_KEY, ['@read', '@vectorset'], docs('Check if an element exists in a vector set.', '8.2.0', 'O(1)', [key(), elementArg]), vismember),
  command('VRANGE', -4, ['readonly', 'module'], ONE_KEY, ['@read', '@vectorset'], docs('Return elements in a lexicographical range.', '8.4.0', 'O(log(N)+M) where M is the number of elements returned.', [key(), str('start'), str('end'), optional(int('count'))]), vrange),
];
