/**
 * SAVE, BGSAVE, BGREWRITEAOF, DUMP, RESTORE, and the DEBUG subcommands persistence tests use
 * (RELOAD, LOADAOF, DIGEST, DIGEST-VALUE, SET-SKIP-CHECKSUM-VALIDATION).
 */
import crypto from 'node:crypto';
import { command, NO_KEYS, ONE_KEY, type CommandSpec } from './types.js';
import { ERR_SYNTAX, isWord, keyOf, parseInteger } from './args.js';
import { int, key, optional, str, token, tokenArg } from './doc-args.js';
import { debugSubcommands } from './server-commands.js';
import { codecForType } from '../persistence/codecs.js';
import { installSnapshot, loadSnapshotFile } from '../persistence/snapshot.js';
import { decodeDump, DumpPayloadError, encodeDump } from '../persistence/dump-payload.js';
import type { Client } from '../server/client.js';
import { declareKeyFlags } from './key-specs.js';
import type { Persistence } from '../persistence/persistence.js';
import type { KeyValue } from '../keyspace/value.js';

const G = 'server';

function persistenceOf(c: Client): Persistence {
  const p = c.server.persistence;
  if (!p) throw new Error('persistence is not initialised');
  return p;
}

/**
 * Order-independent digest of a value: every part its codec reports is hashed on its own and the
 * hashes are XORed, so the same content gives the same digest whatever order the parts come in
 * (a vector set's elements after a reload, say).
 */
export function valueDigest(value: KeyValue): Buffer {
  const acc = Buffer.alloc(20);
  const mix = (part: Uint8Array): void => {
    const h = crypto.createHash('sha1').update(part).digest();
    for (let i = 0; i < 20; i++) acc[i]! ^= h[i]!;
  };
  mix(Buffer.from(value.type));
  codecForType(value.type).capture(value).digest(mix);
  return acc;
}

function datasetDigest(c: Client): string {
  const acc = Buffer.alloc(20);
  let any = false;
  for (const db of c.server.keyspace.dbs) {
    for (const [k, e] of db.keys()) {
      any = true;
      const h = crypto.createHash('sha1').update(`${db.index}\0`).update(Buffer.from(k, 'latin1')).update(valueDigest(e.value)).update(String(e.expireAt)).digest();
      for (let i = 0; i < 20; i++) acc[i]! ^= h[i]!;
    }
  }
  return any ? acc.toString('hex') : '0'.repeat(40);
}

debugSubcommands.set('RELOAD', {
  help: ['RELOAD [NOSAVE]', '    Save the snapshot on disk, empty the dataset and reload it from the file.'],
  run: (c, argv) => {
    const p = persistenceOf(c);
    const noSave = argv.slice(2).some((a) => isWord(a, 'NOSAVE'));
    if (argv.slice(2).some((a) => !isWord(a, 'NOSAVE'))) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    try {
      if (!noSave) p.saveSync();
      const loaded = loadSnapshotFile(p.snapshotPath, c.server.keyspace.dbs.length);
      // One load for keyspace observers, the flush included: they hear only `loaded`.
      const ks = c.server.keyspace;
      ks.load(() => {
        ks.flushAll();
        installSnapshot(ks, loaded);
      });
      c.server.log.notice('DB reloaded by DEBUG RELOAD');
      c.reply.ok();
    } catch (e) {
      c.reply.error(`ERR Error trying to load the snapshot: ${(e as Error).message}`);
    }
  },
});

debugSubcommands.set('LOADAOF', {
  help: ['LOADAOF', '    Flush the AOF buffers on disk and reload the AOF in memory.'],
  run: (c) => {
    const p = persistenceOf(c);
    if (!p.aof.enabled) {
      c.reply.error('ERR The AOF is not enabled');
      return;
    }
    p.aof.sync();
    p.aof.stop();
    const ks = c.server.keyspace;
    try {
      ks.load(() => {
        ks.flushAll();
        p.aof.load();
      });
      p.aof.start();
      c.reply.ok();
    } catch (e) {
      c.reply.error(`ERR Error loading the AOF: ${(e as Error).message}`);
    }
  },
});

debugSubcommands.set('DIGEST', {
  help: ['DIGEST', '    Output a hex signature representing the current dataset.'],
  run: (c) => c.reply.simple(datasetDigest(c)),
});

debugSubcommands.set('DIGEST-VALUE', {
  help: ['DIGEST-VALUE <key> [<key> ...]', '    Output a hex signature of the values of all the specified keys.'],
  run: (c, argv) => {
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const v = c.db.get(keyOf(argv[i]!));
      c.reply.simple(v ? valueDigest(v).toString('hex') : '0'.repeat(40));
    }
  },
});

debugSubcommands.set('SET-SKIP-CHECKSUM-VALIDATION', {
  help: ['SET-SKIP-CHECKSUM-VALIDATION <0|1>', '    Enables or disables checksum checks for RDB files and RESTORE\'s payload.'],
  run: (c, argv) => {
    const n = argv.length === 3 ? parseInteger(argv[2]!) : null;
    if (n === null) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    persistenceOf(c).skipChecksum = n !== 0;
    c.reply.ok();
  },
});

export const persistenceCommands: CommandSpec[] = [
  command('save', 1, ['admin', 'noscript', 'no_multi'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'Synchronously saves the database(s) to disk.', since: '1.0.0', group: G, complexity: 'O(N) where N is the total number of keys in all databases' }, (c) => {
    const p = persistenceOf(c);
    if (p.bgsaveInProgress) {
      c.reply.error('ERR Background save already in progress');
      return;
    }
    try {
      p.saveSync();
      c.reply.ok();
    } catch (e) {
      c.server.log.warning(`SAVE failed: ${(e as Error).message}`);
      c.reply.error('ERR');
    }
  }),
  command('bgsave', -1, ['admin', 'noscript'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'Asynchronously saves the database(s) to disk.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [optional(token('SCHEDULE', { since: '3.2.2' }))] }, (c, argv) => {
    const p = persistenceOf(c);
    const schedule = argv.length === 2 && isWord(argv[1], 'SCHEDULE');
    if (argv.length > 2 || (argv.length === 2 && !schedule)) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    if (p.bgsaveInProgress) {
      c.reply.error('ERR Background save already in progress');
      return;
    }
    if (p.aof.rewriteInProgress) {
      if (schedule) {
        p.scheduleBgsave();
        c.reply.simple('Background saving scheduled');
      } else {
        c.reply.error("ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
      }
      return;
    }
    void p.bgsave();
    c.reply.simple('Background saving started');
  }),
  command('bgrewriteaof', 1, ['admin', 'noscript'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'Asynchronously rewrites the append-only file to disk.', since: '1.0.0', group: G, complexity: 'O(1)' }, (c) => {
    const p = persistenceOf(c);
    if (p.aof.rewriteInProgress) {
      c.reply.error('ERR Background append only file rewriting already in progress');
      return;
    }
    if (p.bgsaveInProgress) {
      p.aof.rewriteScheduled = true;
      c.reply.simple('Background append only file rewriting scheduled');
      return;
    }
    try {
      void p.startRewrite();
      c.reply.simple('Background append only file rewriting started');
    } catch (e) {
      c.reply.error(`ERR Can't rewrite append only file in background: ${(e as Error).message}`);
    }
  }),
  command('dump', 2, ['readonly'], ONE_KEY, ['@keyspace', '@read', '@slow'], { summary: 'Returns a serialized representation of the value stored at a key.', since: '2.6.0', group: 'generic', complexity: 'O(1) to access the key and additional O(N*M) to serialize it', arguments: [key()] }, (c, argv) => {
    const v = c.db.get(keyOf(argv[1]!));
    if (!v) {
      c.reply.null();
      return;
    }
    const codec = codecForType(v.type);
    c.reply.bulk(encodeDump(codec.capture(v), codec.typeId));
  }),
  command('restore', -4, ['write', 'denyoom'], ONE_KEY, ['@keyspace', '@write', '@slow', '@dangerous'], {
    summary: 'Creates a key from the serialized representation of a value.', since: '2.6.0', group: 'generic', complexity: 'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value',
    arguments: [key(), int('ttl'), str('serialized-value'), optional(token('REPLACE', { since: '3.0.0' })), optional(token('ABSTTL', { since: '5.0.0' })), optional(tokenArg('IDLETIME', int('seconds'), { since: '5.0.0' })), optional(tokenArg('FREQ', int('frequency'), { since: '5.0.0' }))],
  }, (c, argv) => {
    let replace = false;
    let absTtl = false;
    for (let i = 4; i < argv.length; i++) {
      if (isWord(argv[i], 'REPLACE')) replace = true;
      else if (isWord(argv[i], 'ABSTTL')) absTtl = true;
      else if ((isWord(argv[i], 'IDLETIME') || isWord(argv[i], 'FREQ')) && i + 1 < argv.length) {
        const n = parseInteger(argv[++i]!);
        if (n === null) {
          c.reply.error('ERR value is not an integer or out of range');
          return;
        }
        if (n < 0) {
          c.reply.error(isWord(argv[i - 1], 'IDLETIME') ? 'ERR Invalid IDLETIME value, must be >= 0' : 'ERR Invalid FREQ value, must be >= 0 and <= 255');
          return;
        }
      } else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
    }
    const ttl = parseInteger(argv[2]!);
    if (ttl === null) {
      c.reply.error('ERR value is not an integer or out of range');
      return;
    }
    if (ttl < 0) {
      c.reply.error('ERR Invalid TTL value, must be >= 0');
      return;
    }
    const k = keyOf(argv[1]!);
    if (!replace && c.db.has(k)) {
      c.reply.error('BUSYKEY Target key name already exists.');
      return;
    }
    let value: KeyValue;
    try {
      value = decodeDump(argv[3]!, persistenceOf(c).skipChecksum);
    } catch (e) {
      if (e instanceof DumpPayloadError) {
        c.reply.error(e.message);
        return;
      }
      throw e;
    }
    const expireAt = ttl === 0 ? 0 : absTtl ? ttl : Date.now() + ttl;
    if (expireAt !== 0 && expireAt <= Date.now()) {
      // Already expired: like Redis, the key is not created (an existing one is removed).
      value.release?.();
      if (c.db.delete(k)) c.server.dirty++;
      c.reply.ok();
      return;
    }
    if (c.db.has(k)) c.db.delete(k);
    c.db.add(k, value, expireAt);
    c.server.dirty++;
    if (expireAt !== 0) {
      c.propagateAs = [argv[0]!, argv[1]!, Buffer.from(String(expireAt)), argv[3]!, Buffer.from('REPLACE'), Buffer.from('ABSTTL')];
    }
    c.reply.ok();
  }),
];

declareKeyFlags(persistenceCommands, { restore: ['OW', 'UPDATE'] });
