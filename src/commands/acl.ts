/**
 * The ACL command family, with Redis 8's replies and error texts (acl.c's aclCommand). The users,
 * rules and checks live in src/acl/; this module parses arguments and writes replies.
 */
import crypto from 'node:crypto';
import { command, container, NO_KEYS, type CommandSpec } from './types.js';
import { isWord, keyOf, parseInteger, ERR_NOT_INTEGER } from './args.js';
import { int, optional, str, oneof, token } from './doc-args.js';
import { replyHelp } from './connection.js';
import { arityOk } from './table.js';
import { categoryNames, commandCategories } from '../acl/commands.js';
import { fullNameOf, Selector, SELECTOR_ALLCHANNELS, SELECTOR_ALLKEYS } from '../acl/selector.js';
import { validUsername } from '../acl/acl.js';
import { loadAclFile, saveAclFile } from '../acl/file.js';
import type { Client } from '../server/client.js';

const G = 'server';

/** User names, patterns and rules are byte strings kept one char per byte. */
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

const ACL_HELP = [
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
];

const NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

/** Redis's addReplySubcommandSyntaxError, for a known subcommand given the wrong arguments. */
function syntaxError(c: Client, argv: Buffer[]): void {
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!.toString('latin1').slice(0, 128)}'. Try ACL HELP.`);
}

function aclFile(c: Client): string | null {
  const file = c.server.config.get('aclfile');
  if (file === '') c.reply.error(NO_ACLFILE);
  return file === '' ? null : file;
}

/** One selector's commands, keys and channels, as ACL GETUSER lists them. */
function replySelector(c: Client, s: Selector): void {
  c.reply.bulk('commands');
  c.reply.bulk(latin1(s.describeCommands()));
  c.reply.bulk('keys');
  c.reply.bulk(latin1(s.flags & SELECTOR_ALLKEYS ? '~*' : s.patterns.map((p) => Selector.patternText(p)).join(' ')));
  c.reply.bulk('channels');
  c.reply.bulk(latin1(s.flags & SELECTOR_ALLCHANNELS ? '&*' : s.channels.map((ch) => `&${ch.toString('latin1')}`).join(' ')));
}

function getuser(c: Client, argv: Buffer[]): void {
  c.redact(2);
  const u = c.server.acl.users.get(keyOf(argv[2]!));
  if (!u) {
    c.reply.null();
    return;
  }
  c.reply.map(6);
  c.reply.bulk('flags');
  const flags = u.flagNames();
  c.reply.set(flags.length);
  for (const f of flags) c.reply.bulk(f);
  c.reply.bulk('passwords');
  c.reply.bulkArray(u.passwords);
  replySelector(c, u.root);
  c.reply.bulk('selectors');
  c.reply.array(u.selectors.length - 1);
  for (let i = 1; i < u.selectors.length; i++) {
    c.reply.map(3);
    replySelector(c, u.selectors[i]!);
  }
}

function setuser(c: Client, argv: Buffer[]): void {
  for (let j = 2; j < argv.length; j++) c.redact(j);
  if (!validUsername(argv[2]!)) {
    c.reply.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  const error = c.server.acl.setUser(keyOf(argv[2]!), argv.slice(3), c);
  if (error === null) c.reply.ok();
  else c.reply.error(`ERR ${error.replace(/[\r\n]/g, ' ')}`);
}

function deluser(c: Client, argv: Buffer[]): void {
  for (let j = 2; j < argv.length; j++) c.redact(j);
  const names = argv.slice(2).map(keyOf);
  if (names.includes('default')) {
    c.reply.error("ERR The 'default' user cannot be removed");
    return;
  }
  c.reply.integer(c.server.acl.deleteUsers(names, c));
}

function cat(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) return syntaxError(c, argv);
  if (argv.length === 2) {
    c.reply.bulkArray(categoryNames());
    return;
  }
  const name = argv[2]!.toString('latin1').toLowerCase();
  if (!categoryNames().includes(name)) {
    c.reply.error(`ERR Unknown category '${argv[2]!.toString('latin1').slice(0, 128)}'`);
    return;
  }
  const names = c.server.acl.commands.byId.filter((s) => commandCategories(s).includes(name)).map((s) => fullNameOf(s));
  c.reply.bulkArray(names);
}

function genpass(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) return syntaxError(c, argv);
  let bits = 256;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]!);
    if (n === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    bits = n;
  }
  if (bits <= 0 || bits > 4096) {
    c.reply.error('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  c.reply.bulk(crypto.randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function log(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) return syntaxError(c, argv);
  let count = 10;
  if (argv.length === 3) {
    if (isWord(argv[2], 'RESET')) {
      c.server.acl.log.reset();
      c.reply.ok();
      return;
    }
    const n = parseInteger(argv[2]!);
    if (n === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    count = n;
  }
  c.server.acl.log.reply(c.reply, count);
}

function dryrun(c: Client, argv: Buffer[]): void {
  const acl = c.server.acl;
  const u = acl.users.get(keyOf(argv[2]!));
  if (!u) {
    c.reply.error(`ERR User '${argv[2]!.toString('latin1')}' not found`);
    return;
  }
  const args = argv.slice(3);
  // Redis's lookupCommand: the subcommand when the command has some and one is given.
  const base = c.server.commands.get(keyOf(args[0]!));
  const spec = base && base.subcommands && args.length > 1 ? acl.commands.lookup(`${base.name}|${keyOf(args[1]!)}`) : base;
  if (!spec) {
    c.reply.error(`ERR Command '${args[0]!.toString('latin1')}' not found`);
    return;
  }
  if (!arityOk(spec.arity, args.length)) {
    c.reply.error(`ERR wrong number of arguments for '${fullNameOf(spec)}' command`);
    return;
  }
  const r = acl.checkUser(u, spec, args);
  if (r.ok) c.reply.ok();
  else c.reply.bulk(latin1(acl.errorMessage(r, u, spec, args, true)));
}

function load(c: Client): void {
  const file = aclFile(c);
  if (file === null) return;
  const errors = loadAclFile(c.server.acl, file, c);
  if (errors === null) c.reply.ok();
  else c.reply.error(`ERR ${errors}`);
}

function save(c: Client): void {
  const file = aclFile(c);
  if (file === null) return;
  try {
    saveAclFile(c.server.acl, file);
  } catch (e) {
    c.server.log.warning(`Saving ACL file for ACL SAVE: ${(e as Error).message}`);
    c.reply.error('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
    return;
  }
  c.reply.ok();
}

const ADMIN: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];
const PLAIN: CommandSpec['flags'] = ['noscript', 'loading', 'stale'];

const sub = (name: string, arity: number, flags: CommandSpec['flags'], summary: string, complexity: string, args: CommandSpec['docs']['arguments'], handler: (c: Client, argv: Buffer[]) => void, since = '6.0.0'): CommandSpec =>
  command(name, arity, flags, NO_KEYS, [], { summary, since, group: G, complexity, arguments: args }, handler);

export const aclCommands: CommandSpec[] = [
  container('acl', -2, [], { summary: 'A container for Access List Control commands.', since: '6.0.0', group: G, complexity: 'Depends on subcommand.' }, [
    sub('cat', -2, PLAIN, 'Lists the ACL categories, or the commands inside a category.', 'O(1) since the categories and commands are a fixed set.', [optional(str('category'))], cat),
    sub('deluser', -3, ADMIN, 'Deletes ACL users, and terminates their connections.', 'O(1) amortized time considering the typical user.', [str('username', { multiple: true })], deluser),
    sub('dryrun', -4, ADMIN, 'Simulates the execution of a command by a user, without executing the command.', 'O(1).', [str('username'), str('command'), str('arg', { optional: true, multiple: true })], dryrun, '7.0.0'),
    sub('genpass', -2, PLAIN, 'Generates a pseudorandom, secure password that can be used to identify ACL users.', 'O(1)', [optional(int('bits'))], genpass),
    sub('getuser', 3, ADMIN, 'Lists the ACL rules of a user.', 'O(N). Where N is the number of password, command and pattern rules that the user has.', [str('username')], getuser),
    sub('help', 2, ['loading', 'stale'], 'Returns helpful text about the different subcommands.', 'O(1)', undefined, (c) => replyHelp(c.reply, 'ACL', ACL_HELP)),
    sub('list', 2, ADMIN, 'Dumps the effective rules in ACL file format.', 'O(N). Where N is the number of configured users.', undefined, (c) =>
      c.reply.bulkArray(c.server.acl.sortedUsers().map((u) => latin1(`user ${u.name} ${u.describe()}`))),
    ),
    sub('load', 2, ADMIN, 'Reloads the rules from the configured ACL file.', 'O(N). Where N is the number of configured users.', undefined, load),
    sub('log', -2, ADMIN, 'Lists recent security events generated due to ACL rules.', 'O(N) with N being the number of entries shown.', [optional(oneof('operation', [int('count'), token('RESET')]))], log),
    sub('save', 2, ADMIN, 'Saves the effective ACL rules in the configured ACL file.', 'O(N). Where N is the number of configured users.', undefined, save),
    sub('setuser', -3, ADMIN, 'Creates and modifies an ACL user and its rules.', 'O(N). Where N is the number of rules provided.', [str('username'), str('rule', { optional: true, multiple: true })], setuser),
    sub('users', 2, ADMIN, 'Lists all ACL users.', 'O(N). Where N is the number of configured users.', undefined, (c) => c.reply.bulkArray(c.server.acl.sortedUsers().map((u) => latin1(u.name)))),
    sub('whoami', 2, PLAIN, 'Returns the authenticated username of the current connection.', 'O(1)', undefined, (c) => c.reply.bulkOrNull(c.user ? latin1(c.user.name) : null)),
  ]),
];
