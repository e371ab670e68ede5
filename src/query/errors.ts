// The one error type of src/query: a RediSearch query error.
//
// RediSearch 8.8 (the module Redis 8.8 ships) sends every error as "<CODE> <message>", where the
// code is one word per error class (`SEARCH_SYNTAX`, `SEARCH_PARSE_ARGS` …) and the message is
// the one older versions sent alone. `QueryError.reply` is that whole text, ready to follow the
// '-' of a RESP error; `detail` is the message without the code, for tests and logs.
//
// Every function of src/query that can fail on client input throws a QueryError and nothing
// else; a caller can `catch (e) { if (e instanceof QueryError) … }` and rethrow the rest.

/** The error classes src/query reports, with the prefix RediSearch 8.8 gives each. */
export const QueryErrorCodes = {
  GENERIC: ['SEARCH_GENERIC', 'Generic error evaluating the query'],
  SYNTAX: ['SEARCH_SYNTAX', 'Parsing/Syntax error for query string'],
  PARSE_ARGS: ['SEARCH_PARSE_ARGS', 'Error parsing query/aggregation arguments'],
  ADD_ARGS: ['SEARCH_ADD_ARGS', 'Error parsing document indexing arguments'],
  INVAL: ['SEARCH_QUERY_BAD', 'Could not validate the query nodes (bad attribute?)'],
  NO_OPTION: ['SEARCH_OPTION_INVALID', 'Invalid option'],
  INDEX_EXISTS: ['SEARCH_INDEX_EXISTS', 'Index already exists'],
  BAD_OPTION: ['SEARCH_OPTION_BAD', 'Option not supported for current mode'],
  LIMIT: ['SEARCH_LIMIT_OVER', 'Limit exceeded'],
  NO_INDEX: ['SEARCH_INDEX_NOT_FOUND', 'Index not found'],
  NO_PARAM: ['SEARCH_PARAM_NOT_FOUND', 'Parameter not found'],
  DUP_PARAM: ['SEARCH_PARAM_DUP', 'Parameter was specified twice'],
  BAD_VAL: ['SEARCH_VALUE_BAD', 'Invalid value was given'],
  NON_HYBRID: ['SEARCH_HYBRID_ATTR_NON_HYBRID', 'hybrid query attributes were sent for a non-hybrid query'],
  HYBRID_NON_EXIST: ['SEARCH_HYBRID_POLICY_BAD', 'invalid hybrid policy was given'],
  ADHOC_WITH_BATCH_SIZE: ['SEARCH_ADHOC_BATCH_SIZE_IRRELEVANT', "'batch size' is irrelevant for the selected policy"],
  ADHOC_WITH_EF_RUNTIME: ['SEARCH_ADHOC_EF_RUNTIME_IRRELEVANT', "'EF_RUNTIME' is irrelevant for the selected policy"],
  NON_RANGE: ['SEARCH_RANGE_ATTR_NON_RANGE', 'range query attributes were sent for a non-range query'],
  NUMERIC_VALUE_INVALID: ['SEARCH_NUMERIC_VALUE_INVALID', 'Invalid numeric value'],
  ARG_UNRECOGNIZED: ['SEARCH_ARG_UNRECOGNIZED', 'Unknown argument'],
} as const;

export type QueryErrorCode = keyof typeof QueryErrorCodes;

export class QueryError extends Error {
  /** The whole error text as Redis 8.8 sends it: "<SEARCH_CODE> <detail>". */
  readonly reply: string;

  constructor(
    readonly code: QueryErrorCode,
    /** The message without its code word, e.g. "Syntax error at offset 3 near foo". */
    readonly detail: string = QueryErrorCodes[code][1],
  ) {
    const text = `${QueryErrorCodes[code][0]} ${detail}`;
    super(text);
    this.name = 'QueryError';
    this.reply = text;
  }
}

/** ArgsCursor result codes, with the words RediSearch prints for them (AC_Strerror). */
export const AC_OK = 0;
export const AC_ERR_PARSE = 1;
export const AC_ERR_NOARG = 2;
export const AC_ERR_ELIMIT = 3;
export const AC_ERR_ENOENT = 4;

export function acStrerror(rc: number): string {
  switch (rc) {
    case AC_OK:
      return 'SUCCESS';
    case AC_ERR_ELIMIT:
      return 'Value is outside acceptable bounds';
    case AC_ERR_NOARG:
      return 'Expected an argument, but none provided';
    case AC_ERR_PARSE:
      return 'Could not convert argument to expected type';
    case AC_ERR_ENOENT:
      return 'Unknown argument';
    default:
      return '(AC: You should not be seeing this message. This is a bug)';
  }
}

/** "Bad arguments for <name>: <why>" — RediSearch's QERR_MKBADARGS_AC. */
export function badArgs(name: string, rc: number): QueryError {
  return new QueryError('PARSE_ARGS', `Bad arguments for ${name}: ${acStrerror(rc)}`);
}

/**
 * Text of a client argument inside an error message. C formats it with `%s`, which stops at the
 * first NUL byte; CR and LF would break the RESP error line, so they become spaces (as the
 * server's error writer does for other commands).
 */
export function argText(b: Uint8Array | string): string {
  let s = typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  return s.replace(/[\r\n]/g, ' ');
}
