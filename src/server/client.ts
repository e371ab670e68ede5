/**
 * One client connection: its protocol state (RESP version, database, name, authentication,
 * MULTI queue, watched keys), the request reader and the ordered reply queue.
 *
 * Reply order: a command normally replies synchronously into `reply`. A command whose work runs
 * elsewhere (a search in a worker thread) calls `deferReply` with a promise; replies written after
 * it queue behind it, and bytes leave strictly in request order when each head of the queue is
 * ready. Backpressure: while the socket's unsent output or the number of unfinished deferred
 * replies is above a bound, the client's socket is paused, so a client that does not read its
 * replies cannot make the server buffer without limit.
 */
import type { Socket } from 'node:net';
import { chunkBytes, ReplyWriter, type Protocol } from './reply.js';
import { RequestReader, type ReaderLimits } from './resp-reader.js';
import type { CommandSpec } from '../commands/types.js';
import type { KeyWatcher } from '../keyspace/keyspace.js';
import type { Database } from '../keyspace/database.js';
import type { Server } from './server.js';
import { ClientSubscriptions } from './pubsub.js';
import type { SoftLimitState } from './output-limits.js';
import type { User } from '../acl/user.js';

/** Pause reading, and hold further requests, when this much output is waiting in the socket. */
const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;
/**
 * Hold further requests when this many deferred replies (searches in the pool) are unfinished:
 * each may be a large reply, and more in flight than the pool has threads gains nothing.
 */
const MAX_PENDING_DEFERRED = 256;

interface Segment {
  chunks: Buffer[];
  ready: boolean;
}

export interface QueuedCommand {
  spec: CommandSpec;
  argv: Buffer[];
}

/**
 * CLIENT LIST / CLIENT KILL TYPE: a replica attached to this server, this server's link to its
 * primary, a client in pub/sub mode, or any other. Checked in Redis's order (getClientType).
 */
export type ClientType = 'normal' | 'replica' | 'master' | 'pubsub';

/** CLIENT REPLY state; 'skip-next' becomes 'skip' after the CLIENT REPLY SKIP command itself. */
export type ReplyMode = 'on' | 'off' | 'skip-next' | 'skip';

export class Client implements KeyWatcher, SoftLimitState {
  readonly reply: ReplyWriter;
  readonly reader: RequestReader;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  db: Database;
  name: Buffer | null = null;
  libName = '';
  libVer = '';
  /** Set by AUTH / HELLO AUTH, or at connect when the default user needs no password. */
  authenticated: boolean;
  /** The ACL user the connection runs as; null for the server's own clients (AOF replay), which may run anything. */
  user: User | null;
  /** In MONITOR mode: every command the server runs is copied to this connection. */
  monitor = false;
  /** Connected through the Unix socket (flag U); always local for protected mode. */
  unixSocket = false;
  /**
   * Arguments of the command being run that must not be shown (passwords of AUTH, HELLO, ACL
   * SETUSER): SLOWLOG and MONITOR print "(redacted)" in their place. Reset for each command.
   */
  redacted: Set<number> | null = null;
  /** Commands queued by MULTI, or null outside a transaction. */
  multi: QueuedCommand[] | null = null;
  /** A command was rejected while queueing: EXEC must answer EXECABORT. */
  multiError = false;
  /** A watched key changed since WATCH: EXEC must answer null. */
  watchDirty = false;
  /** Watched keys as "db\0key". */
  readonly watchedKeys = new Set<string>();
  /** True while EXEC runs the queued commands (they must run inline). */
  inExec = false;
  /** Closing after the pending replies are flushed (QUIT, protocol error, CLIENT KILL). */
  closing = false;
  closed = false;
  replyMode: ReplyMode = 'on';
  /** Name of the last command, for CLIENT LIST. */
  lastCommand = 'NULL';
  /** Argument vector to propagate instead of the original (set by handlers that rewrite, e.g. EXPIRE → PEXPIREAT). */
  propagateAs: Buffer[] | null = null;
  /** Propagate this command even if the change counter does not show it (FLUSHALL after its save). */
  forcePropagation = false;
  /** Propagate this command to replicas only, never to the AOF (PUBLISH, as in Redis). */
  replicateOnly = false;
  /** The replication offset right after this client's last write: what WAIT waits for. */
  woff = 0;
  /** Requests received while this client is held (CLIENT PAUSE), in order. */
  readonly held: Buffer[][] = [];
  /** Channels, patterns and shard channels this client listens to (pubsub.ts). */
  readonly subscriptions = new ClientSubscriptions();
  /**
   * Set by replication: 'replica' for a replica attached to this server, 'master' for this
   * server's link to its primary. Decides the client type (CLIENT KILL TYPE, output limits).
   */
  replicationLink: 'replica' | 'master' | null = null;
  /** When the unsent output first reached the soft output buffer limit (ms), or 0. */
  obufSoftSince = 0;

  private readonly segments: Segment[] = [];
  /**
   * Bytes of ready segments still queued: replies that wait for an earlier search's reply, which
   * a worker has not finished, to go out first. They are unsent output like the rest (omem, the
   * hold, the output limits); uncounted, a client that never reads got up to 256 more replies
   * queued than its bound, as searches finished out of order.
   */
  private queuedBytes = 0;
  private pendingDeferred = 0;
  private paused = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly server: Server,
    limits: ReaderLimits,
  ) {
    this.reply = new ReplyWriter(2);
    this.db = server.keyspace.dbs[0]!;
    this.user = server.acl.defaultUser;
    this.authenticated = server.acl.defaultAuthenticates;
    this.reader = new RequestReader(limits, () => !server.acl.authRequired(this));
    socket.on('drain', () => {
      this.resumeIfOutputDrained();
      this.updateFlow();
    });
  }

  get protocol(): Protocol {
    return this.reply.protocol;
  }

  set protocol(p: Protocol) {
    this.reply.protocol = p;
  }

  get dbIndex(): number {
    return this.db.index;
  }

  /** "ip:port" of the peer, as CLIENT LIST shows it. */
  get addr(): string {
    const a = this.socket.remoteAddress ?? '';
    if (a === '' && this.socket.remotePort === undefined) return '/unixsocket:0';
    return `${a.includes(':') && !a.startsWith('::ffff:') ? a : a.replace('::ffff:', '')}:${this.socket.remotePort ?? 0}`;
  }

  get laddr(): string {
    const a = this.socket.localAddress ?? '';
    return `${a.replace('::ffff:', '')}:${this.socket.localPort ?? 0}`;
  }

  get pendingReplies(): number {
    return this.pendingDeferred;
  }

  /**
   * Whether the next request must wait for output to drain: the reply bytes not yet sent, or
   * the replies still being computed, are at their bound. Pausing the socket alone is not
   * enough: one read can hold hundreds of pipelined requests, each with a large reply.
   */
  get mustWaitForOutput(): boolean {
    return this.outputBytes >= OUTPUT_HIGH_WATER || this.pendingDeferred >= MAX_PENDING_DEFERRED;
  }

  /** Set when a request was held because of mustWaitForOutput. */
  heldForOutput = false;
  private resumeScheduled = false;

  /** Requests held because this client's output was full run again once it is below its bound. */
  private resumeIfOutputDrained(): void {
    if (!this.heldForOutput || this.mustWaitForOutput || this.resumeScheduled) return;
    this.heldForOutput = false;
    // Not from inside flush(): a resumed request flushes again.
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      if (!this.closed && this.held.length > 0) this.server.resumeClient(this);
    });
  }

  /** Reply chunks waiting to be sent (CLIENT LIST oll). */
  get outputChunks(): number {
    return this.segments.length;
  }

  /** Hides argument `i` of the command being run from SLOWLOG and MONITOR. */
  redact(i: number): void {
    (this.redacted ??= new Set()).add(i);
  }

  get outputBytes(): number {
    return this.socket.writableLength + this.reply.pendingBytes + this.queuedBytes;
  }

  watchedKeyModified(): void {
    this.watchDirty = true;
  }

  /**
   * Queues a reply produced later (e.g. by a worker). `write` receives a writer in the protocol
   * this command was issued under. A rejected promise becomes an error reply.
   */
  deferReply(work: Promise<(w: ReplyWriter) => void>): void {
    const protocol = this.protocol;
    this.deferBytes(
      work.then((fill) => {
        const w = new ReplyWriter(protocol);
        fill(w);
        return Buffer.concat(w.take());
      }),
    );
  }

  /**
   * Queues a reply that arrives later as finished bytes (a search worker encodes it in this
   * connection's protocol). A rejected promise becomes an error reply.
   */
  deferBytes(work: Promise<Uint8Array>): void {
    this.sealReplies();
    const seg: Segment = { chunks: [], ready: false };
    this.segments.push(seg);
    this.pendingDeferred++;
    const protocol = this.protocol;
    const mode = this.replyMode;
    const finish = (bytes: Uint8Array): void => {
      seg.chunks = mode === 'off' || mode === 'skip' ? [] : [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)];
      seg.ready = true;
      this.queuedBytes += chunkBytes(seg.chunks);
      this.pendingDeferred--;
      // Requests that waited for this client's searches to finish can run now.
      if (this.pendingDeferred === 0 && this.held.length > 0) this.server.resumeClient(this);
      else this.flush();
    };
    work.then(finish, (err: unknown) => {
      this.server.log.warning(`Deferred command failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      const w = new ReplyWriter(protocol);
      w.error('ERR internal error while executing the command');
      finish(Buffer.concat(w.take()));
    });
  }

  /** Moves bytes written synchronously so far into the ordered queue. */
  sealReplies(): void {
    const chunks = this.reply.take();
    if (chunks.length > 0) {
      this.segments.push({ chunks, ready: true });
      this.queuedBytes += chunkBytes(chunks);
    }
  }

  /** Drops reply bytes written since the last `sealReplies` (CLIENT REPLY OFF/SKIP). */
  discardUnsealed(): void {
    this.reply.take();
  }

  /** Sends whatever is ready, in order, then applies flow control. */
  flush(): void {
    if (this.closed) return;
    if (this.replicationLink !== null) {
      this.dropReplicationReplies();
      return;
    }
    // Durability before acknowledgement: buffered AOF writes reach the file first.
    this.server.beforeReply();
    if (this.segments.length === 0) {
      const chunks = this.reply.take();
      if (chunks.length > 0) this.writeChunks(chunks);
    } else {
      this.sealReplies();
      while (this.segments.length > 0 && this.segments[0]!.ready) {
        const { chunks } = this.segments.shift()!;
        this.queuedBytes -= chunkBytes(chunks);
        this.writeChunks(chunks);
      }
    }
    if (this.closing && this.segments.length === 0) {
      this.socket.end();
      return;
    }
    if (this.server.outputLimiter.closeIfOver(this)) return;
    this.resumeIfOutputDrained();
    this.updateFlow();
  }

  /**
   * A replication link carries only the replication stream, which replication/ writes itself:
   * replies never go to this server's primary, and a replica whose commands made one is
   * misbehaving and is closed, as Redis does (it would corrupt the stream it reads).
   */
  private dropReplicationReplies(): void {
    this.sealReplies();
    let bytes = 0;
    for (const s of this.segments) bytes += chunkBytes(s.chunks);
    this.segments.length = 0;
    this.queuedBytes = 0;
    if (bytes > 0 && this.replicationLink === 'replica') {
      this.server.log.warning(`Replica ${this.addr} generated a reply to command '${this.lastCommand}': disconnecting it`);
      this.server.killClient(this);
    }
  }

  private writeChunks(chunks: Buffer[]): void {
    for (const c of chunks) this.server.netOutputBytes += c.length;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
      return;
    }
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  /** Pauses or resumes reading from the socket according to pending output. */
  updateFlow(): void {
    if (this.closed) return;
    const mustPause =
      this.held.length > 0 ||
      this.socket.writableLength > OUTPUT_HIGH_WATER ||
      this.pendingDeferred >= MAX_PENDING_DEFERRED;
    if (mustPause && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!mustPause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  get type(): ClientType {
    if (this.replicationLink === 'replica') return 'replica';
    if (this.subscriptions.active) return 'pubsub';
    if (this.replicationLink === 'master') return 'master';
    return 'normal';
  }

  /** Flags, as CLIENT LIST shows them, in Redis's order. */
  get flagString(): string {
    let f = '';
    if (this.monitor) f += 'O';
    if (this.replicationLink === 'replica') f += 'S';
    if (this.replicationLink === 'master') f += 'M';
    if (this.subscriptions.active) f += 'P';
    if (this.multi) f += 'x';
    if (this.watchDirty) f += 'd';
    if (this.closing) f += 'c';
    if (this.unixSocket) f += 'U';
    return f === '' ? 'N' : f;
  }

  /** Unwatches everything (EXEC, DISCARD, UNWATCH, RESET, disconnect). */
  unwatchAll(): void {
    for (const k of this.watchedKeys) {
      const sep = k.indexOf('\0');
      this.server.keyspace.unwatch(Number(k.slice(0, sep)), k.slice(sep + 1), this);
    }
    this.watchedKeys.clear();
    this.watchDirty = false;
  }
}
