/**
 * VADDRAW: vsetd's own command (Redis has none like it) that adds an element from its *stored*
 * form, as VEMB RAW returns it:
 *
 *   VADDRAW key element f32|int8|bin dim blob l2 range [M m] [EF ef] [PROJECTION input-dim] [SETATTR json]
 *
 * `vsetd export` / `vsetd import` move sets with it (src/tools/set-records.ts). A float vector
 * given to VADD is normalised and quantised again, so its l2, range and Q8 bytes come out a
 * rounding away from the original, and a REDUCE set's projected vectors cannot be given back to
 * VADD at all; VADDRAW stores exactly the bytes it is given, so a set moved between servers keeps
 * its DEBUG DIGEST-VALUE. The dimension is explicit because BIN bytes do not determine it.
 *
 * Everything the engine would trust is checked here, because the bytes come from a file: the
 * length for the quantisation and dimension, finite floats, Q8 bytes in -127..127 (what the
 * quantiser makes), BIN bits beyond the dimension zero (the snapshot check refuses anything else),
 * and finite, non-negative l2 and range. Creating a set and adding to one follow VADD's rules
 * (quantisation and M must match, dimensions must agree); PROJECTION n makes a new set a REDUCE
 * set from n input dimensions, with the same fixed projection VADD REDUCE builds.
 */
import { command, ONE_KEY, type CommandSpec } from './types.js';
import { isWord, keyOf, parseDouble } from './args.js';
import { int, key, oneof, optional, str, token, tokenArg, dbl } from './doc-args.js';
import { lookupSet, strictInt, MAX_EF } from './vectorset.js';
import { WRONGTYPE } from '../keyspace/value.js';
import { VectorSetValue } from '../vset/vector-set-value.js';
import { storedVectorProblem } from '../vset/stored-vector.js';
import type { QuantName } from '../vset/types.js';
import type { Client } from '../server/client.js';
import { MAX_DIM } from '../hnsw/layout.js';

const DEFAULT_M = 16;
const DEFAULT_BUILD_EF = 200;

/** A float32 argument (l2, range): a finite double, stored as the float it rounds to. */
function strictFloat(arg: Buffer): number | null {
  const v = parseDouble(arg);
  if (v === null) return null;
  const f = Math.fround(v);
  return Number.isFinite(f) ? f : null;
}

function quantOf(arg: Buffer): QuantName | null {
  const s = arg.toString('latin1').toLowerCase();
  return s === 'f32' || s === 'int8' || s === 'bin' ? s : null;
}

interface Options {
  m: number;
  ef: number;
  projection: number;
  attr: Buffer | undefined;
}

/** The options after the seven fixed arguments, or the error to answer. */
function parseOptions(argv: Buffer[]): Options | string {
  const o: Options = { m: DEFAULT_M, ef: DEFAULT_BUILD_EF, projection: 0, attr: undefined };
  for (let i = 8; i < argv.length; i++) {
    const a = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) return 'ERR syntax error';
    i++;
    if (isWord(a, 'M')) {
      const n = strictInt(value);
      if (n === null || n < 4 || n > 4096) return 'ERR invalid M';
      o.m = n;
    } else if (isWord(a, 'EF')) {
      const n = strictInt(value);
      if (n === null || n < 1 || n > MAX_EF) return 'ERR invalid EF';
      o.ef = n;
    } else if (isWord(a, 'PROJECTION')) {
      const n = strictInt(value);
      if (n === null || n < 1 || n > MAX_DIM) return 'ERR invalid PROJECTION input dimension';
      o.projection = n;
    } else if (isWord(a, 'SETATTR')) {
      o.attr = value;
    } else {
      return 'ERR syntax error';
    }
  }
  return o;
}

function vaddraw(c: Client, argv: Buffer[]): void {
  const quant = quantOf(argv[3]!);
  if (quant === null) {
    c.reply.error('ERR invalid quantization type: use f32, int8 or bin');
    return;
  }
  const dim = strictInt(argv[4]);
  if (dim === null || dim < 1 || dim > MAX_DIM) {
    c.reply.error('ERR invalid vector dimension');
    return;
  }
  const blob = argv[5]!;
  const l2 = strictFloat(argv[6]!);
  const range = strictFloat(argv[7]!);
  if (l2 === null || range === null || l2 < 0 || range < 0) {
    c.reply.error('ERR invalid l2 or range: finite non-negative numbers expected');
    return;
  }
  const problem = storedVectorProblem(quant, dim, blob);
  if (problem !== null) {
    c.reply.error(`ERR invalid stored vector: ${problem}`);
    return;
  }
  const opts = parseOptions(argv);
  if (typeof opts === 'string') {
    c.reply.error(opts);
    return;
  }
  if (opts.projection !== 0 && opts.projection < dim) {
    c.reply.error(`ERR PROJECTION input dimension ${opts.projection} is smaller than the dimension ${dim}`);
    return;
  }
  const found = lookupSet(c, argv[1]!);
  if (!found.set && 'wrongType' in found) {
    c.reply.error(WRONGTYPE);
    return;
  }
  const element = argv[2]!;
  if (!found.set) {
    const set = VectorSetValue.create({ dim, projectionInputDim: opts.projection, quant, m: opts.m });
    try {
      set.addStored(element, blob, l2, range, opts.attr, opts.ef);
    } catch (e) {
      set.engine.dispose();
      throw e;
    }
    c.db.add(keyOf(argv[1]!), set);
    c.server.dirty++;
    c.reply.bool(true);
    return;
  }
  const set = found.set;
  if (set.quant !== quant) {
    c.reply.error('ERR asked quantization mismatch with existing vector set');
    return;
  }
  if (set.m !== opts.m) {
    c.reply.error('ERR asked M value mismatch with existing vector set');
    return;
  }
  if (set.dim !== dim) {
    c.reply.error(`ERR Vector dimension mismatch - got ${dim} but set has ${set.dim}`);
    return;
  }
  if (opts.projection !== 0 && opts.projection !== set.projectionInputDim) {
    c.reply.error(`ERR Input dimension mismatch for projection - got ${opts.projection} but projection expects ${set.projectionInputDim}`);
    return;
  }
  const added = set.addStored(element, blob, l2, range, opts.attr, opts.ef);
  c.db.touch(keyOf(argv[1]!));
  c.server.dirty++;
  c.reply.bool(added);
}

// Not declared part of the `vectorset` module: COMMAND LIST FILTERBY MODULE vectorset and
// COMMAND DOCS answer what Redis's module has, and this command is vsetd's own.
export const vaddrawCommands: CommandSpec[] = [
  command(
    'VADDRAW',
    -8,
    ['write', 'denyoom'],
    ONE_KEY,
    ['@write'],
    {
      summary: "Add an element from its stored form as VEMB RAW returns it (vsetd's own; for exports and imports).",
      since: '0.1.0',
      group: 'generic',
      complexity: 'O(log(N)) where N is the number of elements in the vector set.',
      arguments: [
        key(),
        str('element'),
        oneof('quant_type', [token('F32'), token('INT8'), token('BIN')]),
        int('dim'),
        str('blob'),
        dbl('l2'),
        dbl('range'),
        optional(tokenArg('M', int('numlinks'))),
        optional(tokenArg('EF', int('build-exploration-factor'))),
        optional(tokenArg('PROJECTION', int('input-dim'))),
        optional(tokenArg('SETATTR', str('attributes'))),
      ],
    },
    vaddraw,
  ),
];
