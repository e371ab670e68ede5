/**
 * The replica's side: one connection to this server's primary, from the handshake to the live
 * stream, as Redis's syncWithMaster / readSyncBulkPayload do it:
 *
 *   PING → [AUTH [masteruser] masterauth] → REPLCONF listening-port <port>
 *   → [REPLCONF ip-address <replica-announce-ip>] → REPLCONF capa eof capa psync2
 *   → PSYNC <replid> <offset+1>  (or PSYNC ? -1 with no history to continue)
 *   → +CONTINUE [<new replid>]: the stream follows at once;
 *   → +FULLRESYNC <replid> <offset>: a snapshot follows (payload.ts), then the stream.
 *
 * The snapshot is written to a temporary file, renamed over the snapshot file and loaded with
 * the loader a restart uses (same checks, same speed); the dataset is replaced only when the
 * load succeeded, so a bad payload leaves the replica with its old data and history.
 *
 * The stream's commands run as this primary's client (a Client flagged 'master': CLIENT LIST
 * shows it, CLIENT KILL TYPE master drops the link). Its offset advances by each command's bytes
 * once the command is applied — a MULTI block only at its EXEC, so a link cut inside a
 * transaction resumes from the transaction's start, as in Redis. Applied bytes then go on to this
 * server's backlog and its own replicas.
 *
 * One object per connection attempt; `fail` ends it (idempotent) and tells Replication, which
 * decides when to connect again.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { encodeCommand } from '../persistence/aof.js';
import { fsyncDir, CorruptDataError } from '../persistence/binary.js';
import { installSnapshot, loadSnapshotFile } from '../persistence/snapshot.js';
import { CommandStream, HandshakeReplies, LinkProtocolError, type HandshakeReply } from './link-readers.js';
import { PayloadReceiver } from './payload.js';
import { CheckHelper, helperWorthStarting } from '../image/check-helper.js';
import type { Replication } from './replication.js';

export type LinkState = 'connecting' | 'handshake' | 'sync' | 'connected';

export class PrimaryLink {
  state: LinkState = 'connecting';
  /** The primary's client, once the stream flows. */
  client: Client | null = null;
  lastIo = Date.now();
  /** Stream bytes received (INFO slave_read_repl_offset counts from the sync's offset). */
  readOffset = 0;
  payload: PayloadReceiver | null = null;
  private readonly socket: net.Socket;
  private readonly replies = new HandshakeReplies();
  private waiter: ((r: HandshakeReply | null) => void) | null = null;
  private stream: CommandStream | null = null;
  /** Encoded commands of a MULTI block not yet applied (their EXEC has not come). */
  private txBytes: Buffer[] = [];
  private closed = false;
  private headerSeen = false;
  private helperBooted = false;
  /** PSYNC ? -1 was sent: there is nothing to continue, so +CONTINUE would be a lie. */
  private askedFull = false;

  constructor(
    private readonly repl: Replication,
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.server.log.notice('Non blocking connect for SYNC fired the event.');
      this.handshake().catch((e: unknown) => this.fail(e instanceof LinkProtocolError ? e.message : `handshake error: ${(e as Error).message}`));
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e) => {
      if (this.state === 'connecting') this.server.log.warning(`Error condition on socket for SYNC: ${e.message}`);
    });
    this.socket.on('close', () => this.fail('connection lost'));
  }

  /** Ends the link (idempotent): closes the socket, drops the primary's client and any transfer. */
  fail(why: string): void {
    if (this.closed) return;
    this.closed = true;
    const wasConnected = this.state === 'connected';
    if (why !== '') this.server.log.warning(`${wasConnected ? 'Connection with master lost' : 'Replication with master aborted'}: ${why}`);
    this.socket.destroy();
    this.waiter?.(null);
    this.payload?.discard();
    // A helper booted for a load that will not happen.
    if (this.helperBooted) CheckHelper.dropBooted();
    const c = this.client;
    let db = 0;
    if (c !== null) {
      db = c.dbIndex;
      // An open MULTI of the stream is dropped: the offset still points before it.
      c.multi = null;
      c.multiError = false;
      this.server.killClient(c);
    }
    this.repl.onLinkLost(this, wasConnected, db);
  }

  /** REPLCONF ACK <offset>: what this replica has applied (once a second, and on GETACK). */
  sendAck(): void {
    if (this.state !== 'connected' || this.closed) return;
    this.socket.write(encodeCommand(['REPLCONF', 'ACK', String(this.repl.state.offset)].map((s) => Buffer.from(s))));
  }

  // ---- handshake ---------------------------------------------------------------------------

  private send(...args: string[]): Promise<HandshakeReply> {
    this.socket.write(encodeCommand(args.map((a) => Buffer.from(a))));
    return new Promise<HandshakeReply | null>((resolve) => {
      this.waiter = resolve;
      this.deliver();
    }).then((r) => {
      if (r === null) throw new LinkProtocolError('');
      return r;
    });
  }

  private async handshake(): Promise<void> {
    const config = this.server.config;
    this.state = 'handshake';
    const pong = await this.send('PING');
    // An authentication error is fine here: AUTH comes next.
    if (pong.error && !/^(NOAUTH|NOPERM|ERR operation not permitted)/.test(pong.text)) {
      throw new LinkProtocolError(`Error reply to PING from master: '-${pong.text}'`);
    }
    this.server.log.notice('Master replied to PING, replication can continue...');
    const pass = config.get('masterauth');
    if (pass !== '') {
      const user = config.get('masteruser');
      const auth = await (user !== '' ? this.send('AUTH', user, pass) : this.send('AUTH', pass));
      if (auth.error) throw new LinkProtocolError(`Unable to AUTH to MASTER: -${auth.text}`);
    }
    // Errors from here to PSYNC are not fatal: older servers do not know every option.
    const port = config.int('replica-announce-port') || this.server.boundPort;
    await this.send('REPLCONF', 'listening-port', String(port));
    const ip = config.get('replica-announce-ip');
    if (ip !== '') await this.send('REPLCONF', 'ip-address', ip);
    await this.send('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
    const partial = this.repl.canPartial;
    const replid = partial ? this.repl.state.replid : '?';
    const offset = partial ? String(this.repl.state.offset + 1) : '-1';
    this.server.log.notice(partial ? `Trying a partial resynchronization (request ${replid}:${offset}).` : 'Partial resynchronization not possible (no cached master)');
    this.askedFull = !partial;
    const reply = await this.send('PSYNC', replid, offset);
    this.onPsyncReply(reply);
  }

  private onPsyncReply(reply: HandshakeReply): void {
    const full = /^FULLRESYNC ([0-9a-fA-F]{40}) (\d{1,18})$/.exec(reply.text);
    if (!reply.error && full) {
      this.server.log.notice(`Full resync from master: ${full[1]}:${full[2]}`);
      this.state = 'sync';
      this.payload = new PayloadReceiver(path.resolve(this.server.config.get('dir')));
      const replid = full[1]!.toLowerCase();
      const offset = Number(full[2]);
      this.onData = (chunk) => this.onPayload(chunk, replid, offset);
      this.onPayload(this.replies.rest(), replid, offset);
      return;
    }
    const cont = /^CONTINUE(?: ([0-9a-fA-F]{40}))?$/.exec(reply.text);
    if (!reply.error && cont && !this.askedFull) {
      this.server.log.notice('Successful partial resynchronization with master.');
      this.repl.continued(cont[1]?.toLowerCase() ?? null);
      this.beginStream(this.repl.cachedDb, this.replies.rest());
      this.server.log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      return;
    }
    if (reply.error && /^(NOMASTERLINK|LOADING)/.test(reply.text)) {
      throw new LinkProtocolError(`Master is currently unable to PSYNC but should be in the future: -${reply.text}`);
    }
    throw new LinkProtocolError(`Unexpected reply to PSYNC from master: ${reply.error ? '-' : '+'}${reply.text}`);
  }

  // ---- input -------------------------------------------------------------------------------

  /** Replaced as the link moves on: handshake replies, then the payload, then the stream. */
  private onData = (chunk: Buffer): void => {
    this.lastIo = Date.now();
    this.replies.push(chunk);
    this.deliver();
  };

  private deliver(): void {
    if (this.waiter === null || this.closed) return;
    let r: HandshakeReply | 'keepalive' | null;
    try {
      while ((r = this.replies.next()) === 'keepalive');
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    if (r === null) return;
    const w = this.waiter;
    this.waiter = null;
    w(r);
  }

  private onPayload(chunk: Buffer, replid: string, offset: number): void {
    if (this.closed) return;
    this.lastIo = Date.now();
    let rest: Buffer | null;
    try {
      rest = this.payload!.feed(chunk);
    } catch (e) {
      this.fail(e instanceof LinkProtocolError ? e.message : `writing the snapshot from the master: ${(e as Error).message}`);
      return;
    }
    // A restart boots the load's helper thread while the server's modules load (main.ts); here
    // it boots while the snapshot arrives, so the load below runs at a restart's speed.
    const size = Math.max(this.payload!.total, this.payload!.received);
    if (!this.helperBooted && helperWorthStarting(size)) {
      this.helperBooted = true;
      CheckHelper.boot();
    }
    if (!this.headerSeen && (this.payload!.usesMark || this.payload!.total >= 0)) {
      this.headerSeen = true;
      this.server.log.notice(
        this.payload!.usesMark ? 'MASTER <-> REPLICA sync: receiving streamed snapshot from master with EOF to disk' : `MASTER <-> REPLICA sync: receiving ${this.payload!.total} bytes from master to disk`,
      );
    }
    if (rest === null) return;
    if (!this.loadPayload(replid, offset)) return;
    this.beginStream(0, rest);
    // After a streamed snapshot the primary starts the stream on this first ACK (as Redis);
    // after a sized one it is just an early report of the offset.
    this.sendAck();
  }

  /**
   * The whole snapshot is on disk: it is loaded as at a restart and then replaces the snapshot
   * file. Only a successful load replaces the dataset (and this server's replication history),
   * so a damaged payload leaves both the data and the snapshot file as they were.
   */
  private loadPayload(replid: string, offset: number): boolean {
    const payload = this.payload!;
    const log = this.server.log;
    const target = this.server.dataPath(this.server.config.get('dbfilename'));
    log.notice(`MASTER <-> REPLICA sync: received ${payload.received} bytes from master, Loading DB in memory`);
    const t0 = performance.now();
    let loaded;
    try {
      loaded = loadSnapshotFile(payload.file, this.server.keyspace.dbs.length);
    } catch (e) {
      this.helperBooted = false;
      const why = e instanceof CorruptDataError ? e.message : (e as Error).message;
      this.fail(`Failed trying to load the MASTER synchronization DB from disk: ${why}`);
      return false;
    }
    this.payload = null;
    this.helperBooted = false;
    try {
      fs.renameSync(payload.file, target);
      fsyncDir(path.dirname(target));
    } catch (e) {
      // The data is loaded; only the file a restart would read is stale.
      log.warning(`Failed trying to rename the temp DB into ${target} in MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
      fs.rmSync(payload.file, { force: true });
    }
    this.repl.fullSyncLoaded(replid, offset);
    this.server.keyspace.flushAll();
    const keys = installSnapshot(this.server.keyspace, loaded);
    const s = (performance.now() - t0) / 1000;
    const mb = loaded.bytes / (1024 * 1024);
    log.notice(`MASTER <-> REPLICA sync: Finished with success (${keys} keys, ${mb.toFixed(1)} MB loaded in ${s.toFixed(3)} seconds, ${(mb / s).toFixed(1)} MB/s)`);
    return true;
  }

  private beginStream(db: number, rest: Buffer): void {
    const c = this.server.attachClient(this.socket);
    c.replicationLink = 'master';
    c.authenticated = true;
    // The primary's stream runs whatever its user could (Redis's master client has no ACL user).
    c.user = null;
    c.db = this.server.keyspace.dbs[db] ?? this.server.keyspace.dbs[0]!;
    this.client = c;
    this.state = 'connected';
    this.stream = new CommandStream(
      (argv, encoded) => this.apply(argv, encoded),
      () => this.server.config.int('client-query-buffer-limit'),
    );
    this.repl.linkUp();
    this.onData = (chunk) => this.onStream(chunk);
    if (rest.length > 0) this.onStream(rest);
  }

  private onStream(chunk: Buffer): void {
    if (this.closed) return;
    this.lastIo = Date.now();
    this.readOffset += chunk.length;
    if (this.client) this.client.lastInteraction = this.lastIo;
    const fault = this.stream!.feed(chunk);
    // What the stream wrote reaches the AOF now: no reply to a client may ever come to flush it.
    this.server.beforeReply();
    if (fault !== null) this.fail(`Protocol error from MASTER: ${fault}`);
  }

  /** Runs one command of the stream as the primary's client. */
  private apply(argv: Buffer[], encoded: Buffer): void {
    const c = this.client;
    if (c === null || this.closed) return;
    this.txBytes.push(encoded);
    // Searches run inline, as in EXEC: VADD … CAS is then a plain VADD, as Redis's replicas do.
    c.inExec = true;
    this.server.processCommand(c, argv);
    c.inExec = false;
    c.reply.take();
    // The command may have ended this link (REPLICAOF, CLIENT KILL from the primary itself).
    if (c.multi !== null || this.closed) return;
    const applied = this.txBytes;
    this.txBytes = [];
    for (const b of applied) this.repl.primary.feedBytes(b);
  }
}
