/**
 * The shape of a command table entry. Every command declares its name, arity, flags, key
 * positions and handler in one place; COMMAND, COMMAND INFO, COMMAND DOCS, the arity and auth
 * checks of the dispatcher, WATCH/MULTI rules and AOF propagation all read these declarations.
 */
import type { Client } from '../server/client.js';

export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'module'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'asking'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_mandatory_keys'
  | 'no_multi'
  | 'movablekeys'
  | 'allow_busy';

export type ArgType = 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';

/** One argument of a command, as COMMAND DOCS publishes it (redis-cli builds its hints from these). */
export interface ArgDoc {
  name: string;
  type: ArgType;
  /** Shown by redis-cli; defaults to `name` for value arguments, absent for oneof/block. */
  displayText?: string;
  token?: string;
  keySpecIndex?: number;
  summary?: string;
  since?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  arguments?: ArgDoc[];
}

export interface CommandDocs {
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  /** Set for module commands (the V* family reports "vectorset"). */
  module?: string;
  arguments?: ArgDoc[];
  history?: Array<[string, string]>;
  deprecatedSince?: string;
  replacedBy?: string;
  docFlags?: string[];
}

/**
 * Runs one command. Replies go to `c.reply`; a handler writes exactly one reply (which may be an
 * aggregate), or hands a promise of the reply to `c.deferReply` when the work runs elsewhere.
 * `argv[0]` is the command name as sent; arguments are views into received bytes: copy one
 * (`Buffer.from(arg)`) before keeping it beyond the call.
 */
export type CommandHandler = (c: Client, argv: Buffer[]) => void;

export interface CommandSpec {
  /** Name as COMMAND reports it: lower case for core commands, upper case for the V* family. */
  name: string;
  /** Exact argument count including the name, or -N for "at least N". */
  arity: number;
  flags: CommandFlag[];
  /** Key positions: first, last (-1 = last argument), step; 0,0,0 for none. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories, e.g. '@read', '@fast'. */
  categories: string[];
  /**
   * The flags of the command's key spec (COMMAND INFO, COMMAND GETKEYSANDFLAGS), e.g. RW INSERT
   * for HSETNX; without them, RW UPDATE for a write and RO ACCESS otherwise.
   */
  keyFlags?: string[];
  /**
   * For commands whose keys are treated differently (RENAME reads and deletes its source and
   * overwrites its target; COPY reads one and writes the other): one key spec per key, in order.
   */
  keyFlagsByKey?: string[][];
  docs: CommandDocs;
  /** Container commands (CLIENT, CONFIG …) route on their second word instead. */
  handler?: CommandHandler;
  subcommands?: CommandSpec[];
  /** Set on subcommands: the container's name (for `client|setname` style names). */
  parent?: string;
}

/** Shorthand for building specs in the command modules. */
export function command(
  name: string,
  arity: number,
  flags: CommandFlag[],
  keys: [number, number, number],
  categories: string[],
  docs: CommandDocs,
  handler: CommandHandler,
): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], categories, docs, handler };
}

/** A container command (CLIENT, CONFIG …) whose subcommands are full specs. */
export function container(
  name: string,
  arity: number,
  categories: string[],
  docs: CommandDocs,
  subcommands: CommandSpec[],
  /** Runs when the container is called with no subcommand (only COMMAND allows that). */
  handler?: CommandHandler,
): CommandSpec {
  for (const s of subcommands) s.parent = name;
  const spec: CommandSpec = { name, arity, flags: [], firstKey: 0, lastKey: 0, step: 0, categories, docs, subcommands };
  if (handler) spec.handler = handler;
  return spec;
}

export const NO_KEYS: [number, number, number] = [0, 0, 0];
export const ONE_KEY: [number, number, number] = [1, 1, 1];
export const ALL_KEYS: [number, number, number] = [1, -1, 1];
