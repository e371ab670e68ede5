/**
 * The replication commands, with Redis's arities, flags, replies and error texts:
 * REPLICAOF / SLAVEOF, ROLE, WAIT, and the ones replicas send their primary (REPLCONF, PSYNC,
 * SYNC; REPLCONF GETACK also goes the other way).
 */
import { command, NO_KEYS, type CommandSpec } from '../commands/types.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, isWord, parseInteger, word } from '../commands/args.js';
import { int, oneof, block, str, token } from '../commands/doc-args.js';
import { clientInfoLine } from '../server/client-info.js';
import type { Client } from '../server/client.js';

const G = 'server';

function replicaof(c: Client, argv: Buffer[]): void {
  const repl = c.server.replication;
  const log = c.server.log;
  if (isWord(argv[1], 'NO') && isWord(argv[2], 'ONE')) {
    if (repl.isReplica) {
      repl.unsetPrimary();
      log.notice(`MASTER MODE enabled (user request from '${clientInfoLine(c).trimEnd()}')`);
    }
    c.reply.ok();
    return;
  }
  // It would drop this very connection with the rest of the replicas' links.
  if (c.replicationLink === 'replica') {
    c.reply.error('ERR Command is not valid when client is a replica.');
    return;
  }
  const port = parseInteger(argv[2]!);
  if (port === null || port < 0 || port > 65535) {
    c.reply.error('ERR Invalid master port');
    return;
  }
  const host = argv[1]!.toString();
  if (repl.isReplica && repl.primaryHost!.toLowerCase() === host.toLowerCase() && repl.primaryPort === port) {
    log.notice('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.reply.simple('OK Already connected to specified master');
    return;
  }
  repl.setPrimary(host, port);
  log.notice(`REPLICAOF ${host}:${port} enabled (user request from '${clientInfoLine(c).trimEnd()}')`);
  c.reply.ok();
}

/**
 * REPLCONF <option> <value> …: a replica's handshake, and its ACKs, which get no reply. GETACK
 * comes from this server's primary and is answered with an ACK on the link.
 */
function replconf(c: Client, argv: Buffer[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const repl = c.server.replication;
  const info = repl.primary.handshakeOf(c);
  for (let j = 1; j < argv.length; j += 2) {
    const opt = word(argv[j]!);
    const val = argv[j + 1]!;
    if (opt === 'LISTENING-PORT') {
      const port = parseInteger(val);
      if (port === null) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      info.listeningPort = port;
    } else if (opt === 'IP-ADDRESS') {
      if (val.length >= 256) {
        c.reply.error(`ERR REPLCONF ip-address provided by replica instance is too long: ${val.length} bytes`);
        return;
      }
      // It is printed into INFO, which Sentinel parses: no separators or control bytes.
      if (val.some((b) => b <= 32 || b === 44 || b >= 127)) {
        c.reply.error('ERR REPLCONF ip-address provided by replica instance is not a valid address');
        return;
      }
      info.ip = val.toString('latin1');
    } else if (opt === 'CAPA') {
      // Capabilities this server does not know are ignored, as Redis does.
      if (isWord(val, 'EOF')) info.capaEof = true;
      else if (isWord(val, 'PSYNC2')) info.capaPsync2 = true;
    } else if (opt === 'ACK') {
      const offset = parseInteger(val);
      if (c.replicationLink === 'replica' && offset !== null) repl.primary.ack(c, offset);
      return;
    } else if (opt === 'GETACK') {
      if (c.replicationLink === 'master') repl.link?.sendAck();
      return;
    } else if (opt === 'RDB-ONLY') {
      const n = parseInteger(val);
      if (n === null || n < 0 || n > 1) {
        c.reply.error(n === null ? ERR_NOT_INTEGER : 'ERR value is out of range, must be between 0 and 1');
        return;
      }
    } else {
      c.reply.error(`ERR Unrecognized REPLCONF option: ${argv[j]!.toString('latin1')}`);
      return;
    }
  }
  c.reply.ok();
}

function psync(c: Client, argv: Buffer[]): void {
  // A replica asking again is ignored, as Redis does; so is this server's own primary.
  if (c.replicationLink !== null) return;
  const repl = c.server.replication;
  if (repl.isReplica && !repl.linkConnected) {
    c.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  if (argv.length === 1) {
    repl.primary.psync(c, '?', -1, true);
    return;
  }
  const offset = parseInteger(argv[2]!);
  if (offset === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  repl.primary.psync(c, argv[1]!.toString('latin1'), offset, false);
}

function wait(c: Client, argv: Buffer[]): void {
  const repl = c.server.replication;
  if (repl.isReplica) {
    c.reply.error('ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.');
    return;
  }
  const want = parseInteger(argv[1]!);
  if (want === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const timeout = parseInteger(argv[2]!);
  if (timeout === null) {
    c.reply.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (timeout < 0) {
    c.reply.error('ERR timeout is negative');
    return;
  }
  const acked = repl.primary.countAcks(c.woff);
  // Inside EXEC nothing may block: the count so far is the answer.
  if (acked >= want || c.inExec) {
    c.reply.integer(acked);
    return;
  }
  repl.primary.wait(c, c.woff, want, timeout);
}

const replicaofDocs = (name: string): CommandSpec['docs'] => ({
  summary: name === 'replicaof' ? 'Configures a server as replica of another, or promotes it to a master.' : 'Sets a Redis server as a replica of another, or promotes it to being a master.',
  since: name === 'replicaof' ? '5.0.0' : '1.0.0',
  group: 'server',
  complexity: 'O(1)',
  arguments: [oneof('args', [block('host-port', [str('host'), int('port')]), block('no-one', [token('NO'), token('ONE')])])],
  ...(name === 'slaveof' ? { deprecatedSince: '5.0.0', replacedBy: '`REPLICAOF`', docFlags: ['deprecated'] } : {}),
});

export const replicationCommands: CommandSpec[] = [
  command('replicaof', 3, ['admin', 'noscript', 'stale'], NO_KEYS, ['@admin', '@slow', '@dangerous'], replicaofDocs('replicaof'), replicaof),
  command('slaveof', 3, ['admin', 'noscript', 'stale'], NO_KEYS, ['@admin', '@slow', '@dangerous'], replicaofDocs('slaveof'), replicaof),
  command('role', 1, ['noscript', 'loading', 'stale', 'fast'], NO_KEYS, ['@admin', '@fast', '@dangerous'], { summary: 'Returns the replication role.', since: '2.8.12', group: G, complexity: 'O(1)' }, (c) => c.server.replication.roleReply(c)),
  command('replconf', -1, ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'An internal command for configuring the replication stream.', since: '3.0.0', group: G, complexity: 'O(1)', docFlags: ['syscmd'] }, replconf),
  command('psync', -3, ['admin', 'noscript', 'no_multi'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'An internal command used in replication.', since: '2.8.0', group: G, arguments: [str('replicationid'), int('offset')] }, psync),
  command('sync', 1, ['admin', 'noscript', 'no_multi'], NO_KEYS, ['@admin', '@slow', '@dangerous'], { summary: 'An internal command used in replication.', since: '1.0.0', group: G }, psync),
  command('wait', 3, ['noscript', 'blocking'], NO_KEYS, ['@slow', '@blocking', '@connection'], { summary: 'Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.', since: '3.0.0', group: 'generic', complexity: 'O(1)', arguments: [int('numreplicas'), int('timeout')] }, wait),
];
