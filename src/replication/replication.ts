/**
 * Replication as a whole: this server's role (primary, or replica of `replicaof`), the switch
 * between the two (REPLICAOF host port / REPLICAOF NO ONE, as replicationSetMaster and
 * replicationUnsetMaster do it), the checks replication adds to every command, INFO
 * replication and ROLE, and a once-a-second cron for both sides.
 *
 * The pieces: state.ts (ids, offset, backlog), primary.ts + replica-link.ts + full-sync.ts (the
 * primary's side), primary-link.ts + link-readers.ts + payload.ts (the replica's side),
 * commands.ts (REPLICAOF, ROLE, REPLCONF, PSYNC, SYNC, WAIT).
 */
import type { Client } from '../server/client.js';
import type { CommandSpec } from '../commands/types.js';
import type { Server } from '../server/server.js';
import { TO_REPLICAS } from '../server/propagation.js';
import { ReplicationState } from './state.js';
import { PrimarySide } from './primary.js';
import { PrimaryLink } from './primary-link.js';

/** Why a command may not run, and before which of the dispatcher's own checks (Redis's order). */
export interface Refusal {
  error: string;
  before: 'pubsub' | 'loading' | 'none';
}

export class Replication {
  readonly state: ReplicationState;
  readonly primary: PrimarySide;
  primaryHost: string | null = null;
  primaryPort = 0;
  link: PrimaryLink | null = null;
  /** Whether the history in `state` may be continued with PSYNC (Redis's cached master). */
  canPartial = false;
  /** The database the primary's stream had selected when the link was lost. */
  cachedDb = 0;
  private downSince = 0;
  private aofRewriteWanted = false;

  constructor(private readonly server: Server) {
    const config = server.config;
    this.state = new ReplicationState(() => config.int('repl-backlog-size'));
    this.primary = new PrimarySide(server, this.state, () => this.isReplica);
    // A replica feeds its replicas the stream it receives (primary-link.ts), not its own writes.
    server.onPropagate((db, argv) => {
      if (!this.isReplica) this.primary.feed(db, argv);
    }, TO_REPLICAS);
    config.onChange('repl-backlog-size', (v) => this.state.backlog?.resize(Number(v)));
    const target = config.get('replicaof');
    if (target !== '') {
      const sp = target.lastIndexOf(' ');
      this.primaryHost = target.slice(0, sp);
      this.primaryPort = Number(target.slice(sp + 1));
    }
    setInterval(() => this.cron(), 1000).unref();
  }

  get isReplica(): boolean {
    return this.primaryHost !== null;
  }

  /** master_repl_offset. */
  get offset(): number {
    return this.state.offset;
  }

  get linkConnected(): boolean {
    return this.link !== null && this.link.state === 'connected';
  }

  /** After the server listens: a replica from its config connects to its primary. */
  start(): void {
    if (this.isReplica) {
      this.server.log.role = 'S';
      this.connect();
    }
  }

  private connect(): void {
    if (this.link !== null || this.primaryHost === null) return;
    this.server.log.notice(`Connecting to MASTER ${this.primaryHost}:${this.primaryPort}`);
    this.link = new PrimaryLink(this, this.server, this.primaryHost, this.primaryPort);
    this.server.log.notice('MASTER <-> REPLICA sync started');
  }

  // ---- REPLICAOF ---------------------------------------------------------------------------

  /** REPLICAOF host port. Replicas of this server stay: they may continue with it. */
  setPrimary(host: string, port: number): void {
    const wasPrimary = !this.isReplica;
    this.primaryHost = host;
    this.primaryPort = port;
    this.server.config.set('replicaof', [host, String(port)], true);
    if (wasPrimary) {
      this.primary.failWaiters();
      // Our own history is what we ask the new primary to continue (cacheMasterUsingMyself).
      this.canPartial = true;
      this.cachedDb = 0;
      this.server.log.role = 'S';
    }
    this.link?.fail('');
    this.connect();
  }

  /** REPLICAOF NO ONE: a new history, which this server's replicas may continue from the old one. */
  unsetPrimary(): void {
    if (!this.isReplica) return;
    this.primaryHost = null;
    this.primaryPort = 0;
    this.server.config.set('replicaof', ['no', 'one'], true);
    this.link?.fail('');
    this.canPartial = false;
    this.server.log.notice(this.state.shiftIds());
    // They must learn the new id; they will PSYNC with the old one and continue.
    this.primary.disconnectAll();
    this.primary.selDb = -1;
    this.downSince = 0;
    this.server.log.role = 'M';
  }

  // ---- events from the link ----------------------------------------------------------------

  onLinkLost(link: PrimaryLink, wasConnected: boolean, db: number): void {
    if (this.link === link) this.link = null;
    if (!wasConnected) return;
    this.canPartial = true;
    this.cachedDb = db;
    this.downSince = Date.now();
    // At once, not at the next cron: the backlog we need may be overwritten meanwhile.
    if (this.isReplica) setImmediate(() => this.connect());
  }

  linkUp(): void {
    this.downSince = 0;
  }

  /** +CONTINUE: a primary promoted since we last spoke says so with its new id. */
  continued(newReplid: string | null): void {
    if (newReplid !== null && newReplid !== this.state.replid) {
      this.state.replid2 = this.state.replid;
      this.state.secondOffset = this.state.offset + 1;
      this.state.replid = newReplid;
      this.server.log.notice(`Master replication ID changed to ${newReplid}`);
      this.primary.disconnectAll();
    }
    if (this.state.backlog === null) this.state.createBacklog();
  }

  /** A full sync's snapshot loaded: its history replaces ours; our replicas must resync. */
  fullSyncLoaded(replid: string, offset: number): void {
    this.primary.disconnectAll();
    this.state.adopt(replid, offset);
    this.canPartial = true;
    this.cachedDb = 0;
    // The AOF restarts from the new dataset, as Redis rewrites it after a sync.
    if (this.server.persistence?.aof.enabled) this.aofRewriteWanted = true;
    setImmediate(() => this.maybeRewriteAof());
  }

  private maybeRewriteAof(): void {
    const p = this.server.persistence;
    if (!this.aofRewriteWanted || !p || p.aof.rewriteInProgress) return;
    this.aofRewriteWanted = false;
    if (p.aof.enabled) void p.startRewrite();
  }

  onClientReleased(c: Client): void {
    if (c.replicationLink === 'replica') this.primary.detach(c);
    else if (c.replicationLink === 'master' && this.link !== null && this.link.client === c) this.link.fail('the master client was closed');
  }

  // ---- what replication adds to dispatch -----------------------------------------------------

  /** Replication's refusals of a command (processCommand), in Redis's order. */
  refusal(c: Client, spec: CommandSpec): Refusal | null {
    const queued = c.multi !== null && spec.name === 'exec' && !spec.parent ? c.multi : null;
    const has = (flag: CommandSpec['flags'][number]): boolean => spec.flags.includes(flag) || (queued?.some((q) => q.spec.flags.includes(flag)) ?? false);
    const write = has('write');
    if (write && !this.primary.enoughGoodReplicas()) return { error: 'NOREPLICAS Not enough good replicas to write.', before: 'pubsub' };
    const config = this.server.config;
    if (write && this.isReplica && config.bool('replica-read-only')) return { error: "READONLY You can't write against a read only replica.", before: 'pubsub' };
    if (this.isReplica && !this.linkConnected && !config.bool('replica-serve-stale-data')) {
      const stale = spec.flags.includes('stale') && (queued?.every((q) => q.spec.flags.includes('stale')) ?? true);
      if (!stale) return { error: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", before: 'loading' };
    }
    // A replica's connection carries its ACKs, nothing that reads or writes keys.
    if (c.replicationLink === 'replica' && (write || has('readonly') || has('may_replicate'))) {
      return { error: "ERR Replica can't interact with the keyspace", before: 'none' };
    }
    return null;
  }

  // ---- once a second -----------------------------------------------------------------------

  private cron(): void {
    const now = Date.now();
    const timeoutMs = this.server.config.int('repl-timeout') * 1000;
    const link = this.link;
    if (this.isReplica && link === null) this.connect();
    else if (link !== null && now - link.lastIo > timeoutMs) {
      if (link.state === 'connected') link.fail('MASTER timeout: no data nor PING received...');
      else if (link.state === 'sync') link.fail("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
      else link.fail('Timeout connecting to the MASTER...');
    } else if (link !== null) link.sendAck();
    this.primary.cron();
    this.maybeRewriteAof();
  }

  // ---- INFO replication and ROLE -----------------------------------------------------------

  infoLines(): Array<[string, string | number]> {
    const config = this.server.config;
    const now = Date.now();
    const lines: Array<[string, string | number]> = [['role', this.isReplica ? 'slave' : 'master']];
    if (this.isReplica) {
      const link = this.link;
      const connected = this.linkConnected;
      const offset = connected || this.canPartial ? this.state.offset : 1;
      lines.push(
        ['master_host', this.primaryHost!],
        ['master_port', this.primaryPort],
        ['master_link_status', connected ? 'up' : 'down'],
        ['master_last_io_seconds_ago', connected ? Math.floor((now - link!.lastIo) / 1000) : -1],
        ['master_sync_in_progress', link?.state === 'sync' ? 1 : 0],
        ['slave_read_repl_offset', offset],
        ['slave_repl_offset', offset],
      );
      const payload = link?.payload;
      if (link?.state === 'sync' && payload) {
        const total = Math.max(0, payload.total);
        lines.push(
          ['master_sync_total_bytes', total],
          ['master_sync_read_bytes', payload.received],
          ['master_sync_left_bytes', total - payload.received],
          ['master_sync_perc', (total > 0 ? (payload.received / total) * 100 : 0).toFixed(2)],
          ['master_sync_last_io_seconds_ago', Math.floor((now - link.lastIo) / 1000)],
        );
      }
      if (!connected) lines.push(['master_link_down_since_seconds', this.downSince !== 0 ? Math.floor((now - this.downSince) / 1000) : -1]);
      lines.push(
        ['slave_priority', config.int('replica-priority')],
        ['slave_read_only', config.bool('replica-read-only') ? 1 : 0],
        ['replica_announced', config.bool('replica-announced') ? 1 : 0],
      );
    }
    const backlog = this.state.backlog;
    lines.push(
      ...this.primary.infoLines(),
      ['master_failover_state', 'no-failover'],
      ['master_replid', this.state.replid],
      ['master_replid2', this.state.replid2],
      ['master_repl_offset', this.state.offset],
      ['second_repl_offset', this.state.secondOffset],
      ['repl_backlog_active', backlog !== null ? 1 : 0],
      ['repl_backlog_size', config.int('repl-backlog-size')],
      ['repl_backlog_first_byte_offset', backlog !== null ? backlog.firstOffset : 0],
      ['repl_backlog_histlen', backlog !== null ? backlog.histlen : 0],
    );
    return lines;
  }

  roleReply(c: Client): void {
    const r = c.reply;
    if (!this.isReplica) {
      const replicas = this.primary.onlineReplicas();
      r.array(3);
      r.bulk('master');
      r.integer(this.state.offset);
      r.array(replicas.length);
      for (const [ip, port, offset] of replicas) r.bulkArray([ip, port, offset]);
      return;
    }
    const state = this.link === null ? 'connect' : this.link.state;
    r.array(5);
    r.bulk('slave');
    r.bulk(this.primaryHost!);
    r.integer(this.primaryPort);
    r.bulk(state);
    r.integer(this.linkConnected ? this.state.offset : -1);
  }
}
