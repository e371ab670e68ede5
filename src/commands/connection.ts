/**
 * Connection commands: PING ECHO QUIT RESET HELLO AUTH SELECT and the CLIENT family. These are
 * what every client library sends while connecting, so their replies and error texts match Redis
 * byte for byte (spec Part B.2/B.3).
 */
import { command, container, NO_KEYS, type CommandSpec } from './types.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, isWord, parseInteger } from './args.js';
import { int, oneof, optional, str, token, tokenArg, block } from './doc-args.js';
import { VERSION } from '../server/server.js';
import type { Client, ClientType } from '../server/client.js';
import type { ReplyWriter } from '../server/reply.js';
import { clientKill, clientTypeByName } from './client-kill.js';
import { replyLoadedModules } from '../server/loaded-modules.js';
import { clientInfoLine } from '../server/client-info.js';

const G = 'connection';

/** Replies the HELP text of a container command as Redis's addReplyHelp does. */
export function replyHelp(r: ReplyWriter, name: string, lines: string[]): void {
  const all = [
    `${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    'HELP',
    '    Print this help.',
  ];
  r.array(all.length);
  for (const l of all) r.simple(l);
}

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

/** Client names and SETINFO values may only hold printable ASCII without spaces. */
function printableToken(b: Buffer): boolean {
  for (const ch of b) if (ch < 33 || ch > 126) return false;
  return true;
}

export function resetClient(c: Client): void {
  c.server.pubsub.dropAll(c);
  c.multi = null;
  c.multiError = false;
  c.unwatchAll();
  c.db = c.server.keyspace.dbs[0]!;
  c.protocol = 2;
  c.name = null;
  c.replyMode = 'on';
  c.server.monitors.delete(c);
  c.monitor = false;
  c.server.acl.resetClient(c);
}

function helloReply(c: Client): void {
  const r = c.reply;
  r.map(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(VERSION);
  r.bulk('proto');
  r.integer(c.protocol);
  r.bulk('id');
  r.integer(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk(c.server.replication.isReplica ? 'replica' : 'master');
  r.bulk('modules');
  replyLoadedModules(r);
}

const CLIENT_HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  '    * ID <client-id>',
  '      Kill connections by client id.',
  '    * MAXAGE <maxage>',
  '      Kill connections older than the specified age.',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching (not supported by vsetd).',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
];

function onOff(c: Client, arg: Buffer, apply: (on: boolean) => void): void {
  if (isWord(arg, 'ON')) apply(true);
  else if (isWord(arg, 'OFF')) apply(false);
  else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.reply.ok();
}

const clientSub = (name: string, arity: number, flags: CommandSpec['flags'], summary: string, args: CommandSpec['docs']['arguments'], handler: CommandSpec['handler'], since = '2.4.0'): CommandSpec =>
  command(name, arity, ['noscript', 'loading', 'stale', ...flags], NO_KEYS, ['@slow', '@connection'], { summary, since, group: G, complexity: 'O(1)', arguments: args }, handler!);

const clientCommand = container('client', -2, ['@slow'], { summary: 'A container for client connection commands.', since: '2.4.0', group: G, complexity: 'Depends on subcommand.' }, [
  clientSub('id', 2, [], 'Returns the unique client ID of the connection.', undefined, (c) => c.reply.integer(c.id), '5.0.0'),
  clientSub('info', 2, [], 'Returns information about the connection.', undefined, (c) => c.reply.verbatim(clientInfoLine(c)), '6.2.0'),
  clientSub('list', -2, ['admin'], 'Lists open connections.', [
    optional(tokenArg('TYPE', oneof('client-type', [token('NORMAL'), token('MASTER'), token('REPLICA'), token('PUBSUB')]))),
    optional(tokenArg('ID', int('client-id', { multiple: true }))),
  ], (c, argv) => {
    let ids: Set<number> | null = null;
    let typeFilter: ClientType | null = null;
    for (let i = 2; i < argv.length; i++) {
      if (isWord(argv[i], 'TYPE') && i + 1 < argv.length) {
        typeFilter = clientTypeByName(argv[++i]!);
        if (typeFilter === null) {
          c.reply.error(`ERR Unknown client type '${argv[i]!.toString()}'`);
          return;
        }
      } else if (isWord(argv[i], 'ID') && i + 1 < argv.length) {
        ids = new Set();
        for (i++; i < argv.length; i++) {
          const n = parseInteger(argv[i]!);
          if (n === null || n <= 0) {
            c.reply.error('ERR Invalid client ID');
            return;
          }
          ids.add(n);
        }
      } else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
    }
    let text = '';
    for (const other of c.server.clients.values()) {
      if (ids && !ids.has(other.id)) continue;
      if (typeFilter !== null && other.type !== typeFilter) continue;
      text += clientInfoLine(other);
    }
    c.reply.verbatim(text);
  }),
  clientSub('kill', -3, ['admin'], 'Terminates open connections.', [
    oneof('filter', [str('ip:port'), block('new-format', [
      optional(tokenArg('ID', int('client-id'))),
      optional(tokenArg('TYPE', oneof('client-type', [token('NORMAL'), token('MASTER'), token('SLAVE'), token('REPLICA'), token('PUBSUB')]))),
      optional(tokenArg('USER', str('username'))),
      optional(tokenArg('ADDR', str('ip:port'))),
      optional(tokenArg('LADDR', str('ip:port'))),
      optional(tokenArg('SKIPME', oneof('skipme', [token('YES'), token('NO')]))),
      optional(tokenArg('MAXAGE', int('maxage'))),
    ], { multiple: true })]),
  ], clientKill),
  clientSub('getname', 2, [], 'Returns the name of the connection.', undefined, (c) => c.reply.bulkOrNull(c.name)),
  clientSub('setname', 3, [], 'Sets the connection name.', [str('connection-name')], (c, argv) => {
    const name = argv[2]!;
    if (!printableToken(name)) {
      c.reply.error('ERR Client names cannot contain spaces, newlines or special characters.');
      return;
    }
    c.name = name.length === 0 ? null : Buffer.from(name);
    c.reply.ok();
  }),
  clientSub('setinfo', 4, [], 'Sets information specific to the client or connection.', [
    oneof('attr', [tokenArg('LIB-NAME', str('libname')), tokenArg('LIB-VER', str('libver'))]),
  ], (c, argv) => {
    const attr = argv[2]!.toString('latin1');
    const val = argv[3]!;
    const which = attr.toLowerCase();
    if (which !== 'lib-name' && which !== 'lib-ver') {
      c.reply.error(`ERR Unrecognized option '${attr}'`);
      return;
    }
    if (!printableToken(val)) {
      c.reply.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
      return;
    }
    if (which === 'lib-name') c.libName = val.toString('latin1');
    else c.libVer = val.toString('latin1');
    c.reply.ok();
  }, '7.2.0'),
  clientSub('pause', -3, ['admin'], 'Suspends commands processing.', [int('timeout'), optional(oneof('mode', [token('WRITE'), token('ALL')]))], (c, argv) => {
    const ms = parseInteger(argv[2]!);
    if (ms === null) {
      c.reply.error('ERR timeout is not an integer or out of range');
      return;
    }
    if (ms < 0) {
      c.reply.error('ERR timeout is negative');
      return;
    }
    let writesOnly = false;
    if (argv.length === 4) {
      if (isWord(argv[3], 'WRITE')) writesOnly = true;
      else if (!isWord(argv[3], 'ALL')) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
    } else if (argv.length > 4) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    c.server.pauseClients(ms, writesOnly);
    c.reply.ok();
  }, '3.0.0'),
  clientSub('unpause', 2, ['admin'], 'Resumes processing commands from paused clients.', undefined, (c) => {
    c.server.unpauseClients();
    c.reply.ok();
  }, '6.2.0'),
  clientSub('reply', 3, [], "Instructs the server whether to reply to commands.", [oneof('action', [token('ON'), token('OFF'), token('SKIP')])], (c, argv) => {
    if (isWord(argv[2], 'ON')) {
      c.replyMode = 'on';
      c.reply.ok();
    } else if (isWord(argv[2], 'OFF')) {
      c.replyMode = 'off';
    } else if (isWord(argv[2], 'SKIP')) {
      if (c.replyMode !== 'off') c.replyMode = 'skip-next';
    } else {
      c.reply.error(ERR_SYNTAX);
    }
  }, '3.2.0'),
  clientSub('no-evict', 3, ['admin'], 'Sets the client eviction mode of the connection.', [oneof('enabled', [token('ON'), token('OFF')])], (c, argv) => onOff(c, argv[2]!, () => {}), '7.0.0'),
  clientSub('no-touch', 3, [], 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', [oneof('enabled', [token('ON'), token('OFF')])], (c, argv) => onOff(c, argv[2]!, () => {}), '7.2.0'),
  clientSub('tracking', -3, [], 'Controls server-assisted client-side caching for the connection.', [oneof('status', [token('ON'), token('OFF')])], (c, argv) => {
    if (isWord(argv[2], 'OFF')) c.reply.ok();
    else if (isWord(argv[2], 'ON')) c.reply.error('ERR client-side caching (CLIENT TRACKING) is not supported by vsetd');
    else c.reply.error(ERR_SYNTAX);
  }, '6.0.0'),
  clientSub('caching', 3, [], 'Instructs the server whether to track the keys in the next request.', [oneof('mode', [token('YES'), token('NO')])], (c) => {
    c.reply.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }, '6.0.0'),
  clientSub('getredir', 2, [], 'Returns the client ID to which the connection\'s tracking notifications are redirected.', undefined, (c) => c.reply.integer(-1), '6.0.0'),
  clientSub('trackinginfo', 2, [], 'Returns information about server-assisted client-side caching for the connection.', undefined, (c) => {
    c.reply.map(3);
    c.reply.bulk('flags');
    c.reply.set(1);
    c.reply.simple('off');
    c.reply.bulk('redirect');
    c.reply.integer(-1);
    c.reply.bulk('prefixes');
    c.reply.array(0);
  }, '6.2.0'),
  clientSub('unblock', -3, ['admin'], 'Unblocks a client blocked by a blocking command from a different connection.', [int('client-id'), optional(oneof('unblock-type', [token('TIMEOUT'), token('ERROR')]))], (c, argv) => {
    if (parseInteger(argv[2]!) === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'TIMEOUT') && !isWord(argv[3], 'ERROR'))) {
      c.reply.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
    // vsetd has no blocking commands, so no client is ever blocked.
    c.reply.integer(0);
  }, '5.0.0'),
  clientSub('help', 2, [], 'Returns helpful text about the different subcommands.', undefined, (c) => replyHelp(c.reply, 'CLIENT', CLIENT_HELP), '5.0.0'),
]);

export const connectionCommands: CommandSpec[] = [
  command('ping', -1, ['fast'], NO_KEYS, ['@fast', '@connection'], { summary: 'Returns the server\'s liveliness response.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [optional(str('message'))] }, (c, argv) => {
    if (argv.length > 2) c.reply.error("ERR wrong number of arguments for 'ping' command");
    else if (c.protocol === 2 && c.subscriptions.active) {
      // A RESP2 connection in pub/sub mode carries messages as arrays; PING answers in kind.
      c.reply.array(2);
      c.reply.bulk('pong');
      c.reply.bulk(argv.length === 2 ? argv[1]! : '');
    } else if (argv.length === 2) c.reply.bulk(argv[1]!);
    else c.reply.simple('PONG');
  }),
  command('echo', 2, ['fast'], NO_KEYS, ['@fast', '@connection'], { summary: 'Returns the given string.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [str('message')] }, (c, argv) => c.reply.bulk(argv[1]!)),
  command('quit', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], NO_KEYS, ['@fast', '@connection'], { summary: 'Closes the connection.', since: '1.0.0', group: G, complexity: 'O(1)', deprecatedSince: '7.2.0', docFlags: ['deprecated'] }, (c) => {
    c.reply.ok();
    c.closing = true;
  }),
  command('reset', 1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], NO_KEYS, ['@fast', '@connection'], { summary: 'Resets the connection.', since: '6.2.0', group: G, complexity: 'O(1)' }, (c) => {
    resetClient(c);
    c.reply.simple('RESET');
  }),
  command('hello', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], NO_KEYS, ['@fast', '@connection'], {
    summary: 'Handshakes with the Redis server.', since: '6.0.0', group: G, complexity: 'O(1)',
    arguments: [optional(block('arguments', [int('protover'), optional(block('auth', [str('username'), str('password')], { token: 'AUTH' })), optional(tokenArg('SETNAME', str('clientname')))]))],
  }, (c, argv) => {
    let version = 0;
    if (argv.length >= 2) {
      const v = parseInteger(argv[1]!);
      if (v === null) {
        c.reply.error('ERR Protocol version is not an integer or out of range');
        return;
      }
      if (v < 2 || v > 3) {
        c.reply.error('NOPROTO unsupported protocol version');
        return;
      }
      version = v;
    }
    let user: Buffer | null = null;
    let pass: Buffer | null = null;
    let name: Buffer | null = null;
    for (let j = 2; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      if (isWord(argv[j], 'AUTH') && more >= 2) {
        c.redact(j + 1);
        c.redact(j + 2);
        user = argv[j + 1]!;
        pass = argv[j + 2]!;
        j += 2;
      } else if (isWord(argv[j], 'SETNAME') && more >= 1) {
        name = argv[j + 1]!;
        if (!printableToken(name)) {
          c.reply.error('ERR Client names cannot contain spaces, newlines or special characters.');
          return;
        }
        j++;
      } else {
        c.reply.error(`ERR Syntax error in HELLO option '${argv[j]!.toString('latin1')}'`);
        return;
      }
    }
    if (user && pass && !c.server.acl.authenticate(c, user, pass, argv[0]!)) {
      c.reply.error(WRONGPASS);
      return;
    }
    if (!c.authenticated) {
      c.reply.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
      return;
    }
    if (name) c.name = name.length === 0 ? null : Buffer.from(name);
    // The switch happens before the reply, so the reply to HELLO 3 is itself RESP3.
    if (version !== 0) c.protocol = version as 2 | 3;
    helloReply(c);
  }),
  command('auth', -2, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], NO_KEYS, ['@fast', '@connection'], {
    summary: 'Authenticates the connection.', since: '1.0.0', group: G, complexity: 'O(N) where N is the number of passwords defined for the user',
    arguments: [optional(str('username', { since: '6.0.0' })), str('password')],
  }, (c, argv) => {
    if (argv.length > 3) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    c.redact(1);
    let user: Buffer;
    let pass: Buffer;
    if (argv.length === 2) {
      if (c.server.acl.defaultUser.nopass) {
        c.reply.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
        return;
      }
      user = Buffer.from('default');
      pass = argv[1]!;
    } else {
      c.redact(2);
      user = argv[1]!;
      pass = argv[2]!;
    }
    if (c.server.acl.authenticate(c, user, pass, argv[0]!)) c.reply.ok();
    else c.reply.error(WRONGPASS);
  }),
  command('select', 2, ['loading', 'stale', 'fast'], NO_KEYS, ['@fast', '@connection'], { summary: 'Changes the selected database.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [int('index')] }, (c, argv) => {
    const n = parseInteger(argv[1]!);
    if (n === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (n > 2 ** 31 - 1 || n < -(2 ** 31)) {
      c.reply.error('ERR value is out of range, value must between -2147483648 and 2147483647');
      return;
    }
    const db = c.server.keyspace.dbs[n];
    if (n < 0 || !db) {
      c.reply.error('ERR DB index is out of range');
      return;
    }
    c.db = db;
    c.reply.ok();
  }),
  clientCommand,
];
