// FT.CREATE: the index definition, parsed with the module's own order of checks and error words
// (RediSearch 8.8, spec.c and rules.c), so that a client sees the same error for the same bad
// command. The definition is plain data: which keys (prefixes) the index follows, and per field
// its type and options. Nothing here knows about hashes or the keyspace.
//
// Names, paths and prefixes are binary-safe strings, one char per byte (latin1), like keyOf().

import { ArgCursor, AC_F_GE0, AC_F_GE1 } from './args-cursor.js';
import { AC_ERR_ENOENT, AC_ERR_NOARG, AC_OK, acStrerror, argText, badArgs, QueryError } from './errors.js';
import { fastFloatStrtod } from './numbers.js';
import { DEFAULT_STOPWORDS } from './tokenizer.js';

export type VectorDataType = 'FLOAT32' | 'FLOAT64' | 'FLOAT16' | 'BFLOAT16' | 'UINT8' | 'INT8';
export type DistanceMetric = 'COSINE' | 'L2' | 'IP';

interface FieldCommon {
  /** The name queries use (`@name`): the AS alias, or the path when there is none. */
  readonly name: string;
  /** The hash field the value is read from. */
  readonly path: string;
  readonly sortable: boolean;
  readonly unf: boolean;
  readonly noIndex: boolean;
  readonly indexMissing: boolean;
  readonly indexEmpty: boolean;
}

export interface TextFieldSpec extends FieldCommon {
  readonly type: 'TEXT';
  readonly weight: number;
  readonly noStem: boolean;
  readonly phonetic: string | null;
  readonly withSuffixTrie: boolean;
}

export interface TagFieldSpec extends FieldCommon {
  readonly type: 'TAG';
  /** One byte (latin1 char). */
  readonly separator: string;
  readonly caseSensitive: boolean;
  readonly withSuffixTrie: boolean;
}

export interface NumericFieldSpec extends FieldCommon {
  readonly type: 'NUMERIC';
}

export interface GeoFieldSpec extends FieldCommon {
  readonly type: 'GEO';
}

export interface GeoShapeFieldSpec extends FieldCommon {
  readonly type: 'GEOSHAPE';
  readonly coordSystem: 'SPHERICAL' | 'FLAT';
}

export interface VectorFieldSpec extends FieldCommon {
  readonly type: 'VECTOR';
  readonly algorithm: 'FLAT' | 'HNSW';
  readonly dataType: VectorDataType;
  readonly dim: number;
  readonly metric: DistanceMetric;
  /** Bytes of one vector blob: dim × element size. A blob of another length is not indexed. */
  readonly blobBytes: number;
  readonly initialCap: number | null;
  /** HNSW only (defaults 16, 200, 10, 0.01 as in RediSearch). */
  readonly m: number;
  readonly efConstruction: number;
  readonly efRuntime: number;
  readonly epsilon: number;
  /** FLAT only: accepted and ignored, as RediSearch ignores it too. */
  readonly blockSize: number | null;
}

export type FieldSpec =
  | TextFieldSpec
  | TagFieldSpec
  | NumericFieldSpec
  | GeoFieldSpec
  | GeoShapeFieldSpec
  | VectorFieldSpec;

export type FieldType = FieldSpec['type'];

export interface IndexDefinition {
  readonly name: string;
  readonly keyType: 'HASH';
  /** Key prefixes the index follows; [""] (every key) when PREFIX was not given. */
  readonly prefixes: readonly string[];
  /** The FILTER expression, kept verbatim; vsetd does not evaluate it (see README). */
  readonly filter: string | null;
  readonly language: string;
  readonly languageField: string | null;
  readonly score: number;
  readonly scoreField: string | null;
  readonly payloadField: string | null;
  readonly indexAll: boolean;
  /** Lower-cased stopwords; the default English list unless STOPWORDS was given. */
  readonly stopwords: ReadonlySet<string>;
  readonly customStopwords: boolean;
  /** Index options shown by FT.INFO under index_options. */
  readonly noOffsets: boolean;
  readonly noHighlight: boolean;
  readonly noFields: boolean;
  readonly noFreqs: boolean;
  readonly maxTextFields: boolean;
  readonly skipInitialScan: boolean;
  /** TEMPORARY seconds, or null. */
  readonly temporary: number | null;
  readonly fields: readonly FieldSpec[];
}

/** Limits: the module's own, plus vsetd's engine limits on what a client may ask for. */
export const SPEC_MAX_FIELDS = 1024;
export const SPEC_MAX_TEXT_FIELDS = 128;
export const MAX_SCHEMA_PREFIXES = 1000000;
export const MAX_STOPWORDS = 1024;
export const MAX_VECTOR_DIM = 65536;
export const MAX_VECTOR_M = 4096;
export const MAX_VECTOR_EF = 1_000_000;
const MAX_INITIAL_CAP = 2 ** 32;

const LANGUAGES: readonly string[] = [
  'arabic', 'armenian', 'basque', 'catalan', 'chinese', 'danish', 'dutch', 'english', 'finnish',
  'french', 'german', 'greek', 'hindi', 'hungarian', 'indonesian', 'irish', 'italian',
  'lithuanian', 'nepali', 'norwegian', 'portuguese', 'romanian', 'russian', 'serbian', 'spanish',
  'swedish', 'tagalog', 'tamil', 'turkish', 'yiddish',
];

/** RSLanguage_Find: a supported language name, case-insensitive, or null. */
export function findLanguage(name: string): string | null {
  const l = name.toLowerCase();
  return LANGUAGES.includes(l) && name.length === l.length ? l : null;
}

const ELEMENT_BYTES: Readonly<Record<VectorDataType, number>> = {
  FLOAT32: 4, FLOAT64: 8, FLOAT16: 2, BFLOAT16: 2, UINT8: 1, INT8: 1,
};

/** A C string: the argument up to its first NUL (names and options are read with strlen). */
function cstr(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Parses `FT.CREATE index [options] SCHEMA field …`. `argv` is the whole command, name included;
 * the caller checks arity (at least 2 arguments) and whether the index exists first, as the
 * module does those before parsing.
 */
export function parseCreate(argv: readonly Buffer[]): IndexDefinition {
  const name = cstr(argv[1] ?? Buffer.alloc(0));
  const ac = new ArgCursor(argv, 2);
  const o = parseIndexOptions(ac);

  if (!ac.advanceIfMatch('SCHEMA')) {
    if (!ac.atEnd()) throw new QueryError('ARG_UNRECOGNIZED', `Unknown argument \`${argText(ac.peek()!)}\``);
    throw new QueryError('PARSE_ARGS', 'No schema found');
  }
  const fields = parseFields(ac);
  return {
    name,
    keyType: 'HASH',
    prefixes: o.prefixes,
    filter: o.filter,
    language: o.language,
    languageField: o.languageField,
    score: o.score,
    scoreField: o.scoreField,
    payloadField: o.payloadField,
    indexAll: o.indexAll,
    stopwords: o.stopwords ?? new Set(DEFAULT_STOPWORDS),
    customStopwords: o.stopwords !== null,
    noOffsets: o.noOffsets,
    noHighlight: o.noHighlight,
    noFields: o.noFields,
    noFreqs: o.noFreqs,
    // More than 32 TEXT fields switch the index to the wide schema, unless NOFIELDS.
    maxTextFields: o.maxTextFields || (!o.noFields && fields.filter((f) => f.type === 'TEXT' && !f.noIndex).length > 32),
    skipInitialScan: o.skipInitialScan,
    temporary: o.temporary,
    fields,
  };
}

interface IndexOptions {
  prefixes: string[];
  filter: string | null;
  language: string;
  languageField: string | null;
  score: number;
  scoreField: string | null;
  payloadField: string | null;
  indexAll: boolean;
  stopwords: Set<string> | null;
  noOffsets: boolean;
  noHighlight: boolean;
  noFields: boolean;
  noFreqs: boolean;
  maxTextFields: boolean;
  skipInitialScan: boolean;
  temporary: number | null;
}

/** Options before SCHEMA, in any order, the last of a repeated one winning (AC_ParseArgSpec). */
function parseIndexOptions(ac: ArgCursor): IndexOptions {
  const strings = new Map<string, Buffer>();
  let prefixes: ArgCursor | null = null;
  let stopwords: ArgCursor | null = null;
  let temporary: number | null = null;
  const flags = new Set<string>();
  const STRING_OPTS = ['ON', 'FILTER', 'SCORE', 'SCORE_FIELD', 'LANGUAGE', 'LANGUAGE_FIELD', 'PAYLOAD_FIELD', 'INDEXALL'];
  const FLAG_OPTS = ['NOOFFSETS', 'NOHL', 'NOFIELDS', 'NOFREQS', 'MAXTEXTFIELDS', 'ASYNC', 'SKIPINITIALSCAN', 'NOSCOREIDX'];

  for (;;) {
    const arg = ac.peek();
    if (arg === undefined) break;
    const w = arg.length <= 16 ? arg.toString('latin1').toUpperCase() : '';
    if (FLAG_OPTS.includes(w)) {
      ac.next();
      flags.add(w);
    } else if (STRING_OPTS.includes(w)) {
      ac.next();
      if (ac.atEnd()) throw badArgs(w, AC_ERR_NOARG);
      strings.set(w, ac.next());
    } else if (w === 'PREFIX' || w === 'STOPWORDS') {
      ac.next();
      const sub = ac.getVarArgs();
      if (typeof sub === 'number') throw badArgs(w, sub);
      if (w === 'PREFIX') prefixes = sub;
      else stopwords = sub;
    } else if (w === 'TEMPORARY') {
      ac.next();
      const rc = ac.getLongLong();
      if (rc !== AC_OK) throw badArgs(w, rc);
      temporary = ac.value;
    } else {
      break;
    }
  }

  if (flags.has('MAXTEXTFIELDS') && flags.has('NOFIELDS')) {
    throw new QueryError('INVAL', 'MAXTEXTFIELDS cannot be used with NOFIELDS');
  }
  if (prefixes !== null && prefixes.remaining() > MAX_SCHEMA_PREFIXES) {
    throw new QueryError('LIMIT', `Number of prefixes (${prefixes.remaining()}) exceeds maximum allowed (${MAX_SCHEMA_PREFIXES})`);
  }

  // SchemaRule_Create: document type, score, language, (prefixes), filter, INDEXALL.
  const on = strings.get('ON');
  if (on !== undefined && cstr(on).toUpperCase() !== 'HASH') {
    // RedisJSON is not loaded here, so ON JSON fails as it does on a server without it.
    throw new QueryError('ADD_ARGS', `Invalid rule type: ${argText(on)}`);
  }
  let score = 1.0;
  const scoreArg = strings.get('SCORE');
  if (scoreArg !== undefined) {
    // fast_float_strtod on the C string: trailing garbage is allowed, no number at all is not.
    const r = fastFloatStrtod(cstr(scoreArg), 0);
    if (r.end === 0 || !(r.value >= 0 && r.value <= 1)) throw new QueryError('ADD_ARGS', 'Invalid score');
    score = r.value;
  }
  let language = 'english';
  const langArg = strings.get('LANGUAGE');
  if (langArg !== undefined) {
    const l = findLanguage(cstr(langArg));
    if (l === null) throw new QueryError('ADD_ARGS', 'Invalid language');
    language = l;
  }
  const prefixList: string[] = [];
  if (prefixes !== null && prefixes.remaining() > 0) {
    while (!prefixes.atEnd()) prefixList.push(prefixes.next().toString('latin1'));
  } else {
    prefixList.push('');
  }
  const filterArg = strings.get('FILTER');
  let indexAll = false;
  const indexAllArg = strings.get('INDEXALL');
  if (indexAllArg !== undefined) {
    const v = cstr(indexAllArg).toUpperCase();
    if (v === 'ENABLE') indexAll = true;
    else if (v !== 'DISABLE') throw new QueryError('ADD_ARGS', 'Invalid argument for `INDEXALL`, use ENABLE/DISABLE');
  }
  let stopSet: Set<string> | null = null;
  if (stopwords !== null) {
    stopSet = new Set();
    // The module keeps the first 1024 and ignores the rest.
    for (let i = 0; i < MAX_STOPWORDS && !stopwords.atEnd(); i++) {
      stopSet.add(Buffer.from(cstr(stopwords.next()), 'latin1').toString('utf8').toLowerCase());
    }
  }
  const opt = (k: string): string | null => {
    const b = strings.get(k);
    return b === undefined ? null : cstr(b);
  };
  return {
    prefixes: prefixList,
    filter: filterArg === undefined ? null : cstr(filterArg),
    language,
    languageField: opt('LANGUAGE_FIELD'),
    score,
    scoreField: opt('SCORE_FIELD'),
    payloadField: opt('PAYLOAD_FIELD'),
    indexAll,
    stopwords: stopSet,
    noOffsets: flags.has('NOOFFSETS'),
    noHighlight: flags.has('NOHL') || flags.has('NOOFFSETS'),
    noFields: flags.has('NOFIELDS'),
    noFreqs: flags.has('NOFREQS'),
    maxTextFields: flags.has('MAXTEXTFIELDS'),
    skipInitialScan: flags.has('SKIPINITIALSCAN'),
    temporary,
  };
}

function parseFields(ac: ArgCursor): FieldSpec[] {
  if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'Fields arguments are missing');
  const fields: FieldSpec[] = [];
  let textFields = 0;
  while (!ac.atEnd()) {
    if (fields.length === SPEC_MAX_FIELDS) {
      throw new QueryError('LIMIT', `Schema is limited to ${SPEC_MAX_FIELDS} fields`);
    }
    const path = cstr(ac.next());
    let name = path;
    if (ac.advanceIfMatch('AS')) {
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'AS requires an argument');
      name = cstr(ac.next());
    }
    if (fields.some((f) => f.name === name)) {
      throw new QueryError('INVAL', `Duplicate field in schema - ${argText(name)}`);
    }
    const f = parseFieldSpec(ac, name, path);
    if (f.type === 'TEXT' && !f.noIndex && ++textFields > SPEC_MAX_TEXT_FIELDS) {
      throw new QueryError('LIMIT', `Schema is limited to ${SPEC_MAX_TEXT_FIELDS} TEXT fields`);
    }
    fields.push(f);
  }
  return fields;
}

function parseFieldSpec(ac: ArgCursor, name: string, path: string): FieldSpec {
  const shown = argText(name);
  if (ac.atEnd()) throw new QueryError('PARSE_ARGS', `Field \`${shown}\` does not have a type`);
  const common: Mutable<FieldCommon> = {
    name, path, sortable: false, unf: false, noIndex: false, indexMissing: false, indexEmpty: false,
  };
  let f: Mutable<FieldSpec>;
  if (ac.advanceIfMatch('TEXT')) {
    f = parseTextField(ac, common);
  } else if (ac.advanceIfMatch('TAG')) {
    f = parseTagField(ac, common);
  } else if (ac.advanceIfMatch('GEOSHAPE')) {
    let coordSystem: 'SPHERICAL' | 'FLAT' = 'SPHERICAL';
    if (ac.advanceIfMatch('FLAT')) coordSystem = 'FLAT';
    else ac.advanceIfMatch('SPHERICAL');
    if (ac.advanceIfMatch('INDEXMISSING')) common.indexMissing = true;
    f = { ...common, type: 'GEOSHAPE', coordSystem };
  } else if (ac.advanceIfMatch('VECTOR')) {
    // Vector fields take no SORTABLE/NOINDEX: whatever follows is the next field.
    return parseVectorField(ac, common);
  } else if (ac.advanceIfMatch('NUMERIC')) {
    if (ac.advanceIfMatch('INDEXMISSING')) common.indexMissing = true;
    f = { ...common, type: 'NUMERIC' };
  } else if (ac.advanceIfMatch('GEO')) {
    if (ac.advanceIfMatch('INDEXMISSING')) common.indexMissing = true;
    f = { ...common, type: 'GEO' };
  } else {
    throw new QueryError('PARSE_ARGS', `Invalid field type for field \`${shown}\``);
  }

  for (;;) {
    if (ac.advanceIfMatch('SORTABLE')) {
      f.sortable = true;
      // Numbers and case-sensitive tags are never normalised, so they are UNF implicitly.
      if (ac.advanceIfMatch('UNF') || f.type === 'NUMERIC' || (f.type === 'TAG' && f.caseSensitive)) f.unf = true;
    } else if (ac.advanceIfMatch('NOINDEX')) {
      f.noIndex = true;
    } else {
      break;
    }
  }
  if (f.noIndex && f.indexMissing) {
    throw new QueryError('PARSE_ARGS', `'Field cannot be defined with both \`NOINDEX\` and \`INDEXMISSING\` \`${shown}\` '`);
  }
  return f;
}

function parseTextField(ac: ArgCursor, common: FieldCommon): Mutable<TextFieldSpec> {
  const f: Mutable<TextFieldSpec> = { ...common, type: 'TEXT', weight: 1, noStem: false, phonetic: null, withSuffixTrie: false };
  while (!ac.atEnd()) {
    if (ac.advanceIfMatch('NOSTEM')) {
      f.noStem = true;
    } else if (ac.advanceIfMatch('WEIGHT')) {
      const rc = ac.getDouble();
      if (rc !== AC_OK) throw new QueryError('PARSE_ARGS', `Bad arguments for weight: ${acStrerror(rc)}`);
      f.weight = ac.value;
    } else if (ac.advanceIfMatch('PHONETIC')) {
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'PHONETIC requires an argument');
      const m = cstr(ac.next());
      if (!/^dm:(en|pt|fr|es)$/.test(m)) {
        throw new QueryError(
          'INVAL',
          'Matcher Format: <2 chars algorithm>:<2 chars language>. Support algorithms: double metaphone (dm). Supported languages: English (en), French (fr), Portuguese (pt) and Spanish (es)',
        );
      }
      f.phonetic = m;
    } else if (ac.advanceIfMatch('WITHSUFFIXTRIE')) {
      f.withSuffixTrie = true;
    } else if (ac.advanceIfMatch('INDEXEMPTY')) {
      f.indexEmpty = true;
    } else if (ac.advanceIfMatch('INDEXMISSING')) {
      f.indexMissing = true;
    } else {
      break;
    }
  }
  return f;
}

function parseTagField(ac: ArgCursor, common: FieldCommon): Mutable<TagFieldSpec> {
  const f: Mutable<TagFieldSpec> = { ...common, type: 'TAG', separator: ',', caseSensitive: false, withSuffixTrie: false };
  while (!ac.atEnd()) {
    if (ac.advanceIfMatch('SEPARATOR')) {
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'SEPARATOR requires an argument');
      const sep = cstr(ac.next());
      if (sep.length !== 1) {
        throw new QueryError('PARSE_ARGS', `Tag separator must be a single character. Got \`${argText(sep)}\``);
      }
      f.separator = sep;
    } else if (ac.advanceIfMatch('CASESENSITIVE')) {
      f.caseSensitive = true;
    } else if (ac.advanceIfMatch('WITHSUFFIXTRIE')) {
      f.withSuffixTrie = true;
    } else if (ac.advanceIfMatch('INDEXEMPTY')) {
      f.indexEmpty = true;
    } else if (ac.advanceIfMatch('INDEXMISSING')) {
      f.indexMissing = true;
    } else {
      break;
    }
  }
  return f;
}

const VECTOR_TYPES: readonly VectorDataType[] = ['FLOAT32', 'FLOAT64', 'FLOAT16', 'BFLOAT16', 'UINT8', 'INT8'];

function parseVectorField(ac: ArgCursor, common: FieldCommon): VectorFieldSpec {
  if (ac.atEnd()) {
    throw new QueryError('PARSE_ARGS', `Bad arguments for vector similarity algorithm: ${acStrerror(AC_ERR_NOARG)}`);
  }
  const alg = cstr(ac.next()).toUpperCase();
  if (alg !== 'FLAT' && alg !== 'HNSW') {
    // SVS-VAMANA (Intel SVS) is not offered: vsetd's engine is HNSW.
    throw new QueryError('PARSE_ARGS', `Bad arguments for vector similarity algorithm: ${acStrerror(AC_ERR_ENOENT)}`);
  }
  const v = {
    ...common,
    type: 'VECTOR' as const,
    algorithm: alg as 'FLAT' | 'HNSW',
    dataType: 'FLOAT32' as VectorDataType,
    dim: 0,
    metric: 'L2' as DistanceMetric,
    blobBytes: 0,
    initialCap: null as number | null,
    m: 16,
    efConstruction: 200,
    efRuntime: 10,
    epsilon: 0.01,
    blockSize: null as number | null,
  };
  const seen = new Set<string>();
  const param = (what: string): string => `vector similarity ${alg} index \`${what}\``;

  // One KEY VALUE pair, read from `c`. False when the key is not one of this algorithm's.
  const readParam = (c: ArgCursor): boolean => {
    let key = '';
    for (const k of ['TYPE', 'DIM', 'DISTANCE_METRIC', 'INITIAL_CAP', 'M', 'EF_CONSTRUCTION', 'EF_RUNTIME', 'EPSILON', 'BLOCK_SIZE', 'RERANK']) {
      if (c.advanceIfMatch(k)) {
        key = k;
        break;
      }
    }
    if (key === '' || (alg === 'FLAT' && !['TYPE', 'DIM', 'DISTANCE_METRIC', 'INITIAL_CAP', 'BLOCK_SIZE'].includes(key))
      || (alg === 'HNSW' && key === 'BLOCK_SIZE')) {
      if (key !== '') c.pos--;
      return false;
    }
    const size = (flags: number, max: number): number => {
      const rc = c.getSize(flags);
      if (rc !== AC_OK) throw badArgs(param(key), rc);
      if (c.value > max) throw badArgs(param(key), 3 /* AC_ERR_ELIMIT */);
      return c.value;
    };
    switch (key) {
      case 'TYPE':
      case 'DISTANCE_METRIC': {
        if (c.atEnd()) throw badArgs(param(key), AC_ERR_NOARG);
        const word = cstr(c.next()).toUpperCase();
        if (key === 'TYPE') {
          if (!VECTOR_TYPES.includes(word as VectorDataType)) throw badArgs(param(key), AC_ERR_ENOENT);
          v.dataType = word as VectorDataType;
        } else {
          if (word !== 'COSINE' && word !== 'L2' && word !== 'IP') throw badArgs(param(key), AC_ERR_ENOENT);
          v.metric = word;
        }
        break;
      }
      case 'DIM':
        v.dim = size(AC_F_GE1, Number.MAX_SAFE_INTEGER);
        break;
      case 'INITIAL_CAP':
        v.initialCap = size(0, MAX_INITIAL_CAP);
        break;
      case 'M':
        v.m = size(AC_F_GE1, MAX_VECTOR_M);
        break;
      case 'EF_CONSTRUCTION':
        v.efConstruction = size(AC_F_GE1, MAX_VECTOR_EF);
        break;
      case 'EF_RUNTIME':
        v.efRuntime = size(AC_F_GE1, MAX_VECTOR_EF);
        break;
      case 'BLOCK_SIZE':
        v.blockSize = size(AC_F_GE1, MAX_INITIAL_CAP);
        break;
      case 'EPSILON': {
        const rc = c.getDouble(AC_F_GE0);
        if (rc !== AC_OK) throw badArgs(param(key), rc);
        v.epsilon = c.value;
        break;
      }
      case 'RERANK': {
        // Only meaningful for disk indexes; accepted with the module's own check on its value.
        if (seen.has(key)) throw new QueryError('INVAL', 'Duplicate RERANK parameter');
        if (c.atEnd()) throw new QueryError('PARSE_ARGS', 'RERANK requires an argument');
        if (cstr(c.next()).toUpperCase() !== 'TRUE') {
          throw new QueryError('PARSE_ARGS', 'Syntax error: RERANK only supports TRUE currently');
        }
        break;
      }
    }
    seen.add(key);
    return true;
  };

  const nrc = ac.getSize();
  if (nrc !== AC_OK) {
    throw new QueryError('PARSE_ARGS', `Bad arguments for vector similarity number of parameters: ${acStrerror(nrc)}`);
  }
  const n = ac.value;
  if (alg === 'HNSW') {
    // HNSW reads its parameters from a slice of exactly n arguments.
    const sub = ac.slice(n);
    if (typeof sub === 'number') {
      throw new QueryError('PARSE_ARGS', 'Bad arguments for vector similarity: not enough arguments');
    }
    while (!sub.atEnd()) {
      if (!readParam(sub)) throw new QueryError('PARSE_ARGS', `Bad arguments for algorithm HNSW: ${argText(sub.peek()!)}`);
    }
  } else {
    // FLAT reads n/2 pairs from the command itself.
    if (n % 2 !== 0) {
      throw new QueryError(
        'PARSE_ARGS',
        `Bad number of arguments for vector similarity index: got ${n} but expected even number as algorithm parameters (should be submitted as named arguments)`,
      );
    }
    let got = 0;
    while (got < n / 2 && !ac.atEnd()) {
      if (!readParam(ac)) throw new QueryError('PARSE_ARGS', `Bad arguments for algorithm FLAT: ${argText(ac.peek()!)}`);
      got++;
    }
    if (got < n / 2) throw new QueryError('PARSE_ARGS', `Expected ${n} parameters but got ${got * 2}`);
  }
  for (const k of ['TYPE', 'DIM', 'DISTANCE_METRIC']) {
    if (!seen.has(k)) {
      throw new QueryError('PARSE_ARGS', `Missing mandatory parameter: cannot create ${alg} index without specifying ${k} argument`);
    }
  }
  const elementBytes = ELEMENT_BYTES[v.dataType];
  if (v.dim > MAX_VECTOR_DIM) {
    // The module's own bound is memory; vsetd's engine stops at 65536 dimensions.
    throw new QueryError(
      'LIMIT',
      `Vector index element size ${v.dim * elementBytes} exceeded maximum size allowed by server limit which is ${MAX_VECTOR_DIM * elementBytes}`,
    );
  }
  v.blobBytes = v.dim * elementBytes;
  if (ac.advanceIfMatch('INDEXMISSING')) v.indexMissing = true;
  return v;
}
