/**
 * Small builders for COMMAND DOCS argument trees, so each command module can declare its syntax
 * next to its handler in a line or two. redis-cli turns these into the grey hints shown while
 * typing, so they follow Redis's own argument names.
 */
import type { ArgDoc } from './types.js';

type Opts = Partial<Pick<ArgDoc, 'optional' | 'multiple' | 'multipleToken' | 'token' | 'since' | 'summary' | 'displayText'>>;

export function key(name = 'key', opts: Opts = {}): ArgDoc {
  return { name, type: 'key', displayText: name, keySpecIndex: 0, ...opts };
}

export function str(name: string, opts: Opts = {}): ArgDoc {
  return { name, type: 'string', displayText: name, ...opts };
}

export function int(name: string, opts: Opts = {}): ArgDoc {
  return { name, type: 'integer', displayText: name, ...opts };
}

export function dbl(name: string, opts: Opts = {}): ArgDoc {
  return { name, type: 'double', displayText: name, ...opts };
}

export function pattern(name = 'pattern', opts: Opts = {}): ArgDoc {
  return { name, type: 'pattern', displayText: name, ...opts };
}

export function unixTime(name: string, opts: Opts = {}): ArgDoc {
  return { name, type: 'unix-time', displayText: name, ...opts };
}

/** A keyword with no value, e.g. WITHSCORES. */
export function token(tok: string, opts: Opts = {}): ArgDoc {
  return { name: tok.toLowerCase().replace(/[^a-z0-9]+/g, '-'), type: 'pure-token', token: tok, ...opts };
}

/** A keyword followed by a value, e.g. COUNT count. */
export function tokenArg(tok: string, arg: ArgDoc, opts: Opts = {}): ArgDoc {
  return { ...arg, token: tok, ...opts };
}

export function oneof(name: string, args: ArgDoc[], opts: Opts = {}): ArgDoc {
  return { name, type: 'oneof', arguments: args, ...opts };
}

export function block(name: string, args: ArgDoc[], opts: Opts = {}): ArgDoc {
  return { name, type: 'block', arguments: args, ...opts };
}

export function optional(arg: ArgDoc): ArgDoc {
  return { ...arg, optional: true };
}
