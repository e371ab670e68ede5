/**
 * The server: TCP (and optional Unix socket) listeners, the client registry, command dispatch
 * with Redis's checks in Redis's order, statistics for INFO, and the periodic cron (active
 * expiry, idle timeouts, ops/sec sampling).
 *
 * Dispatch (dispatch.ts) follows Redis's processCommand: unknown command / subcommand and arity
 * errors first, then authentication, then the loading state, then MULTI queueing, then maxmemory;
 * a command rejected while a MULTI is open also dooms the transaction (EXECABORT).
 */
import { ftRegistry } from '../query/registry.js';
import type net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Client } from './client.js';
import { Config } from './config.js';
import { log, type Logger, type LogLevel } from './log.js';
import { ProtocolError, type ReaderLimits } from './resp-reader.js';
import * as dispatch from './dispatch.js';
import { Keyspace } from '../keyspace/keyspace.js';
import { hashListpackLimits } from '../keyspace/hash-value.js';
import { CommandTable } from '../commands/table.js';
import type { CommandSpec } from '../commands/types.js';
import { allCommands } from '../commands/index.js';
import type { Persistence } from '../persistence/persistence.js';
import type { PoolFront } from './pool-front.js';
import { arenaSpace } from '../hnsw/arena.js';
import { ownMemory } from '../hnsw/layout.js';
import { PubSub } from './pubsub.js';
import { OutputLimiter } from './output-limits.js';
import { ClientPause } from './client-pause.js';
import { Propagator, TO_ALL, TO_AOF, TO_REPLICAS, type PropagationListener } from './propagation.js';
import { Replication } from '../replication/replication.js';
import { Listeners, PROTECTED_MODE_DENIED, isLoopback, type ListenerKind } from './listeners.js';
import { Acl } from '../acl/acl.js';
import { SlowLog } from './slowlog.js';
import { LatencyMonitor } from './latency.js';
import { Monitors } from './monitor.js';
import { OpsMeter, activeExpireCycle, idleClients } from './cron.js';
import { LatencyHistogram } from './latency-stats.js';

export { VERSION, VSETD_VERSION } from './version.js';

export interface CommandStats {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
  /** Made at the first call that completes (INFO latencystats, metrics). */
  latency?: LatencyHistogram;
}

export { TO_ALL, TO_AOF, TO_REPLICAS, type PropagationListener };

/** A VSIM request: may be dispatched while earlier searches of the same client still run. */
function isSearchRequest(argv: Buffer[]): boolean {
  const n = argv[0]!;
  return n.length === 4 && (n[0]! | 32) === 118 && (n[1]! | 32) === 115 && (n[2]! | 32) === 105 && (n[3]! | 32) === 109;
}

export class Server {
  readonly config: Config;
  readonly keyspace: Keyspace;
  readonly commands = new CommandTable();
  readonly clients = new Map<number, Client>();
  readonly log: Logger = log;
  readonly startedAt = Date.now();
  readonly runId = crypto.randomBytes(20).toString('hex');
  private nextClientId = 1;
  private listeners: Listeners | null = null;

  // ---- statistics (INFO stats / commandstats / errorstats / latencystats) ----
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  readonly commandStats = new Map<string, CommandStats>();
  readonly errorStats = new Map<string, number>();
  totalErrorReplies = 0;
  private readonly ops = new OpsMeter();
  peakMemory = 0;

  /** Worker threads for VSIM; null until main starts it (tests of the core run without). */
  searchPool: PoolFront | null = null;
  /** Snapshot and AOF machinery, attached by main before loading. */
  persistence: Persistence | null = null;
  /** Changes since the last successful save (rdb_changes_since_last_save). */
  dirty = 0;
  lastSaveTime = Math.floor(Date.now() / 1000);
  /** While true, commands without the `loading` flag answer -LOADING. */
  loading = false;
  /** CLIENT PAUSE: until when, and whether only writes are held. */
  private readonly clientPause = new ClientPause(() => this.unpauseClients());
  private readonly heldClients = new Set<Client>();
  private readonly propagator = new Propagator();
  /**
   * Work to run before the process exits (saving a snapshot, flushing the AOF). A hook that throws
   * aborts a SHUTDOWN command (Redis refuses to exit when the final save fails) unless forced.
   */
  readonly shutdownHooks: Array<(opts: { save: boolean | null; background: boolean }) => Promise<void> | void> = [];
  /** Runs before any reply bytes leave the server: the AOF writes (and maybe fsyncs) here. */
  beforeReply: () => void = () => {};
  /** Reason write commands are refused right now (e.g. MISCONF after a failed save), or null. */
  denyWrites: () => string | null = () => null;
  /** Extra INFO sections contributed by subsystems (persistence, search pool): name → lines. */
  readonly infoProviders = new Map<string, () => Array<[string, string | number]>>();
  private cronTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  readonly outputLimiter: OutputLimiter;
  readonly pubsub = new PubSub({ afterPush: (c) => this.outputLimiter.closeIfOver(c) });
  /** Both sides of replication: this server's replicas, and its link to its primary. */
  readonly replication: Replication;
  readonly acl: Acl;
  readonly slowlog: SlowLog;
  readonly latency: LatencyMonitor;
  readonly monitors: Monitors;

  constructor(config: Config) {
    this.config = config;
    this.keyspace = new Keyspace(config.int('databases'));
    this.commands.register(allCommands());
    this.acl = new Acl(this.commands, this);
    config.onChange('requirepass', (v) => this.acl.setDefaultPassword(v));
    this.slowlog = new SlowLog(config);
    this.latency = new LatencyMonitor(config);
    this.monitors = new Monitors(() => config.get('unixsocket'), (c) => this.outputLimiter.closeIfOver(c));
    // An expired key leaves the AOF as a DEL; like Redis, expiry itself is not a change (dirty).
    this.keyspace.onExpired = (db, key) => {
      this.propagate(db, [Buffer.from('DEL'), Buffer.from(key, 'latin1')]);
    };
    // The FT indexes follow database 0 from the start: a load (start-up, a replica's sync) may bring some.
    ftRegistry(this.keyspace);
    this.keyspace.onObserverError = (e) => {
      this.log.warning(`Keyspace observer failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    };
    // The hash encoding thresholds live with the hash type (snapshot loads read them too).
    const hashLimits = (): void => {
      hashListpackLimits.entries = config.int('hash-max-listpack-entries');
      hashListpackLimits.value = config.int('hash-max-listpack-value');
    };
    hashLimits();
    config.onChange('hash-max-listpack-entries', hashLimits);
    config.onChange('hash-max-listpack-value', hashLimits);
    this.log.level = config.get('loglevel') as LogLevel;
    config.onChange('loglevel', (v) => (this.log.level = v as LogLevel));
    config.onChange('hz', () => this.startCron());
    this.outputLimiter = new OutputLimiter(config, this.log, (c) => this.killClient(c));
    this.replication = new Replication(this);
  }

  get readerLimits(): ReaderLimits {
    return {
      maxBulkLength: this.config.int('proto-max-bulk-len'),
      maxMultibulkLength: 1024 * 1024 * 1024,
    };
  }

  /** Listens to what is propagated to `target` (the AOF by default; see propagation.ts). */
  onPropagate(listener: PropagationListener, target = TO_AOF): void {
    this.propagator.on(listener, target);
  }

  propagate(db: number, argv: Buffer[], targets = TO_ALL): void {
    this.propagator.propagate(db, argv, targets);
  }

  /** EXEC brackets its commands so the writes they propagate are wrapped in MULTI … EXEC. */
  beginTransactionPropagation(): void {
    this.propagator.begin();
  }

  endTransactionPropagation(): void {
    this.propagator.end();
  }

  // ---- listening ---------------------------------------------------------------------------

  async listen(): Promise<void> {
    this.listeners = new Listeners(this.config, this.log, (s, kind) => this.accept(s, kind));
    await this.listeners.listen();
    this.startCron();
  }

  /** Stops accepting connections (a signal's shutdown begins here); listen() opens them again. */
  /** Stops accepting connections (shutdown, and SIGTERM's first step in lifecycle.ts). */
  closeListeners(): void {
    this.listeners?.close();
  }

  /** The TCP port actually bound (differs from the config when it was 0 … or for tests). */
  get boundPort(): number {
    return this.listeners?.port('tcp') || this.config.int('port');
  }

  /** The TLS port actually bound, 0 without TLS. */
  get boundTlsPort(): number {
    return this.listeners?.port('tls') ?? 0;
  }

  private accept(socket: net.Socket, kind: ListenerKind): void {
    this.totalConnections++;
    if (this.clients.size >= this.config.int('maxclients')) {
      this.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    // Protected mode: with no password on the default user, only local peers get in.
    if (kind !== 'unix' && this.config.bool('protected-mode') && this.acl.defaultUser.nopass && !isLoopback(socket.remoteAddress)) {
      this.rejectedConnections++;
      socket.on('error', () => {});
      socket.end(PROTECTED_MODE_DENIED);
      return;
    }
    const keepalive = this.config.int('tcp-keepalive');
    if (keepalive > 0 && kind !== 'unix') socket.setKeepAlive(true, keepalive * 1000);
    if (kind !== 'unix') socket.setNoDelay(true);
    const c = this.attachClient(socket);
    c.unixSocket = kind === 'unix';
    socket.on('data', (chunk: Buffer) => this.onData(c, chunk));
    socket.on('error', () => {
      // ECONNRESET and friends: the close handler cleans up.
    });
    socket.on('close', () => this.onClose(c));
  }

  /**
   * Registers a client for a socket whose input the caller reads itself (the replica's link to
   * its primary): it gets an id, shows in CLIENT LIST and can be killed like any other.
   */
  attachClient(socket: net.Socket): Client {
    const c = new Client(this.nextClientId++, socket, this, this.readerLimits);
    this.clients.set(c.id, c);
    return c;
  }

  private onData(c: Client, chunk: Buffer): void {
    if (c.closing || c.closed) return;
    this.netInputBytes += chunk.length;
    c.lastInteraction = Date.now();
    try {
      c.reader.feed(chunk, (argv) => this.onRequest(c, argv));
      if (c.reader.bufferedBytes > this.config.int('client-query-buffer-limit')) {
        this.log.warning(`Closing client id=${c.id} addr=${c.addr} that reached max query buffer length`);
        c.closing = true;
      }
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.log.verbose(`Protocol error (${e.reason}) from client id=${c.id} addr=${c.addr}`);
        c.reply.error(`ERR ${e.message}`);
      } else {
        // Not expected (handlers are guarded in call()): drop this client, keep the server.
        this.log.warning(`Internal error serving client id=${c.id}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        c.reply.error('ERR internal error');
      }
      c.closing = true;
    }
    c.flush();
  }

  private onRequest(c: Client, argv: Buffer[]): void {
    if (c.closing) return;
    if (c.held.length > 0 || this.mustHold(c, argv)) {
      c.held.push(argv);
      this.heldClients.add(c);
      return;
    }
    this.processCommand(c, argv);
  }

  /**
   * Runs a client's held requests in order until one must wait again (CLIENT PAUSE, or a search
   * of its own still running), then sends what is ready.
   */
  resumeClient(c: Client): void {
    this.heldClients.delete(c);
    while (c.held.length > 0 && !c.closed && !c.closing) {
      const argv = c.held[0]!;
      if (this.mustHold(c, argv)) {
        this.heldClients.add(c);
        break;
      }
      c.held.shift();
      this.processCommand(c, argv);
    }
    c.flush();
  }

  private onClose(c: Client): void {
    this.releaseClient(c);
  }

  /**
   * Forgets a client: its watches, subscriptions and registry entry. Runs when the socket closes,
   * and at once when the server closes a client itself, so that a PUBLISH or CLIENT LIST right
   * after a CLIENT KILL no longer sees it (Redis frees a killed client synchronously too).
   */
  private releaseClient(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    c.closing = true;
    c.unwatchAll();
    this.pubsub.dropAll(c);
    this.monitors.delete(c);
    this.clients.delete(c.id);
    this.heldClients.delete(c);
    if (c.replicationLink !== null) this.replication.onClientReleased(c);
  }

  /** Closes a client (CLIENT KILL, idle timeout), after its pending replies when `graceful`. */
  killClient(c: Client, graceful = false): void {
    if (graceful) {
      c.closing = true;
      c.flush();
    } else {
      this.releaseClient(c);
      c.socket.destroy();
    }
  }

  // ---- dispatch ----------------------------------------------------------------------------

  processCommand(c: Client, argv: Buffer[]): void {
    dispatch.processCommand(this, c, argv);
  }

  /** Runs a resolved command, recording stats and propagating writes. */
  call(c: Client, spec: CommandSpec, argv: Buffer[]): void {
    dispatch.call(this, c, spec, argv);
  }

  resetStats(): void {
    this.commandStats.clear();
    this.errorStats.clear();
    this.totalErrorReplies = 0;
    this.totalCommands = 0;
    this.totalConnections = 0;
    this.rejectedConnections = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.keyspace.stats.expiredKeys = 0;
    this.keyspace.stats.keyspaceHits = 0;
    this.keyspace.stats.keyspaceMisses = 0;
    this.acl.log.resetStats();
  }

  // ---- memory ------------------------------------------------------------------------------

  /**
   * Bytes in use: the JS heap, off-heap buffers, the records and heap memories of large sets
   * (which Node's figures leave out), and the arena blocks small sets use — blocks in use, not what the
   * arenas' memories hold: freed blocks are reused by other sets, as an allocator's free memory
   * is in Redis's used_memory.
   */
  usedMemory(): number {
    const m = process.memoryUsage();
    const arenas = arenaSpace.usage();
    const used = m.heapUsed + m.arrayBuffers + ownMemory.bytes + arenas.live + arenas.retired;
    if (used > this.peakMemory) this.peakMemory = used;
    return used;
  }

  // ---- CLIENT PAUSE ------------------------------------------------------------------------

  pauseClients(ms: number, writesOnly: boolean): void {
    this.clientPause.pause(ms, writesOnly);
  }

  unpauseClients(): void {
    this.clientPause.end();
    for (const c of [...this.heldClients]) this.resumeClient(c);
  }

  get clientsPaused(): boolean {
    return this.clientPause.active;
  }

  /**
   * Whether a request must wait. Three reasons:
   * - A search of this client is still running in a worker. Like Redis, which blocks a client
   *   during its threaded VSIM, the client's next command waits, so it cannot overtake the search
   *   (a pipelined VREM must not remove what the VSIM before it was asked to find). Further VSIMs
   *   are the exception: they read only, so pipelined searches are spread over the pool.
   * - CLIENT PAUSE (client-pause.ts), which never holds replication links. CLIENT UNPAUSE itself
   *   and connection commands pass.
   * - Its output is full (a client that sends but does not read): memory stays bounded.
   */
  private mustHold(c: Client, argv: Buffer[]): boolean {
    if (c.mustWaitForOutput) {
      c.heldForOutput = true;
      return true;
    }
    if (c.pendingReplies > 0 && !(c.multi === null && isSearchRequest(argv))) return true;
    if (!this.clientPause.active || c.replicationLink !== null) return false;
    const res = this.commands.resolve(argv);
    return res.spec !== undefined && this.clientPause.holds(res.spec);
  }

  // ---- cron --------------------------------------------------------------------------------

  get instantaneousOps(): number {
    return this.ops.value;
  }

  private startCron(): void {
    if (this.cronTimer) clearInterval(this.cronTimer);
    this.cronTimer = setInterval(() => this.cron(), Math.max(2, Math.round(1000 / this.config.int('hz'))));
    this.cronTimer.unref();
  }

  private cron(): void {
    const now = Date.now();
    // A replica never expires keys itself: its primary's DELs do (see expiryModeFor).
    if (!this.clientPause.writesOnly && !this.replication.isReplica && !this.loading) activeExpireCycle(this.keyspace.dbs, now);
    for (const c of idleClients([...this.clients.values()], this.config.int('timeout'), now)) {
      if (c.replicationLink !== null) continue;
      this.log.verbose(`Closing idle client id=${c.id}`);
      this.killClient(c);
    }
    this.ops.sample(now, this.totalCommands);
    this.usedMemory();
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Stops accepting connections, runs shutdown hooks (saving as configured or as SHUTDOWN asked),
   * closes clients and exits. `save`: true = SHUTDOWN SAVE, false = NOSAVE, null = as configured.
   */
  async shutdown(save: boolean | null, opts: { exit?: boolean; force?: boolean; background?: boolean } = {}): Promise<string | null> {
    const exit = opts.exit ?? true;
    if (this.shuttingDown) return null;
    this.shuttingDown = true;
    this.log.warning('User requested shutdown...');
    for (const hook of this.shutdownHooks) {
      try {
        await hook({ save, background: opts.background ?? false });
      } catch (e) {
        this.log.warning(`Error during shutdown: ${(e as Error).message}`);
        if (!opts.force) {
          this.shuttingDown = false;
          this.log.warning('Errors trying to SHUTDOWN. Check logs.');
          return 'ERR Errors trying to SHUTDOWN. Check logs.';
        }
      }
    }
    this.closeListeners();
    if (this.cronTimer) clearInterval(this.cronTimer);
    for (const c of this.clients.values()) c.socket.destroy();
    const unixPath = this.config.get('unixsocket');
    if (unixPath !== '') {
      try {
        fs.unlinkSync(unixPath);
      } catch {
        // already gone
      }
    }
    this.log.warning('vsetd is now ready to exit, bye bye...');
    if (exit) process.exit(0);
    return null;
  }

  /** Absolute path of a file in the configured working directory. */
  dataPath(file: string): string {
    return path.resolve(this.config.get('dir'), file);
  }
}
