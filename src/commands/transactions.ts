/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH.
 *
 * Queued commands were already resolved and arity-checked when queued (the dispatcher does that
 * and flags the transaction on any rejection). EXEC runs them back to back on the main thread, so
 * no other client's command can interleave; commands that could run elsewhere (VSIM in a worker)
 * see `c.inExec` and run inline. The writes of one EXEC reach the AOF wrapped in MULTI/EXEC so a
 * crash cannot leave half a transaction on disk.
 */
import { command, ALL_KEYS, NO_KEYS, type CommandSpec } from './types.js';
import { keyOf } from './args.js';
import { key } from './doc-args.js';
import type { Client } from '../server/client.js';
import { declareKeyFlags } from './key-specs.js';

const G = 'transactions';

function discardTransaction(c: Client): void {
  c.multi = null;
  c.multiError = false;
  c.unwatchAll();
}

function exec(c: Client): void {
  if (!c.multi) {
    c.reply.error('ERR EXEC without MULTI');
    return;
  }
  if (c.multiError) {
    discardTransaction(c);
    c.reply.error('EXECABORT Transaction discarded because of previous errors.');
    return;
  }
  // A watched key whose TTL ran out since WATCH counts as modified: looking it up removes it and
  // that removal flags this client.
  for (const k of c.watchedKeys) {
    const sep = k.indexOf('\0');
    c.server.keyspace.dbs[Number(k.slice(0, sep))]!.lookup(k.slice(sep + 1));
  }
  if (c.watchDirty) {
    discardTransaction(c);
    c.reply.nullArray();
    return;
  }
  const queued = c.multi;
  c.multi = null;
  c.multiError = false;
  c.unwatchAll();
  c.reply.array(queued.length);
  c.inExec = true;
  c.server.beginTransactionPropagation();
  try {
    for (const q of queued) {
      // The ACL rules may have changed since the command was queued: check again (as Redis).
      const denied = c.server.acl.recheckQueued(c, q.spec, q.argv);
      if (denied !== null) c.reply.error(denied);
      else c.server.call(c, q.spec, q.argv);
    }
  } finally {
    c.inExec = false;
    c.server.endTransactionPropagation();
  }
}

export const transactionCommands: CommandSpec[] = [
  command('multi', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], NO_KEYS, ['@fast', '@transaction'], { summary: 'Starts a transaction.', since: '1.2.0', group: G, complexity: 'O(1)' }, (c) => {
    if (c.multi) {
      c.reply.error('ERR MULTI calls can not be nested');
      return;
    }
    c.multi = [];
    c.multiError = false;
    c.reply.ok();
  }),
  command('exec', 1, ['noscript', 'loading', 'stale', 'skip_slowlog'], NO_KEYS, ['@slow', '@transaction'], { summary: 'Executes all commands in a transaction.', since: '1.2.0', group: G, complexity: 'Depends on commands in the transaction' }, exec),
  command('discard', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], NO_KEYS, ['@fast', '@transaction'], { summary: 'Discards a transaction.', since: '2.0.0', group: G, complexity: 'O(N), when N is the number of queued commands' }, (c) => {
    if (!c.multi) {
      c.reply.error('ERR DISCARD without MULTI');
      return;
    }
    discardTransaction(c);
    c.reply.ok();
  }),
  command('watch', -2, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], ALL_KEYS, ['@fast', '@transaction'], { summary: 'Monitors changes to keys to determine the execution of a transaction.', since: '2.2.0', group: G, complexity: 'O(1) for every key.', arguments: [key('key', { multiple: true })] }, (c, argv) => {
    if (c.multi) {
      c.reply.error('ERR WATCH inside MULTI is not allowed');
      return;
    }
    for (let i = 1; i < argv.length; i++) {
      const k = keyOf(argv[i]!);
      const id = `${c.dbIndex}\0${k}`;
      if (c.watchedKeys.has(id)) continue;
      // Remove a key that is already logically expired now, so its removal later does not count
      // as a change made after WATCH.
      c.db.lookup(k);
      c.watchedKeys.add(id);
      c.server.keyspace.watch(c.dbIndex, k, c);
    }
    c.reply.ok();
  }),
  command('unwatch', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], NO_KEYS, ['@fast', '@transaction'], { summary: 'Forgets about watched keys of a transaction.', since: '2.2.0', group: G, complexity: 'O(1)' }, (c) => {
    c.unwatchAll();
    c.reply.ok();
  }),
];

declareKeyFlags(transactionCommands, { watch: ['RO'] });
