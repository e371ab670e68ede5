// FT.SEARCH arguments, read in the module's order (aggregate_request.c: parseQueryArgs, then the
// common arguments), with its error texts. What a store client sends — RETURN, SORTBY, LIMIT,
// PARAMS, DIALECT, WITHSCORES, NOCONTENT, TIMEOUT … — is read into the request; options that only
// shape scoring or highlighting are read (so their arguments are skipped correctly) and kept as
// flags the server may ignore.

import { ArgCursor, AC_F_COALESCE, AC_F_GE0, AC_F_GE1 } from './args-cursor.js';
import { AC_ERR_NOARG, AC_OK, acStrerror, argText, badArgs, QueryError } from './errors.js';
import type { GeoFilterOption, NumericFilterOption } from './query.js';
import { parseDoubleRange } from './numbers.js';

/** Largest LIMIT num/offset (the module's default MAXSEARCHRESULTS). */
export const MAX_SEARCH_RESULTS = 1_000_000;
export const MAX_DIALECT = 4;

export interface ReturnField {
  /** The hash field (or `__field_score` for a KNN distance). */
  readonly path: string;
  /** The name it is returned under (AS), else the path. */
  readonly name: string;
}

export interface SearchRequest {
  readonly index: string;
  readonly query: Buffer;
  readonly noContent: boolean;
  readonly verbatim: boolean;
  readonly noStopwords: boolean;
  readonly withScores: boolean;
  readonly withPayloads: boolean;
  readonly withSortKeys: boolean;
  readonly explainScore: boolean;
  readonly inOrder: boolean;
  readonly slop: number | null;
  readonly language: string | null;
  readonly scorer: string | null;
  readonly expander: string | null;
  readonly payload: Buffer | null;
  /** INKEYS: only these keys (latin1). */
  readonly inKeys: readonly string[] | null;
  readonly inFields: readonly string[] | null;
  /** RETURN: null when absent; an empty list (RETURN 0) returns ids only, like NOCONTENT. */
  readonly returnFields: readonly ReturnField[] | null;
  readonly sortBy: { readonly field: string; readonly ascending: boolean } | null;
  /** LIMIT offset num (0 10 when absent); num 0 asks for the count only. */
  readonly offset: number;
  readonly limit: number;
  readonly params: ReadonlyMap<string, Buffer> | null;
  /** DIALECT as given; null means the server default (1 in the module). */
  readonly dialect: number | null;
  readonly timeout: number | null;
  readonly format: 'STRING' | 'EXPAND' | null;
  readonly numericFilters: readonly NumericFilterOption[];
  readonly geoFilters: readonly GeoFilterOption[];
  readonly highlight: boolean;
  readonly summarize: boolean;
  readonly withCursor: boolean;
  readonly withCount: boolean | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function cstr(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}

const FLAG_OPTS: Readonly<Record<string, keyof SearchRequest>> = {
  INORDER: 'inOrder', VERBATIM: 'verbatim', WITHSCORES: 'withScores', WITHSORTKEYS: 'withSortKeys',
  WITHPAYLOADS: 'withPayloads', NOCONTENT: 'noContent', NOSTOPWORDS: 'noStopwords', EXPLAINSCORE: 'explainScore',
};
const STRING_OPTS: Readonly<Record<string, keyof SearchRequest>> = {
  LANGUAGE: 'language', EXPANDER: 'expander', SCORER: 'scorer',
};

/**
 * Parses `FT.SEARCH index query [options]`: the whole command, name included. The caller checks
 * arity first (at least 3 arguments). Throws QueryError.
 */
export function parseSearch(argv: readonly Buffer[]): SearchRequest {
  const r: Mutable<SearchRequest> = {
    index: cstr(argv[1] ?? Buffer.alloc(0)), query: argv[2] ?? Buffer.alloc(0), noContent: false, verbatim: false,
    noStopwords: false, withScores: false, withPayloads: false, withSortKeys: false, explainScore: false,
    inOrder: false, slop: null, language: null, scorer: null, expander: null, payload: null, inKeys: null,
    inFields: null, returnFields: null, sortBy: null, offset: 0, limit: 10, params: null, dialect: null,
    timeout: null, format: null, numericFilters: [], geoFilters: [], highlight: false, summarize: false,
    withCursor: false, withCount: null,
  };
  if (argv.length < 3) throw new QueryError('PARSE_ARGS', 'No query string provided');
  // Positions in error messages count from the query (the module's argv + 2).
  const ac = new ArgCursor(argv, 3, argv.length, true);
  let returnArgs: ArgCursor | null = null;
  let emptyFilterValue = false;
  let addScores = false;

  for (;;) {
    const arg = ac.peek();
    if (arg === undefined) break;
    const w = arg.length <= 24 ? arg.toString('latin1').toUpperCase() : '';
    if (Object.hasOwn(FLAG_OPTS, w)) {
      ac.next();
      (r as unknown as Record<string, boolean>)[FLAG_OPTS[w]!] = true;
    } else if (w === 'ADDSCORES') {
      ac.next();
      addScores = true;
    } else if (Object.hasOwn(STRING_OPTS, w) || w === 'PAYLOAD') {
      ac.next();
      if (ac.atEnd()) throw badArgs(w, AC_ERR_NOARG);
      const v = ac.next();
      if (w === 'PAYLOAD') r.payload = v;
      else (r as unknown as Record<string, string>)[STRING_OPTS[w]!] = cstr(v);
    } else if (w === 'SLOP') {
      ac.next();
      const rc = ac.getInt(AC_F_COALESCE);
      if (rc !== AC_OK) throw badArgs(w, rc);
      r.slop = ac.value;
    } else if (w === 'INFIELDS' || w === 'INKEYS' || w === 'RETURN') {
      ac.next();
      const sub = ac.getVarArgs();
      if (typeof sub === 'number') throw badArgs(w, sub);
      if (w === 'RETURN') returnArgs = sub;
      else {
        const list: string[] = [];
        while (!sub.atEnd()) list.push(cstr(sub.next()));
        if (w === 'INKEYS') r.inKeys = list;
        else r.inFields = list;
      }
    } else if (w === 'SUMMARIZE' || w === 'HIGHLIGHT') {
      ac.next();
      if (!skipHighlight(ac, w === 'SUMMARIZE')) throw new QueryError('PARSE_ARGS', `Bad arguments for ${w}`);
      if (w === 'SUMMARIZE') r.summarize = true;
      else r.highlight = true;
    } else if (w === 'FILTER') {
      ac.next();
      if (ac.remaining() < 3) throw new QueryError('PARSE_ARGS', 'FILTER requires 3 arguments');
      const field = cstr(ac.next());
      const bounds: number[] = [];
      const incl: boolean[] = [];
      for (const isMin of [true, false]) {
        const s = cstr(ac.next());
        if (s === '') emptyFilterValue = true;
        incl.push(!s.startsWith('('));
        bounds.push(s === '' ? 0 : parseDoubleRange(s, isMin, 1));
      }
      r.numericFilters = [...r.numericFilters, { field, min: bounds[0]!, max: bounds[1]!, minInclusive: incl[0]!, maxInclusive: incl[1]! }];
    } else if (w === 'GEOFILTER') {
      ac.next();
      if (ac.remaining() < 5) throw new QueryError('PARSE_ARGS', 'GEOFILTER requires 5 arguments');
      const field = cstr(ac.next());
      const nums: number[] = [];
      for (const what of ['<lon>', '<lat>', '<radius>']) {
        if (cstr(ac.peek()!) === '') emptyFilterValue = true;
        const rc = ac.getDouble();
        if (rc !== AC_OK) throw new QueryError('PARSE_ARGS', `Bad arguments for ${what}: ${acStrerror(rc)}`);
        nums.push(ac.value);
      }
      const unitArg = cstr(ac.next());
      const unit = GEO_UNITS[unitArg.toLowerCase()];
      if (unit === undefined) throw new QueryError('PARSE_ARGS', `Unknown distance unit ${argText(unitArg)}`);
      r.geoFilters = [...r.geoFilters, { field, lon: nums[0]!, lat: nums[1]!, radius: nums[2]! * unit }];
    } else if (w === 'WITHCOUNT' || w === 'WITHOUTCOUNT') {
      ac.next();
      r.withCount = w === 'WITHCOUNT';
    } else if (!commonArg(ac, w, r)) {
      break;
    }
  }

  if ((r.dialect ?? 1) >= 2 && emptyFilterValue) {
    throw new QueryError('PARSE_ARGS', 'Numeric/Geo filter value/s cannot be empty');
  }
  if (r.explainScore && !r.withScores) throw new QueryError('PARSE_ARGS', 'EXPLAINSCORE must be accompanied with WITHSCORES');
  if (addScores) throw new QueryError('PARSE_ARGS', 'ADDSCORES is not supported on FT.SEARCH');
  if (returnArgs !== null) {
    const list: ReturnField[] = [];
    while (!returnArgs.atEnd()) {
      const path = cstr(returnArgs.next());
      let name = path;
      if (returnArgs.advanceIfMatch('AS')) {
        if (returnArgs.atEnd()) throw new QueryError('PARSE_ARGS', 'RETURN path AS name - must be accompanied with NAME');
        name = cstr(returnArgs.next());
        if (name.toUpperCase() === 'AS') throw new QueryError('PARSE_ARGS', 'Alias for RETURN cannot be `AS`');
      }
      // A field returned twice under the same name is returned once.
      if (!list.some((f) => f.name === name)) list.push({ path, name });
    }
    r.returnFields = list;
  }

  // What follows the query options: only the common arguments remain valid.
  while (!ac.atEnd()) {
    const w = ac.peek()!.length <= 24 ? ac.peek()!.toString('latin1').toUpperCase() : '';
    if (commonArg(ac, w, r)) continue;
    if (w === 'GROUPBY' || w === 'APPLY' || w === 'LOAD') {
      throw new QueryError('INVAL', `option \`${w}\` is mutually exclusive with simple (i.e. search) options`);
    }
    throw new QueryError('ARG_UNRECOGNIZED', `Unknown argument \`${argText(ac.peek()!)}\` at position ${ac.pos - 2} for <main>`);
  }
  return r;
}

const GEO_UNITS: Readonly<Record<string, number>> = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 };

/** handleCommonArgs: false when the argument is not one of them (nothing consumed). */
function commonArg(ac: ArgCursor, w: string, r: Mutable<SearchRequest>): boolean {
  switch (w) {
    case 'LIMIT': {
      ac.next();
      if (ac.remaining() < 2) throw new QueryError('PARSE_ARGS', 'LIMIT requires two arguments');
      if (ac.getU64() !== AC_OK) throw new QueryError('PARSE_ARGS', 'LIMIT needs two numeric arguments');
      const offset = ac.value;
      if (ac.getU64() !== AC_OK) throw new QueryError('PARSE_ARGS', 'LIMIT needs two numeric arguments');
      const limit = ac.value;
      if (limit === 0 && offset !== 0) throw new QueryError('LIMIT', 'The `offset` of the LIMIT must be 0 when `num` is 0');
      if (limit !== 0 && limit > MAX_SEARCH_RESULTS) throw new QueryError('LIMIT', `LIMIT exceeds maximum of ${MAX_SEARCH_RESULTS}`);
      if (limit !== 0 && offset > MAX_SEARCH_RESULTS) throw new QueryError('LIMIT', `OFFSET exceeds maximum of ${MAX_SEARCH_RESULTS}`);
      r.offset = offset;
      r.limit = limit;
      return true;
    }
    case 'SORTBY': {
      ac.next();
      if (r.sortBy !== null) throw new QueryError('PARSE_ARGS', 'Multiple SORTBY steps are not allowed');
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'Bad SORTBY arguments');
      let field = cstr(ac.next());
      if (field.startsWith('@')) field = field.slice(1);
      let ascending = true;
      if (ac.advanceIfMatch('DESC')) ascending = false;
      else ac.advanceIfMatch('ASC');
      if (ac.advanceIfMatch('MAX')) throw new QueryError('PARSE_ARGS', 'SORTBY MAX is not supported by FT.SEARCH');
      r.sortBy = { field, ascending };
      return true;
    }
    case 'TIMEOUT':
      ac.next();
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'Need argument for TIMEOUT');
      if (ac.getLongLong(AC_F_GE0) !== AC_OK) throw new QueryError('PARSE_ARGS', 'TIMEOUT requires a non negative integer');
      r.timeout = ac.value;
      return true;
    case 'WITHCURSOR': {
      ac.next();
      for (;;) {
        const k = ac.advanceIfMatch('MAXIDLE') ? 'MAXIDLE' : ac.advanceIfMatch('COUNT') ? 'COUNT' : null;
        if (k === null) break;
        const rc = ac.getUnsigned(AC_F_GE1);
        if (rc !== AC_OK) throw badArgs(k, rc);
      }
      r.withCursor = true;
      return true;
    }
    case '_NUM_SSTRING':
    case 'WITHRAWIDS':
      ac.next();
      return true;
    case 'PARAMS': {
      ac.next();
      const sub = ac.getVarArgs();
      if (typeof sub === 'number') throw badArgs('PARAMS', sub);
      if (r.params !== null) throw new QueryError('ADD_ARGS', 'Multiple PARAMS are not allowed. Parameters can be defined only once');
      if (sub.remaining() === 0 || sub.remaining() % 2 !== 0) {
        throw new QueryError('ADD_ARGS', 'Parameters must be specified in PARAM VALUE pairs');
      }
      const params = new Map<string, Buffer>();
      while (!sub.atEnd()) {
        const name = cstr(sub.next());
        const value = sub.next();
        if (params.has(name)) throw new QueryError('ADD_ARGS', `Duplicate parameter \`${argText(name)}\``);
        params.set(name, value);
      }
      r.params = params;
      return true;
    }
    case 'DIALECT':
      ac.next();
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'Need an argument for DIALECT');
      if (ac.getUnsigned(AC_F_GE1) !== AC_OK || ac.value > MAX_DIALECT) {
        throw new QueryError('PARSE_ARGS', `DIALECT requires a non negative integer >=1 and <= ${MAX_DIALECT}`);
      }
      r.dialect = ac.value;
      return true;
    case 'FORMAT': {
      ac.next();
      if (ac.atEnd()) throw new QueryError('BAD_VAL', 'Need an argument for FORMAT');
      const f = ac.next();
      const fw = cstr(f).toUpperCase();
      if (fw !== 'STRING' && fw !== 'EXPAND') throw new QueryError('PARSE_ARGS', `FORMAT ${argText(f)} is not supported`);
      r.format = fw;
      return true;
    }
    case 'BM25STD_TANH_FACTOR':
      ac.next();
      if (ac.atEnd()) throw new QueryError('PARSE_ARGS', 'Need an argument for BM25STD_TANH_FACTOR');
      if (ac.getU64(AC_F_GE1) !== AC_OK || ac.value > 10000) {
        throw new QueryError('PARSE_ARGS', 'BM25STD_TANH_FACTOR must be between 1 and 10000 inclusive');
      }
      return true;
    default:
      return false;
  }
}

/** HIGHLIGHT [FIELDS n f…] [TAGS open close]; SUMMARIZE [FIELDS n f…] [FRAGS n] [LEN n] [SEPARATOR s]. */
function skipHighlight(ac: ArgCursor, summarize: boolean): boolean {
  for (;;) {
    if (ac.advanceIfMatch('FIELDS')) {
      const sub = ac.getVarArgs();
      if (typeof sub === 'number') return false;
    } else if (!summarize && ac.advanceIfMatch('TAGS')) {
      if (ac.remaining() < 2) return false;
      ac.next();
      ac.next();
    } else if (summarize && (ac.advanceIfMatch('FRAGS') || ac.advanceIfMatch('LEN'))) {
      if (ac.getUnsigned() !== AC_OK) return false;
    } else if (summarize && ac.advanceIfMatch('SEPARATOR')) {
      if (ac.atEnd()) return false;
      ac.next();
    } else {
      return true;
    }
  }
}

