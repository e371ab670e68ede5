/**
 * Server administration and introspection: INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME,
 * SHUTDOWN, MEMORY, LASTSAVE, DEBUG and COMMAND (ROLE is in replication/commands.ts).
 */
import { command, container, NO_KEYS, type CommandHandler, type CommandSpec } from './types.js';
import { ERR_SYNTAX, isWord, keyOf, parseDouble, parseInteger, word } from './args.js';
import { int, key, oneof, optional, str, token, tokenArg, block } from './doc-args.js';
import { replyHelp } from './connection.js';
import { introspectionCommands } from './introspection.js';
import { infoText } from '../server/info.js';
import { Config, ConfigError } from '../server/config.js';
import { rewriteConfigFile } from '../server/config-rewrite.js';
import type { Client } from '../server/client.js';
import { declareKeyFlags } from './key-specs.js';
import { fullGc } from '../server/full-gc.js';
import { TLS_CONTEXT_OPTIONS, tlsContextOptions } from '../server/tls.js';

const G = 'server';

/** Approximate bytes Redis adds per key: dict entry, key sds header, robj. */
const KEY_OVERHEAD = 56;

function flushArgs(c: Client, argv: Buffer[]): boolean {
  if (argv.length > 2 || (argv.length === 2 && !isWord(argv[1], 'ASYNC') && !isWord(argv[1], 'SYNC'))) {
    c.reply.error(ERR_SYNTAX);
    return false;
  }
  return true;
}

// ---- CONFIG ------------------------------------------------------------------------------------

function configGet(c: Client, argv: Buffer[]): void {
  const seen = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    for (const [k, v] of c.server.config.matching(argv[i]!.toString())) seen.set(k, v);
  }
  c.reply.map(seen.size);
  for (const [k, v] of seen) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function configSet(c: Client, argv: Buffer[]): void {
  if ((argv.length - 2) % 2 !== 0) {
    c.reply.error("ERR wrong number of arguments for 'config|set' command");
    return;
  }
  const config = c.server.config;
  const pairs: Array<[string, string]> = [];
  const names = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]!.toString();
    const spec = Config.spec(name);
    if (!spec) {
      c.reply.error(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      return;
    }
    if (names.has(spec.name)) {
      c.reply.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
      return;
    }
    names.add(spec.name);
    // As Redis's SENSITIVE_CONFIG: never shown by SLOWLOG or MONITOR.
    if (spec.name === 'requirepass' || spec.name === 'tls-key-file-pass') c.redact(i + 1);
    pairs.push([spec.name, argv[i + 1]!.toString()]);
  }
  // Validate everything on a scratch copy first so a bad value leaves no option changed. The copy
  // starts from the current values: some options change only part of theirs (one class of
  // client-output-buffer-limit).
  const scratch = config.copy();
  for (const [name, value] of pairs) {
    const spec = Config.spec(name)!;
    if (!spec.mutable) {
      c.reply.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
      return;
    }
    try {
      scratch.set(name, [value], false);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      c.reply.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${e.message}`);
      return;
    }
  }
  // New TLS settings must make a working context before any is applied (Redis's applyTlsCfg).
  const tlsChange = pairs.find(([name]) => TLS_CONTEXT_OPTIONS.includes(name));
  if (tlsChange && config.int('tls-port') !== 0) {
    try {
      tlsContextOptions(scratch);
    } catch (e) {
      c.server.log.warning((e as Error).message);
      c.reply.error(`ERR CONFIG SET failed (possibly related to argument '${tlsChange[0]}') - Unable to update TLS configuration. Check server logs.`);
      return;
    }
  }
  for (const [name] of pairs) config.set(name, [scratch.get(name)], false);
  c.reply.ok();
}

/** CONFIG REWRITE: rewrites the config file the server started with (config-rewrite.ts). */
function configRewrite(c: Client): void {
  const config = c.server.config;
  if (config.configFile === '') {
    c.reply.error('ERR The server is running without a config file');
    return;
  }
  try {
    const users = c.server.acl.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
    rewriteConfigFile(config.configFile, config, users);
  } catch (e) {
    c.server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
    c.reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
    return;
  }
  c.server.log.notice('CONFIG REWRITE executed with success.');
  c.reply.ok();
}

const CONFIG_HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
];

const configSub = (name: string, arity: number, summary: string, since: string, args: CommandSpec['docs']['arguments'], handler: CommandHandler): CommandSpec =>
  command(name, arity, ['admin', 'noscript', 'loading', 'stale'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary, since, group: G, complexity: 'O(N) when N is the number of configuration parameters provided', arguments: args }, handler);

const configCommand = container('config', -2, ['@slow'], { summary: 'A container for server configuration commands.', since: '2.0.0', group: G, complexity: 'Depends on subcommand.' }, [
  configSub('get', -3, 'Returns the effective values of configuration parameters.', '2.0.0', [str('parameter', { multiple: true })], configGet),
  configSub('set', -4, 'Sets configuration parameters in-flight.', '2.0.0', [block('data', [str('parameter'), str('value')], { multiple: true })], configSet),
  configSub('resetstat', 2, 'Resets the server\'s statistics.', '2.0.0', undefined, (c) => {
    c.server.resetStats();
    c.reply.ok();
  }),
  configSub('rewrite', 2, 'Persists the effective configuration to file.', '2.8.0', undefined, configRewrite),
  configSub('help', 2, 'Returns helpful text about the different subcommands.', '5.0.0', undefined, (c) => replyHelp(c.reply, 'CONFIG', CONFIG_HELP)),
]);

// ---- MEMORY ------------------------------------------------------------------------------------

const MEMORY_HELP = [
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
];

const memorySub = (name: string, arity: number, flags: CommandSpec['flags'], keys: [number, number, number], summary: string, args: CommandSpec['docs']['arguments'], handler: CommandHandler): CommandSpec =>
  command(name, arity, flags, keys, ['@slow'], { summary, since: '4.0.0', group: G, complexity: 'O(1)', arguments: args }, handler);

const memoryCommand = container('memory', -2, ['@slow'], { summary: 'A container for memory diagnostics commands.', since: '4.0.0', group: G, complexity: 'Depends on subcommand.' }, [
  memorySub('usage', -3, ['readonly'], [2, 2, 1], 'Estimates the memory usage of a key.', [key(), optional(tokenArg('SAMPLES', int('count')))], (c, argv) => {
    if (argv.length > 3) {
      if (argv.length !== 5 || !isWord(argv[3], 'SAMPLES')) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      const n = parseInteger(argv[4]!);
      if (n === null) {
        c.reply.error('ERR value is not an integer or out of range');
        return;
      }
    }
    const k = keyOf(argv[2]!);
    const v = c.db.get(k);
    if (!v) c.reply.null();
    else c.reply.integer(KEY_OVERHEAD + k.length + v.memoryUsage());
  }),
  memorySub('doctor', 2, [], NO_KEYS, 'Outputs a memory problems report.', undefined, (c) => {
    const used = c.server.usedMemory();
    c.reply.verbatim(
      used < 5 * 1024 * 1024
        ? 'Hi Sam, this instance is empty or is using very little memory, my issues detector can\'t be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.'
        : 'Hi Sam, I can\'t find any memory issue in your instance. I can only account for what occurs on this base.',
    );
  }),
  memorySub('stats', 2, [], NO_KEYS, 'Returns details about memory usage.', undefined, (c) => {
    const m = process.memoryUsage();
    const entries: Array<[string, number]> = [
      ['peak.allocated', c.server.peakMemory],
      ['total.allocated', c.server.usedMemory()],
      ['startup.allocated', 0],
      ['keys.count', c.server.keyspace.totalKeys()],
      ['dataset.bytes', m.arrayBuffers],
      ['heap.used', m.heapUsed],
      ['heap.total', m.heapTotal],
      ['rss', m.rss],
    ];
    c.reply.map(entries.length);
    for (const [k, v] of entries) {
      c.reply.bulk(k);
      c.reply.integer(v);
    }
  }),
  memorySub('malloc-stats', 2, [], NO_KEYS, 'Returns the allocator statistics.', undefined, (c) => c.reply.verbatim('Stats not supported for the current allocator')),
  memorySub('purge', 2, [], NO_KEYS, 'Asks the allocator to release memory.', undefined, (c) => {
    // The closest Node equivalent of jemalloc's purge is a full GC: afterwards used_memory counts
    // live objects only, not garbage the collector has not reached yet (tens of MB after a burst
    // of writes, which made memory figures taken after a purge depend on GC timing).
    fullGc();
    c.reply.ok();
  }),
  memorySub('help', 2, [], NO_KEYS, 'Returns helpful text about the different subcommands.', undefined, (c) => replyHelp(c.reply, 'MEMORY', MEMORY_HELP)),
]);
declareKeyFlags(memoryCommand.subcommands!, { usage: ['RO'] });

// ---- DEBUG -------------------------------------------------------------------------------------

/** DEBUG subcommands; persistence registers RELOAD, DIGEST … here. */
export const debugSubcommands = new Map<string, { help: string[]; run: CommandHandler }>();

debugSubcommands.set('SLEEP', {
  help: ['SLEEP <seconds>', '    Stop the server for <seconds>. Decimals allowed.'],
  run: (c, argv) => {
    const s = argv.length === 3 ? parseDouble(argv[2]!) : null;
    if (s === null || s < 0) {
      c.reply.error('ERR value is not a valid float');
      return;
    }
    // Block the event loop as Redis blocks its main thread: that is what tests use it for.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s * 1000);
    c.reply.ok();
  },
});

function isLocal(c: Client): boolean {
  const a = c.socket.remoteAddress;
  return a === undefined || a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

const debugCommand = command('debug', -2, ['admin', 'noscript', 'loading', 'stale'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'A container for debugging commands.', since: '1.0.0', group: G, complexity: 'Depends on subcommand.', docFlags: ['syscmd'] }, (c, argv) => {
  const mode = c.server.config.get('enable-debug-command');
  if (mode === 'no' || (mode === 'local' && !isLocal(c))) {
    c.reply.error('ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.');
    return;
  }
  const sub = word(argv[1]!);
  if (sub === 'HELP') {
    const lines: string[] = [];
    for (const d of debugSubcommands.values()) lines.push(...d.help);
    replyHelp(c.reply, 'DEBUG', lines);
    return;
  }
  const d = debugSubcommands.get(sub);
  if (!d) {
    c.reply.error(`ERR unknown subcommand '${argv[1]!.toString('latin1')}'. Try DEBUG HELP.`);
    return;
  }
  d.run(c, argv);
});

// ---- the rest ----------------------------------------------------------------------------------

export const serverCommands: CommandSpec[] = [
  command('info', -1, ['loading', 'stale'], NO_KEYS, ['@slow', '@dangerous'], { summary: 'Returns information and statistics about the server.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [str('section', { optional: true, multiple: true })] }, (c, argv) => {
    c.reply.verbatim(infoText(c.server, argv.slice(1).map((a) => a.toString())));
  }),
  command('dbsize', 1, ['readonly', 'fast'], NO_KEYS, ['@keyspace', '@read', '@fast'], { summary: 'Returns the number of keys in the database.', since: '1.0.0', group: G, complexity: 'O(1)' }, (c) => c.reply.integer(c.db.size)),
  command('flushdb', -1, ['write'], NO_KEYS, ['@keyspace', '@write', '@slow', '@dangerous'], { summary: 'Removes all keys from the current database.', since: '1.0.0', group: G, complexity: 'O(N) where N is the number of keys in the selected database', arguments: [optional(oneof('flush-type', [token('ASYNC'), token('SYNC')]))] }, (c, argv) => {
    if (!flushArgs(c, argv)) return;
    c.server.dirty += c.db.flush() + 1;
    c.reply.ok();
  }),
  command('flushall', -1, ['write'], NO_KEYS, ['@keyspace', '@write', '@slow', '@dangerous'], { summary: 'Removes all keys from all databases.', since: '1.0.0', group: G, complexity: 'O(N) where N is the total number of keys in all databases', arguments: [optional(oneof('flush-type', [token('ASYNC'), token('SYNC')]))] }, (c, argv) => {
    if (!flushArgs(c, argv)) return;
    c.server.dirty += c.server.keyspace.flushAll() + 1;
    // As Redis: with save points configured, write the (now empty) snapshot at once, so a restart
    // cannot bring the flushed data back from an older dump.
    const p = c.server.persistence;
    if (p && c.server.config.get('save') !== '' && !p.bgsaveInProgress) {
      try {
        p.saveSync();
      } catch (e) {
        c.server.log.warning(`Snapshot after FLUSHALL failed: ${(e as Error).message}`);
      }
    }
    // The save reset the change counter; the FLUSHALL itself must still reach the AOF.
    c.forcePropagation = true;
    c.reply.ok();
  }),
  command('time', 1, ['loading', 'stale', 'fast'], NO_KEYS, ['@fast'], { summary: 'Returns the server time.', since: '2.6.0', group: G, complexity: 'O(1)' }, (c) => {
    const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
    c.reply.array(2);
    c.reply.bulk((us / 1000000n).toString());
    c.reply.bulk((us % 1000000n).toString());
  }),
  command('lastsave', 1, ['loading', 'stale', 'fast'], NO_KEYS, ['@admin', '@fast', '@dangerous'], { summary: 'Returns the Unix timestamp of the last successful save to disk.', since: '1.0.0', group: G, complexity: 'O(1)' }, (c) => c.reply.integer(c.server.lastSaveTime)),
  command('shutdown', -1, ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], NO_KEYS, ['@admin', '@slow', '@dangerous'], {
    summary: 'Synchronously saves the database(s) to disk and shuts down the Redis server.', since: '1.0.0', group: G, complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    arguments: [optional(oneof('save-selector', [token('NOSAVE'), token('SAVE')])), optional(token('NOW')), optional(token('FORCE')), optional(token('ABORT'))],
  }, (c, argv) => {
    let save: boolean | null = null;
    let force = false;
    for (let i = 1; i < argv.length; i++) {
      const w = word(argv[i]!);
      if (w === 'NOSAVE') save = false;
      else if (w === 'SAVE') save = true;
      else if (w === 'FORCE') force = true;
      else if (w === 'ABORT') {
        c.reply.error('ERR No shutdown in progress.');
        return;
      } else if (w !== 'NOW') {
        c.reply.error(ERR_SYNTAX);
        return;
      }
    }
    // The reply only comes back when shutting down failed; on success the connection just closes.
    c.deferReply(c.server.shutdown(save, { force }).then((err) => (w) => {
      if (err) w.error(err);
      else w.ok();
    }));
  }),
  configCommand,
  memoryCommand,
  debugCommand,
  ...introspectionCommands,
];
