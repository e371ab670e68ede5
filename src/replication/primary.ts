/**
 * The primary's side of replication (Redis's replication.c, "MASTER" half): the replicas
 * attached to this server, the stream they are fed, PSYNC's choice between continuing from the
 * backlog and a full sync, their acknowledgements, and what hangs on those (WAIT,
 * min-replicas-to-write).
 *
 * The stream is the propagated commands (server/propagation.ts) in RESP, with a SELECT whenever
 * the database changes, appended to the backlog and written to every replica. A replica that is
 * itself a primary of others feeds them the stream it receives instead, byte for byte, so that
 * offsets agree along a chain and after a promotion (`feedBytes` from replica side).
 */
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { encodeCommand } from '../persistence/aof.js';
import { parseOutputLimits, outputLimitReached, type OutputLimit } from '../server/output-limits.js';
import { ReplicaLink, type HandshakeInfo } from './replica-link.js';
import type { ReplicationState } from './state.js';
import { FullSyncs } from './full-sync.js';

interface Waiter {
  client: Client;
  offset: number;
  want: number;
  finish: (reply: number | string) => void;
}

const GETACK = [Buffer.from('REPLCONF'), Buffer.from('GETACK'), Buffer.from('*')];
const PING = encodeCommand([Buffer.from('PING')]);

export class PrimarySide {
  readonly links = new Map<Client, ReplicaLink>();
  /** What clients said in REPLCONF before their PSYNC. */
  private readonly handshakes = new WeakMap<Client, HandshakeInfo>();
  /** Database of the last SELECT in the stream; -1 makes the next command carry one. */
  selDb = -1;
  readonly fullSyncs: FullSyncs;
  private waiters: Waiter[] = [];
  private ackRequested = false;
  private noReplicasSince = Date.now();
  private cronTicks = 0;
  private replicaLimit: OutputLimit;
  /** INFO stats: full syncs served, and PSYNCs continued or refused. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;

  constructor(
    private readonly server: Server,
    private readonly state: ReplicationState,
    /** Whether this server is itself a replica (then it proxies its primary's stream). */
    private readonly isReplica: () => boolean,
  ) {
    this.fullSyncs = new FullSyncs(server, state, this);
    this.replicaLimit = parseOutputLimits(server.config.get('client-output-buffer-limit')).slave;
    server.config.onChange('client-output-buffer-limit', (v) => (this.replicaLimit = parseOutputLimits(v).slave));
  }

  get log(): Server['log'] {
    return this.server.log;
  }

  handshakeOf(c: Client): HandshakeInfo {
    let h = this.handshakes.get(c);
    if (h === undefined) {
      h = { listeningPort: 0, ip: null, capaEof: false, capaPsync2: false };
      this.handshakes.set(c, h);
    }
    return h;
  }

  // ---- the stream --------------------------------------------------------------------------

  /** A propagated command (this server is a primary). */
  feed(db: number, argv: Buffer[]): void {
    if (this.state.backlog === null && this.links.size === 0) return;
    if (db >= 0 && db !== this.selDb) {
      this.feedBytes(encodeCommand([Buffer.from('SELECT'), Buffer.from(String(db))]));
      this.selDb = db;
    }
    this.feedBytes(encodeCommand(argv));
  }

  /** Stream bytes, into the backlog and to every replica. `bytes` must not change afterwards. */
  feedBytes(bytes: Buffer): void {
    this.state.append(bytes);
    for (const link of this.links.values()) {
      const queued = link.send(bytes);
      if (queued > 0) {
        if (outputLimitReached(link, this.replicaLimit, queued, Date.now())) {
          this.log.warning(`Client id=${link.client.id} addr=${link.client.addr} (replica ${link.name}) closed for overcoming of output buffer limits.`);
          this.server.outputLimiter.disconnections++;
          this.server.killClient(link.client);
        }
      } else if (link.state === 'online' && !link.startStreamOnAck) {
        this.server.outputLimiter.closeIfOver(link.client);
      }
    }
  }

  // ---- PSYNC / SYNC ------------------------------------------------------------------------

  /**
   * PSYNC <replid> <offset> or SYNC from client `c`. A partial resync starts the stream at once
   * from the backlog; otherwise the replica waits for a full sync (full-sync.ts), whose
   * +FULLRESYNC line carries the offset its snapshot is taken at.
   */
  psync(c: Client, replid: string, offset: number, sync: boolean): void {
    // Replies to what it sent before (REPLCONF's +OK) go out before the stream begins.
    c.flush();
    const info = this.handshakeOf(c);
    this.log.notice(`Replica ${this.nameOf(c, info)} asks for synchronization`);
    if (!sync) {
      const verdict = this.state.canContinue(replid, offset);
      if (verdict === 'yes') {
        this.syncPartialOk++;
        this.continueFrom(c, info, offset);
        return;
      }
      // "?" asks for a full sync on purpose: not a failed PSYNC.
      if (replid !== '?') this.syncPartialErr++;
      if (replid === '?') this.log.notice(`Full resync requested by replica ${this.nameOf(c, info)}`);
      else if (verdict === 'id') {
        this.log.notice(`Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.state.replid}' and '${this.state.replid2}')`);
      } else {
        this.log.notice(`Unable to partial resync with replica ${this.nameOf(c, info)} for lack of backlog (Replica request was: ${offset}).`);
      }
    }
    this.syncFull++;
    const link = this.attach(c, info, sync);
    if (this.state.backlog === null) {
      // A backlog made from scratch starts a new history: nothing before it can be continued.
      this.state.changeId();
      this.state.clearId2();
      this.state.createBacklog();
      this.log.notice(`Replication backlog created, my new replication IDs are '${this.state.replid}' and '${this.state.replid2}'`);
    }
    this.fullSyncs.request(link);
  }

  private continueFrom(c: Client, info: HandshakeInfo, offset: number): void {
    const link = this.attach(c, info, false);
    link.goOnline();
    link.ackOffset = offset - 1;
    link.write(info.capaPsync2 ? `+CONTINUE ${this.state.replid}\r\n` : '+CONTINUE\r\n');
    // A copy: the ring is overwritten by later writes while the socket may still hold these.
    const bytes = Buffer.concat(this.state.backlog!.bytesFrom(offset));
    if (bytes.length > 0) link.write(bytes);
    this.log.notice(`Partial resynchronization request from ${link.name} accepted. Sending ${bytes.length} bytes of backlog starting from offset ${offset}.`);
  }

  private attach(c: Client, info: HandshakeInfo, prePsync: boolean): ReplicaLink {
    const link = new ReplicaLink(c, info, prePsync);
    c.replicationLink = 'replica';
    if (this.server.config.bool('repl-disable-tcp-nodelay')) c.socket.setNoDelay(false);
    this.links.set(c, link);
    return link;
  }

  private nameOf(c: Client, info: HandshakeInfo): string {
    return `${info.ip ?? (c.socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${info.listeningPort}`;
  }

  /** The replica's connection is gone. */
  detach(c: Client): void {
    const link = this.links.get(c);
    if (!link) return;
    this.links.delete(c);
    if (link.state === 'online') this.log.notice(`Connection with replica ${link.name} lost.`);
    if (this.links.size === 0) this.noReplicasSince = Date.now();
  }

  /** Closes every replica's connection (they must learn of a new history, and resync). */
  disconnectAll(): void {
    for (const link of [...this.links.values()]) this.server.killClient(link.client);
  }

  // ---- acknowledgements, WAIT, min-replicas-to-write ----------------------------------------

  /** REPLCONF ACK <offset> from a replica. */
  ack(c: Client, offset: number): void {
    const link = this.links.get(c);
    if (!link) return;
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTime = Date.now();
    if (link.startStreamOnAck && link.state === 'online') {
      link.startStream();
      this.log.notice(`Synchronization with replica ${link.name} succeeded`);
    }
    this.checkWaiters();
  }

  /** Online replicas that acknowledged `offset`. */
  countAcks(offset: number): number {
    let n = 0;
    for (const l of this.links.values()) if (l.state === 'online' && l.ackOffset >= offset) n++;
    return n;
  }

  /**
   * WAIT: answers once `want` replicas acknowledged `offset`, or when `timeoutMs` passes (0:
   * never). Asks the replicas for an ACK at the end of this turn of the event loop, once for
   * every WAIT that arrived in it, as Redis does in beforeSleep.
   */
  wait(c: Client, offset: number, want: number, timeoutMs: number): void {
    c.deferReply(
      new Promise<number | string>((resolve) => {
        let timer: NodeJS.Timeout | null = null;
        const waiter: Waiter = {
          client: c,
          offset,
          want,
          finish: (reply) => {
            if (timer) clearTimeout(timer);
            this.waiters = this.waiters.filter((w) => w !== waiter);
            resolve(reply);
          },
        };
        // Node's timers hold at most 2^31-1 ms: a longer timeout is waited out in steps.
        const deadline = Date.now() + timeoutMs;
        const arm = (): void => {
          const left = deadline - Date.now();
          if (left <= 0) waiter.finish(this.countAcks(offset));
          else timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
        };
        if (timeoutMs > 0) timer = setTimeout(arm, Math.min(timeoutMs, 2 ** 31 - 1));
        this.waiters.push(waiter);
      }).then((reply) => (w) => (typeof reply === 'number' ? w.integer(reply) : w.error(reply))),
    );
    this.requestAcks();
  }

  /** Asks the replicas for an ACK (REPLCONF GETACK) at the end of this turn of the event loop. */
  requestAcks(): void {
    if (this.ackRequested) return;
    this.ackRequested = true;
    setImmediate(() => {
      this.ackRequested = false;
      if (this.links.size > 0 && !this.isReplica()) this.feed(-1, GETACK);
    });
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      const n = this.countAcks(w.offset);
      if (n >= w.want) w.finish(n);
    }
  }

  /** Becoming a replica: clients blocked in WAIT are released with Redis's error. */
  failWaiters(): void {
    for (const w of [...this.waiters]) w.finish('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)');
  }

  /** Replicas online whose last ACK is at most min-replicas-max-lag seconds old. */
  goodReplicas(): number {
    const maxLag = this.server.config.int('min-replicas-max-lag');
    const now = Math.floor(Date.now() / 1000);
    let n = 0;
    for (const l of this.links.values()) if (l.state === 'online' && now - Math.floor(l.ackTime / 1000) <= maxLag) n++;
    return n;
  }

  /** Whether writes may run under min-replicas-to-write (checkGoodReplicasStatus). */
  enoughGoodReplicas(): boolean {
    const min = this.server.config.int('min-replicas-to-write');
    if (this.isReplica() || min === 0 || this.server.config.int('min-replicas-max-lag') === 0) return true;
    return this.goodReplicas() >= min;
  }

  // ---- once a second -----------------------------------------------------------------------

  cron(): void {
    const config = this.server.config;
    const now = Date.now();
    // PINGs let replicas notice a silent primary; a replica only proxies, so never pings.
    if (!this.isReplica() && this.links.size > 0 && this.cronTicks % config.int('repl-ping-replica-period') === 0) {
      this.feedBytes(PING);
    }
    this.cronTicks++;
    const timeoutMs = config.int('repl-timeout') * 1000;
    for (const link of [...this.links.values()]) {
      if (link.needsKeepalive) link.write('\n');
      if (link.state === 'online' && !link.prePsync && now - link.ackTime > timeoutMs) {
        this.log.warning(`Disconnecting timedout replica (streaming sync): ${link.name}`);
        this.server.killClient(link.client);
      }
    }
    this.fullSyncs.cron();
    // A primary that has had no replica for repl-backlog-ttl seconds drops its backlog, and
    // with it its history: writes it takes meanwhile are not counted, so none may continue it.
    const ttl = config.int('repl-backlog-ttl');
    if (this.links.size === 0 && ttl > 0 && this.state.backlog !== null && !this.isReplica() && now - this.noReplicasSince > ttl * 1000) {
      this.state.changeId();
      this.state.clearId2();
      this.state.freeBacklog();
      this.log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
    }
    // WAITs of clients that went away.
    for (const w of [...this.waiters]) if (w.client.closed) w.finish(0);
  }

  // ---- INFO and ROLE -----------------------------------------------------------------------

  infoLines(): Array<[string, string | number]> {
    const lines: Array<[string, string | number]> = [['connected_slaves', this.links.size]];
    if (this.server.config.int('min-replicas-to-write') > 0 && this.server.config.int('min-replicas-max-lag') > 0) {
      lines.push(['min_slaves_good_slaves', this.goodReplicas()]);
    }
    let i = 0;
    const now = Date.now();
    for (const l of this.links.values()) {
      const lag = l.state === 'online' ? Math.floor((now - l.ackTime) / 1000) : 0;
      lines.push([`slave${i++}`, `ip=${l.ip},port=${l.info.listeningPort},state=${l.state},offset=${l.ackOffset},lag=${lag}`]);
    }
    return lines;
  }

  /** ROLE's replicas: address, port and acknowledged offset of each online one. */
  onlineReplicas(): Array<[string, string, string]> {
    const out: Array<[string, string, string]> = [];
    for (const l of this.links.values()) if (l.state === 'online') out.push([l.ip, String(l.info.listeningPort), String(l.ackOffset)]);
    return out;
  }
}
