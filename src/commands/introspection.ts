/**
 * COMMAND and its subcommands, rendered from the command table. redis-cli reads COMMAND DOCS in
 * interactive mode to show argument hints and asserts on the reply's shape (bulk-string keys,
 * simple-string flags), so the encoders here follow Redis's exactly (spec Part B.5).
 */
import { command, container, NO_KEYS, type ArgDoc, type CommandSpec } from './types.js';
import { fullName, arityOk, type CommandTable } from './table.js';
import { isWord, keyOf } from './args.js';
import { globMatch } from '../server/glob.js';
import { replyHelp } from './connection.js';
import { str, optional, oneof, block, tokenArg, pattern } from './doc-args.js';
import type { ReplyWriter } from '../server/reply.js';
import { keyFlagsAt, keyPositions } from './key-specs.js';
import { commandCategories } from '../acl/commands.js';

const G = 'server';

/** How many key specs COMMAND INFO lists: one, or one per key when the keys differ (RENAME). */
function keySpecs(spec: CommandSpec): number {
  if (spec.firstKey <= 0) return 0;
  return spec.keyFlagsByKey ? spec.keyFlagsByKey.length : 1;
}

/** One COMMAND INFO entry (an array of 10). */
export function writeCommandInfo(r: ReplyWriter, spec: CommandSpec): void {
  r.array(10);
  r.bulk(fullName(spec));
  r.integer(spec.arity);
  const flags = spec.flags;
  r.set(flags.length);
  for (const f of flags) r.simple(f);
  r.integer(spec.firstKey);
  r.integer(spec.lastKey);
  r.integer(spec.step);
  const categories = commandCategories(spec);
  r.set(categories.length);
  for (const cat of categories) r.simple(`@${cat}`);
  r.array(0); // tips
  const n = keySpecs(spec);
  r.array(n);
  for (let i = 0; i < n; i++) {
    const keyFlags = keyFlagsAt(spec, i);
    // Several specs: one key each, at first + i * step.
    const perKey = n > 1;
    r.map(3);
    r.bulk('flags');
    r.set(keyFlags.length);
    for (const f of keyFlags) r.simple(f);
    r.bulk('begin_search');
    r.map(2);
    r.bulk('type');
    r.bulk('index');
    r.bulk('spec');
    r.map(1);
    r.bulk('index');
    r.integer(spec.firstKey + i * spec.step);
    r.bulk('find_keys');
    r.map(2);
    r.bulk('type');
    r.bulk('range');
    r.bulk('spec');
    r.map(3);
    r.bulk('lastkey');
    r.integer(perKey ? 0 : spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
    r.bulk('keystep');
    r.integer(spec.step);
    r.bulk('limit');
    r.integer(0);
  }
  const subs = spec.subcommands ?? [];
  r.array(subs.length);
  for (const s of subs) writeCommandInfo(r, s);
}

function writeArg(r: ReplyWriter, a: ArgDoc): void {
  const fields: Array<() => void> = [];
  const pair = (k: string, v: () => void): void => {
    fields.push(() => {
      r.bulk(k);
      v();
    });
  };
  pair('name', () => r.bulk(a.name));
  pair('type', () => r.bulk(a.type));
  if (a.type !== 'oneof' && a.type !== 'block') pair('display_text', () => r.bulk(a.displayText ?? a.name));
  if (a.keySpecIndex !== undefined) pair('key_spec_index', () => r.integer(a.keySpecIndex!));
  if (a.token !== undefined) pair('token', () => r.bulk(a.token!));
  if (a.summary !== undefined) pair('summary', () => r.bulk(a.summary!));
  if (a.since !== undefined) pair('since', () => r.bulk(a.since!));
  const flags: string[] = [];
  if (a.optional) flags.push('optional');
  if (a.multiple) flags.push('multiple');
  if (a.multipleToken) flags.push('multiple_token');
  if (flags.length > 0) {
    pair('flags', () => {
      r.set(flags.length);
      for (const f of flags) r.simple(f);
    });
  }
  if (a.arguments) {
    pair('arguments', () => {
      r.array(a.arguments!.length);
      for (const sub of a.arguments!) writeArg(r, sub);
    });
  }
  r.map(fields.length);
  for (const f of fields) f();
}

/** One COMMAND DOCS value (a map). */
export function writeCommandDocs(r: ReplyWriter, spec: CommandSpec): void {
  const d = spec.docs;
  const fields: Array<() => void> = [];
  const pair = (k: string, v: () => void): void => {
    fields.push(() => {
      r.bulk(k);
      v();
    });
  };
  pair('summary', () => r.bulk(d.summary));
  pair('since', () => r.bulk(d.since));
  pair('group', () => r.bulk(d.group));
  if (d.complexity !== undefined) pair('complexity', () => r.bulk(d.complexity!));
  if (d.module !== undefined) pair('module', () => r.bulk(d.module!));
  if (d.docFlags && d.docFlags.length > 0) {
    pair('doc_flags', () => {
      r.set(d.docFlags!.length);
      for (const f of d.docFlags!) r.simple(f);
    });
  }
  if (d.deprecatedSince !== undefined) pair('deprecated_since', () => r.bulk(d.deprecatedSince!));
  if (d.replacedBy !== undefined) pair('replaced_by', () => r.bulk(d.replacedBy!));
  if (d.history && d.history.length > 0) {
    pair('history', () => {
      r.array(d.history!.length);
      for (const [v, text] of d.history!) {
        r.array(2);
        r.bulk(v);
        r.bulk(text);
      }
    });
  }
  if (d.arguments && d.arguments.length > 0) {
    pair('arguments', () => {
      r.array(d.arguments!.length);
      for (const a of d.arguments!) writeArg(r, a);
    });
  }
  if (spec.subcommands && spec.subcommands.length > 0) {
    pair('subcommands', () => {
      r.map(spec.subcommands!.length);
      for (const s of spec.subcommands!) {
        r.bulk(fullName(s));
        writeCommandDocs(r, s);
      }
    });
  }
  r.map(fields.length);
  for (const f of fields) f();
}

/** All commands and subcommands, flattened (COMMAND LIST). */
function* everyCommand(table: CommandTable): IterableIterator<CommandSpec> {
  for (const s of table.all()) {
    yield s;
    if (s.subcommands) yield* s.subcommands;
  }
}

const COMMAND_HELP = [
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
];

function getKeys(c: Parameters<NonNullable<CommandSpec['handler']>>[0], argv: Buffer[], withFlags: boolean): void {
  const args = argv.slice(2);
  const spec = c.server.commands.get(keyOf(args[0]!));
  let target = spec;
  if (spec?.subcommands && args.length >= 2) target = c.server.commands.getByFullName(`${spec.name}|${keyOf(args[1]!)}`);
  if (!target) {
    c.reply.error('ERR Invalid command specified');
    return;
  }
  if (!arityOk(target.arity, args.length)) {
    c.reply.error('ERR Invalid number of arguments specified for command');
    return;
  }
  const keys = keyPositions(target, args.length);
  if (keys.length === 0) {
    c.reply.error('ERR The command has no key arguments');
    return;
  }
  c.reply.array(keys.length);
  for (const [i, pos] of keys.entries()) {
    const k = args[pos]!;
    if (withFlags) {
      c.reply.array(2);
      c.reply.bulk(k);
      const f = keyFlagsAt(target, i);
      c.reply.set(f.length);
      for (const x of f) c.reply.simple(x);
    } else {
      c.reply.bulk(k);
    }
  }
}

const sub = (name: string, arity: number, summary: string, args: ArgDoc[] | undefined, handler: NonNullable<CommandSpec['handler']>, since = '2.8.13'): CommandSpec =>
  command(name, arity, ['loading', 'stale'], NO_KEYS, ['@slow', '@connection'], { summary, since, group: G, complexity: 'O(N) where N is the number of commands to look up', arguments: args }, handler);

export const introspectionCommands: CommandSpec[] = [
  container('command', -1, ['@slow', '@connection'], { summary: 'Returns detailed information about all commands.', since: '2.8.13', group: G, complexity: 'O(N) where N is the total number of Redis commands' }, [
    sub('count', 2, 'Returns a count of commands.', undefined, (c) => c.reply.integer(c.server.commands.size)),
    sub('info', -2, 'Returns information about one, multiple or all commands.', [str('command-name', { optional: true, multiple: true })], (c, argv) => {
      if (argv.length === 2) {
        const all = [...c.server.commands.all()];
        c.reply.array(all.length);
        for (const s of all) writeCommandInfo(c.reply, s);
        return;
      }
      c.reply.array(argv.length - 2);
      for (let i = 2; i < argv.length; i++) {
        const s = c.server.commands.getByFullName(keyOf(argv[i]!));
        if (s) writeCommandInfo(c.reply, s);
        else c.reply.nullArray();
      }
    }, '2.8.13'),
    sub('docs', -2, 'Returns documentary information about one, multiple or all commands.', [str('command-name', { optional: true, multiple: true })], (c, argv) => {
      const specs: CommandSpec[] = [];
      if (argv.length === 2) specs.push(...c.server.commands.all());
      else {
        for (let i = 2; i < argv.length; i++) {
          const s = c.server.commands.getByFullName(keyOf(argv[i]!));
          if (s) specs.push(s);
        }
      }
      c.reply.map(specs.length);
      for (const s of specs) {
        c.reply.bulk(fullName(s));
        writeCommandDocs(c.reply, s);
      }
    }, '7.0.0'),
    sub('list', -2, 'Returns a list of command names.', [optional(block('filterby', [oneof('filter', [tokenArg('MODULE', str('module-name')), tokenArg('ACLCAT', str('category')), tokenArg('PATTERN', pattern('pattern'))])], { token: 'FILTERBY' }))], (c, argv) => {
      let filter: ((s: CommandSpec) => boolean) | null = null;
      if (argv.length === 5 && isWord(argv[2], 'FILTERBY')) {
        const value = argv[4]!;
        if (isWord(argv[3], 'MODULE')) filter = (s) => s.docs.module === value.toString();
        else if (isWord(argv[3], 'ACLCAT')) filter = (s) => commandCategories(s).includes(value.toString().toLowerCase());
        else if (isWord(argv[3], 'PATTERN')) filter = (s) => globMatch(value, Buffer.from(fullName(s)), true);
      }
      if (argv.length !== 2 && filter === null) {
        c.reply.error('ERR syntax error');
        return;
      }
      const names: string[] = [];
      for (const s of everyCommand(c.server.commands)) if (!filter || filter(s)) names.push(fullName(s));
      c.reply.bulkArray(names);
    }, '7.0.0'),
    sub('getkeys', -3, 'Extracts the key names from an arbitrary command.', [str('command'), str('arg', { optional: true, multiple: true })], (c, argv) => getKeys(c, argv, false)),
    sub('getkeysandflags', -3, 'Extracts the key names and access flags for an arbitrary command.', [str('command'), str('arg', { optional: true, multiple: true })], (c, argv) => getKeys(c, argv, true), '7.0.0'),
    sub('help', 2, 'Returns helpful text about the different subcommands.', undefined, (c) => replyHelp(c.reply, 'COMMAND', COMMAND_HELP), '5.0.0'),
  ], (c) => {
    const all = [...c.server.commands.all()];
    c.reply.array(all.length);
    for (const s of all) writeCommandInfo(c.reply, s);
  }),
];
