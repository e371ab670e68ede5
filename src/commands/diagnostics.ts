/**
 * SLOWLOG, LATENCY and MONITOR, with Redis's replies and errors (slowlog.c, latency.c,
 * server.c's monitorCommand). What they read is kept by src/server/slowlog.ts, latency.ts and
 * monitor.ts, fed from the dispatcher's call().
 */
import { command, container, NO_KEYS, type CommandSpec } from './types.js';
import { parseInteger } from './args.js';
import { int, optional, str } from './doc-args.js';
import { replyHelp } from './connection.js';
import type { Client } from '../server/client.js';

const G = 'server';

const SLOWLOG_HELP = [
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
];

const LATENCY_HELP = [
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
];

function subcommandSyntaxError(c: Client, argv: Buffer[]): void {
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!.toString('latin1').slice(0, 128)}'. Try ${argv[0]!.toString('latin1').toUpperCase()} HELP.`);
}

function slowlogGet(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) return subcommandSyntaxError(c, argv);
  let count = 10;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]!);
    if (n === null || n < -1) {
      c.reply.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = n;
  }
  c.server.slowlog.reply(c.reply, count);
}

function monitor(c: Client): void {
  // A client inside EXEC expects one reply per command, so it cannot become a monitor.
  if (c.inExec) {
    c.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  // Already monitoring (or a replica): Redis ignores the command, with no reply at all.
  if (c.monitor || c.replicationLink === 'replica') return;
  c.server.monitors.add(c);
  c.reply.ok();
}

const ADMIN: CommandSpec['flags'] = ['admin', 'loading', 'stale'];
const ADMIN_NOSCRIPT: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];

const sub = (name: string, arity: number, flags: CommandSpec['flags'], summary: string, since: string, complexity: string, args: CommandSpec['docs']['arguments'], handler: (c: Client, argv: Buffer[]) => void): CommandSpec =>
  command(name, arity, flags, NO_KEYS, [], { summary, since, group: G, complexity, arguments: args }, handler);

export const diagnosticCommands: CommandSpec[] = [
  container('slowlog', -2, [], { summary: 'A container for slow log commands.', since: '2.2.12', group: G, complexity: 'Depends on subcommand.' }, [
    sub('get', -2, ADMIN, "Returns the slow log's entries.", '2.2.12', 'O(N) where N is the number of entries returned', [optional(int('count'))], slowlogGet),
    sub('len', 2, ADMIN, 'Returns the number of entries in the slow log.', '2.2.12', 'O(1)', undefined, (c) => c.reply.integer(c.server.slowlog.length)),
    sub('reset', 2, ADMIN, 'Clears all entries from the slow log.', '2.2.12', 'O(N) where N is the number of entries in the slowlog', undefined, (c) => {
      c.server.slowlog.reset();
      c.reply.ok();
    }),
    sub('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', '6.2.0', 'O(1)', undefined, (c) => replyHelp(c.reply, 'SLOWLOG', SLOWLOG_HELP)),
  ]),
  container('latency', -2, [], { summary: 'A container for latency diagnostics commands.', since: '2.8.13', group: G, complexity: 'Depends on subcommand.' }, [
    sub('latest', 2, ADMIN_NOSCRIPT, 'Returns the latest latency samples for all events.', '2.8.13', 'O(1)', undefined, (c) => c.server.latency.replyLatest(c.reply)),
    sub('history', 3, ADMIN_NOSCRIPT, 'Returns timestamp-latency samples for an event.', '2.8.13', 'O(1)', [str('event')], (c, argv) => c.server.latency.replyHistory(c.reply, argv[2]!.toString('latin1'))),
    sub('reset', -2, ADMIN_NOSCRIPT, 'Resets the latency data for one or more events.', '2.8.13', 'O(1)', [str('event', { optional: true, multiple: true })], (c, argv) =>
      c.reply.integer(c.server.latency.reset(argv.slice(2).map((a) => a.toString('latin1')))),
    ),
    sub('help', 2, ['loading', 'stale'], 'Returns helpful text about the different subcommands.', '2.8.13', 'O(1)', undefined, (c) => replyHelp(c.reply, 'LATENCY', LATENCY_HELP)),
  ]),
  command('monitor', 1, ADMIN_NOSCRIPT, NO_KEYS, [], { summary: 'Listens for all requests received by the server in real-time.', since: '1.0.0', group: G, complexity: 'O(1)' }, monitor),
];
