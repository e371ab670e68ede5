/**
 * Command dispatch: processCommand's checks, in Redis's order, before a command may run, and
 * call(), which runs it and does the bookkeeping after it (commandstats and errorstats, the
 * latency monitor, the slow log and MONITOR, propagation to the AOF and replicas, CLIENT REPLY).
 *
 * Separate from server.ts, whose Server keeps the state these read (and delegates its
 * processCommand and call here), because it is the one long piece of the server that is logic
 * rather than plumbing; everything it needs of the server is public.
 */
import type { Client } from './client.js';
import type { CommandStats, Server } from './server.js';
import { fullName } from '../commands/table.js';
import type { CommandSpec } from '../commands/types.js';
import type { ExpiryMode } from '../keyspace/keyspace.js';
import { isMemoryFailure, memoryErrorText } from '../vset/placement.js';
import { RESP2_PUBSUB_COMMANDS } from './pubsub.js';
import { TO_REPLICAS } from './propagation.js';
import { LatencyHistogram } from './latency-stats.js';

/** Commands allowed while a MULTI is open rather than queued. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Redis's processCommand: the checks that may refuse or queue a request, then call(). */
export function processCommand(server: Server, c: Client, argv: Buffer[]): void {
  const res = server.commands.resolve(argv);
  if (!res.spec) {
    reject(server, c, res.error, null);
    return;
  }
  const spec = res.spec;
  const flags = spec.flags;
  // CLIENT LIST's cmd=: the command last received, queued or refused ones included (as Redis).
  c.lastCommand = fullName(spec).toLowerCase();
  if (!flags.includes('no_auth') && server.acl.authRequired(c)) {
    reject(server, c, 'NOAUTH Authentication required.', spec);
    return;
  }
  if (c.multi && flags.includes('no_multi')) {
    reject(server, c, 'ERR Command not allowed inside a transaction', spec);
    return;
  }
  // ACLs, in Redis's place: after authentication, before anything else can refuse.
  const denied = server.acl.checkCommand(c, spec, argv);
  if (denied !== null) {
    reject(server, c, denied, spec);
    return;
  }
  // A MONITOR connection is a replica in Redis's eyes: it may not touch the keyspace.
  if (c.monitor && (flags.includes('write') || flags.includes('readonly') || flags.includes('may_replicate'))) {
    reject(server, c, "ERR Replica can't interact with the keyspace", spec);
    return;
  }
  // Replication's refusals, in Redis's order around the pub/sub and loading checks; this
  // server's primary (the link's own client) is obeyed whatever they say.
  const obey = c.replicationLink === 'master';
  const refusal = obey ? null : server.replication.refusal(c, spec);
  if (refusal !== null && refusal.before === 'pubsub') {
    refuse(server, c, refusal.error, spec);
    return;
  }
  if (c.protocol === 2 && c.subscriptions.active && !RESP2_PUBSUB_COMMANDS.has(spec.parent ? '' : spec.name)) {
    reject(server, c, `ERR Can't execute '${fullName(spec)}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`, spec);
    return;
  }
  if (refusal !== null && refusal.before === 'loading') {
    refuse(server, c, refusal.error, spec);
    return;
  }
  if (server.loading && !flags.includes('loading')) {
    reject(server, c, 'LOADING Redis is loading the dataset in memory', spec);
    return;
  }
  if (refusal !== null) {
    refuse(server, c, refusal.error, spec);
    return;
  }
  if (c.multi && !MULTI_IMMEDIATE.has(spec.parent ? '' : spec.name)) {
    // As Redis: above maxmemory nothing is queued (queueing grows memory too), and the
    // refusal makes EXEC abort, so a write cannot get past maxmemory inside a transaction.
    if (!obey && overMaxmemory(server)) {
      reject(server, c, "OOM command not allowed when used memory > 'maxmemory'.", spec);
      return;
    }
    c.multi.push({ spec, argv });
    c.reply.simple('QUEUED');
    return;
  }
  if (flags.includes('write') && !obey) {
    const denied = server.denyWrites();
    if (denied !== null) {
      reject(server, c, denied, spec);
      return;
    }
  }
  if (flags.includes('denyoom') && !obey && overMaxmemory(server)) {
    reject(server, c, "OOM command not allowed when used memory > 'maxmemory'.", spec);
    return;
  }
  call(server, c, spec, argv);
}

/** Runs a resolved command, recording stats and propagating writes. */
export function call(server: Server, c: Client, spec: CommandSpec, argv: Buffer[]): void {
  const quiet = c.replyMode === 'off' || c.replyMode === 'skip';
  if (quiet) c.sealReplies();
  const dbBefore = c.dbIndex;
  const dirtyBefore = server.dirty;
  const errorsBefore = c.reply.errors;
  c.propagateAs = null;
  c.forcePropagation = false;
  c.replicateOnly = false;
  c.lastCommand = fullName(spec).toLowerCase();
  const offsetBefore = server.replication.offset;
  const expiryBefore = server.keyspace.expiry.mode;
  server.keyspace.expiry.mode = expiryModeFor(server, c, spec);
  c.redacted = null;
  const t0 = performance.now();
  const mark = c.reply.mark();
  try {
    spec.handler!(c, argv);
  } catch (e) {
    c.reply.rewind(mark);
    if (isMemoryFailure(e)) {
      // Memory ran out (no arena block, a memory that could not grow): the command changed
      // nothing (writes reserve what they need first) and the client is told so.
      server.log.warning(`Out of memory in '${fullName(spec)}': ${(e as Error).message}`);
      c.reply.error(memoryErrorText(e));
    } else {
      // A bug must cost one error reply, not the process and every other client's connection.
      server.log.warning(`Internal error in '${fullName(spec)}': ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      c.reply.error(`ERR internal error while executing '${fullName(spec)}': ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const usec = (performance.now() - t0) * 1000;
  if (!server.loading) observe(server, c, spec, argv, c.dbIndex, usec);
  const stats = statsFor(server, spec);
  (stats.latency ??= new LatencyHistogram()).record(usec);
  stats.calls++;
  stats.usec += usec;
  server.totalCommands++;
  if (c.reply.errors !== errorsBefore) {
    stats.failed++;
    countError(server, c.reply.lastError);
  }
  server.keyspace.expiry.mode = expiryBefore;
  if ((server.dirty !== dirtyBefore || c.forcePropagation) && (spec.flags.includes('write') || spec.flags.includes('may_replicate'))) {
    server.propagate(dbBefore, c.propagateAs ?? argv);
  } else if (c.replicateOnly) {
    server.propagate(dbBefore, argv, TO_REPLICAS);
  }
  // WAIT waits for the replication offset of this client's last write (Redis's c->woff).
  if (server.replication.offset !== offsetBefore) c.woff = server.replication.offset;
  // CLIENT REPLY ON turns replies back on for its own +OK.
  if (quiet && c.replyMode !== 'on') c.discardUnsealed();
  // CLIENT REPLY SKIP silences only the command after it.
  if (c.replyMode === 'skip') c.replyMode = 'on';
  else if (c.replyMode === 'skip-next') c.replyMode = 'skip';
}

/**
 * What lookups do with keys past their TTL while `spec` runs: a primary deletes them; a
 * replica keeps them for its primary's stream and hides them from its own readers, except
 * that a write on a writable replica deletes them first, as Redis's lookupKeyWrite does.
 */
function expiryModeFor(server: Server, c: Client, spec: CommandSpec): ExpiryMode {
  if (!server.replication.isReplica) return 'delete';
  if (c.replicationLink === 'master') return 'keep';
  return spec.flags.includes('write') ? 'delete' : 'hide';
}

/** A replication refusal; refusing EXEC discards the transaction, as execCommandAbort. */
function refuse(server: Server, c: Client, message: string, spec: CommandSpec): void {
  if (c.multi && spec.name === 'exec' && !spec.parent) {
    c.multi = null;
    c.multiError = false;
    c.unwatchAll();
    message = `EXECABORT Transaction discarded because of: ${message}`;
  }
  reject(server, c, message, spec);
}

/** What watches commands as they run: the latency monitor, the slow log and MONITOR. */
function observe(server: Server, c: Client, spec: CommandSpec, argv: Buffer[], db: number, usec: number): void {
  server.latency.maybeAdd(spec.flags.includes('fast') ? 'fast-command' : 'command', Math.floor(usec / 1000));
  if (!spec.flags.includes('skip_slowlog')) server.slowlog.maybeAdd(usec, argv, c.redacted, c.addr, c.name);
  // Administrative commands are never shown to monitors (they may carry secrets).
  if (server.monitors.size > 0 && !spec.flags.includes('skip_monitor') && !spec.flags.includes('admin')) server.monitors.feed(c, db, argv);
}

function reject(server: Server, c: Client, message: string, spec: CommandSpec | null): void {
  if (c.multi) c.multiError = true;
  if (spec) statsFor(server, spec).rejected++;
  c.reply.error(message);
  countError(server, message);
}

function countError(server: Server, message: string): void {
  server.totalErrorReplies++;
  const sp = message.indexOf(' ');
  const code = sp < 0 ? message : message.slice(0, sp);
  server.errorStats.set(code, (server.errorStats.get(code) ?? 0) + 1);
}

function statsFor(server: Server, spec: CommandSpec): CommandStats {
  const name = fullName(spec).toLowerCase();
  let s = server.commandStats.get(name);
  if (!s) {
    s = { calls: 0, usec: 0, rejected: 0, failed: 0 };
    server.commandStats.set(name, s);
  }
  return s;
}

function overMaxmemory(server: Server): boolean {
  // A replica follows its primary whatever its own memory says (replica-ignore-maxmemory).
  const max = server.config.int('maxmemory');
  return max > 0 && !server.replication.isReplica && server.usedMemory() > max;
}
