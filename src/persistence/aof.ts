/**
 * The append-only file, as Redis 7's multi-part AOF: a directory (appenddirname) holding a base
 * file (a snapshot in dump.vsdb format), increment files of RESP commands, and a small manifest
 * naming them in order. Rewriting produces a new base and switches to a fresh increment file; the
 * manifest is replaced atomically (temp file, fsync, rename, directory fsync), so at every moment
 * the files it names hold every acknowledged write.
 *
 * Durability (design invariant 5): appended bytes are written before any reply leaves the server
 * (Client.flush calls `server.beforeReply`). With `appendfsync always` they are also fsynced
 * then; with `everysec` an fsync runs at most once a second on the libuv thread pool, so at most
 * about a second of writes can be lost; with `no` the kernel decides.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RequestReader, ProtocolError } from '../server/resp-reader.js';
import { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { captureDataset, installSnapshot, loadSnapshotSteps, writeSnapshotAsync, writeSnapshotSync, type SaveHooks } from './snapshot.js';
import { runSteps } from './load-steps.js';
import { Progress } from './progress.js';
import { CorruptDataError, fsyncDir } from './binary.js';
import { AofLoadError, aofDir, manifestPath, parseManifest, type ManifestEntry } from './aof-manifest.js';

export { AofLoadError, parseManifest, type ManifestEntry };

/** Encodes one command as a RESP array of bulk strings. */
/** Bytes of an increment file replayed between two steps of a load (see load-steps.ts). */
const REPLAY_SLICE = 64 * 1024;

export function encodeCommand(argv: readonly Uint8Array[]): Buffer {
  let size = 1 + String(argv.length).length + 2;
  for (const a of argv) size += 1 + String(a.length).length + 2 + a.length + 2;
  const out = Buffer.allocUnsafe(size);
  let p = out.write(`*${argv.length}\r\n`, 0, 'latin1');
  for (const a of argv) {
    p += out.write(`$${a.length}\r\n`, p, 'latin1');
    out.set(a, p);
    p += a.length;
    out[p++] = 13;
    out[p++] = 10;
  }
  return out;
}

function renderManifest(entries: ManifestEntry[]): string {
  return entries.map((e) => `file ${e.file} seq ${e.seq} type ${e.type}\n`).join('');
}

export class AppendOnlyFile {
  private fd: number | null = null;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Database the increment file's last SELECT chose (-1: none yet in this file). */
  private selectedDb = -1;
  private manifest: ManifestEntry[] = [];
  private fsyncTimer: NodeJS.Timeout | null = null;
  private fsyncInFlight = false;
  private unsynced = false;
  /** Size of the AOF (base + increments) after the last rewrite, and now: auto-rewrite reads them. */
  baseSize = 0;
  currentSize = 0;
  rewriteInProgress = false;
  rewriteScheduled = false;
  lastRewriteStatus: 'ok' | 'err' = 'ok';
  lastRewriteSeconds = -1;
  rewriteStartedAt = 0;
  rewrites = 0;
  /** The rewrite under way: keys written of the dataset's (INFO, metrics, the log). */
  rewriteProgress: Progress | null = null;
  lastWriteStatus: 'ok' | 'err' = 'ok';
  /** Set while replaying: nothing is appended. */
  private replaying = false;

  constructor(private readonly server: Server) {}

  get enabled(): boolean {
    return this.fd !== null;
  }

  get dir(): string {
    return aofDir(this.server.config);
  }

  private get baseName(): string {
    return this.server.config.get('appendfilename');
  }

  private get manifestPath(): string {
    return manifestPath(this.server.config);
  }

  manifestExists(): boolean {
    return fs.existsSync(this.manifestPath);
  }

  // ---- appending ---------------------------------------------------------------------------

  /** Propagation listener: buffers the command; it reaches the file before any reply. */
  feed(db: number, argv: readonly Uint8Array[]): void {
    if (this.fd === null || this.replaying) return;
    if (db >= 0 && db !== this.selectedDb) {
      this.push(encodeCommand([Buffer.from('SELECT'), Buffer.from(String(db))]));
      this.selectedDb = db;
    }
    this.push(encodeCommand(argv));
  }

  private push(b: Buffer): void {
    this.buffered.push(b);
    this.bufferedBytes += b.length;
  }

  /** Writes buffered commands; with appendfsync always, also fsyncs. Runs before replies go out. */
  flush(): void {
    if (this.fd === null || this.bufferedBytes === 0) return;
    const data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
      this.currentSize += data.length;
      if (this.server.config.get('appendfsync') === 'always') fs.fdatasyncSync(this.fd);
      else this.unsynced = true;
      this.lastWriteStatus = 'ok';
    } catch (e) {
      this.lastWriteStatus = 'err';
      // Redis exits rather than acknowledge a write it could not make durable under "always".
      this.server.log.warning(`Error writing to the AOF file: ${(e as Error).message}`);
      if (this.server.config.get('appendfsync') === 'always') {
        this.server.log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
        process.exit(1);
      }
      throw e;
    }
    this.maybeScheduleRewrite();
  }

  private startFsyncTimer(): void {
    if (this.fsyncTimer) return;
    this.fsyncTimer = setInterval(() => {
      if (this.fd === null || !this.unsynced || this.fsyncInFlight) return;
      if (this.server.config.get('appendfsync') !== 'everysec') return;
      this.unsynced = false;
      this.fsyncInFlight = true;
      const fd = this.fd;
      fs.fdatasync(fd, (err) => {
        this.fsyncInFlight = false;
        if (err && fd === this.fd) {
          this.unsynced = true;
          this.server.log.warning(`AOF fsync failed: ${err.message}`);
        }
      });
    }, 1000);
    this.fsyncTimer.unref();
  }

  // ---- files and manifest ------------------------------------------------------------------

  private writeManifest(entries: ManifestEntry[]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `temp-${this.baseName}.manifest`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, renderManifest(entries));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.manifestPath);
    fsyncDir(this.dir);
    this.manifest = entries;
  }

  private nextSeq(type: 'b' | 'i'): number {
    let max = 0;
    for (const e of this.manifest) if (e.type === type) max = Math.max(max, e.seq);
    return max + 1;
  }

  /** Opens a new increment file for appending (after a SELECT reset). */
  private openIncr(entry: ManifestEntry): void {
    if (this.fd !== null) {
      this.flush();
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
    }
    this.fd = fs.openSync(path.join(this.dir, entry.file), 'a');
    this.selectedDb = -1;
    this.startFsyncTimer();
  }

  /** Sum of the sizes of the files the manifest names. */
  private measure(): number {
    let n = 0;
    for (const e of this.manifest) {
      try {
        n += fs.statSync(path.join(this.dir, e.file)).size;
      } catch {
        // missing file: counted as empty
      }
    }
    return n;
  }

  // ---- loading -----------------------------------------------------------------------------

  /**
   * Loads the dataset named by the manifest: the base snapshot, then every increment replayed in
   * order. A truncated last command is dropped (and the file cut there) when aof-load-truncated is
   * yes; any other fault throws AofLoadError naming the file and offset. Keyspace observers get
   * one `loaded` event at the end, not the replayed commands' changes.
   */
  load(): { keys: number; commands: number } {
    return runSteps(this.loadSteps(null));
  }

  /**
   * load() in steps (persistence/load-steps.ts): the start-up load yields between them.
   * `progress` counts the bytes of the base file and the increments.
   */
  loadSteps(progress: Progress | null): Generator<void, { keys: number; commands: number }, void> {
    return this.server.keyspace.loadSteps(this.loadFiles(progress));
  }

  private *loadFiles(progress: Progress | null): Generator<void, { keys: number; commands: number }, void> {
    this.manifest = parseManifest(fs.readFileSync(this.manifestPath, 'utf8'));
    let commands = 0;
    const incrs = this.manifest.filter((e) => e.type === 'i').sort((a, b) => a.seq - b.seq);
    const base = this.manifest.find((e) => e.type === 'b');
    if (progress !== null) progress.total = this.measure();
    let doneBefore = 0;
    if (base) {
      const file = path.join(this.dir, base.file);
      let loaded;
      try {
        loaded = yield* loadSnapshotSteps(file, this.server.keyspace.dbs.length, progress);
      } catch (e) {
        if (e instanceof CorruptDataError) throw new AofLoadError(`Bad AOF base file ${base.file}: ${e.message}`);
        if ((e as NodeJS.ErrnoException).code !== undefined) {
          throw new AofLoadError(`Can't open the AOF base file ${base.file}: ${(e as Error).message}`);
        }
        throw e;
      }
      installSnapshot(this.server.keyspace, loaded);
      doneBefore = loaded.bytes;
    }
    for (let i = 0; i < incrs.length; i++) {
      const replayed = yield* this.replay(incrs[i]!, i === incrs.length - 1, progress, doneBefore);
      commands += replayed.commands;
      doneBefore += replayed.bytes;
    }
    this.baseSize = this.measure();
    this.currentSize = this.baseSize;
    return { keys: this.server.keyspace.totalKeys(), commands };
  }

  /**
   * Replays one increment file, fed to the reader in slices of REPLAY_SLICE bytes with a step
   * between them. Returns the commands replayed and the file's size.
   */
  private *replay(entry: ManifestEntry, isLast: boolean, progress: Progress | null, doneBefore: number): Generator<void, { commands: number; bytes: number }, void> {
    const file = path.join(this.dir, entry.file);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && isLast) return { commands: 0, bytes: 0 };
      throw new AofLoadError(`Can't open the append-only file ${entry.file}: ${(e as Error).message}`);
    }
    const client = new Client(0, new net.Socket(), this.server, this.server.readerLimits);
    client.authenticated = true;
    // Replayed commands run inline, as inside EXEC (VSIM never goes to a worker, CAS is ignored).
    client.inExec = true;
    const reader = new RequestReader(this.server.readerLimits);
    let count = 0;
    let multiStart = -1;
    let lastEnd = 0;
    const queue: Array<{ argv: Buffer[] }> = [];
    this.replaying = true;
    const sink = (argv: Buffer[]): void => {
      const name = argv[0]!.toString('latin1').toLowerCase();
      const end = reader.requestEnd;
      if (name === 'multi') {
        multiStart = lastEnd;
        queue.length = 0;
      } else if (name === 'exec') {
        for (const q of queue) this.execute(client, q.argv, entry.file);
        queue.length = 0;
        multiStart = -1;
      } else if (multiStart >= 0) {
        queue.push({ argv });
      } else {
        this.execute(client, argv, entry.file);
      }
      lastEnd = end;
      count++;
      client.reply.take();
    };
    try {
      // Arguments queued inside MULTI stay views into what was fed: the reader never reuses it.
      for (let off = 0; off < data.length; off += REPLAY_SLICE) {
        const end = Math.min(off + REPLAY_SLICE, data.length);
        reader.feed(data.subarray(off, end), sink);
        if (progress !== null) progress.done = doneBefore + end;
        yield;
      }
    } catch (e) {
      if (e instanceof ProtocolError) {
        throw new AofLoadError(`Bad file format reading the append only file ${entry.file} at offset ${reader.requestEnd}: ${e.reason}`);
      }
      throw e;
    } finally {
      this.replaying = false;
    }
    const incomplete = reader.bufferedBytes > 0 || multiStart >= 0;
    if (incomplete) {
      const cut = multiStart >= 0 ? multiStart : lastEnd;
      if (!isLast || !this.server.config.bool('aof-load-truncated')) {
        throw new AofLoadError(
          `Unexpected end of file reading the append only file ${entry.file} at offset ${cut}. You can: 1) Make a backup of your AOF file, then truncate it; 2) Set 'aof-load-truncated yes' to load what can be loaded.`,
        );
      }
      this.server.log.warning(
        `!!! Warning: short read while loading the AOF file ${entry.file}!!! AOF loaded anyway because aof-load-truncated is enabled; the incomplete ${multiStart >= 0 ? 'MULTI/EXEC block' : 'last command'} at offset ${cut} was dropped and the file truncated there.`,
      );
      fs.truncateSync(file, cut);
    }
    return { commands: count, bytes: data.length };
  }

  private execute(client: Client, argv: Buffer[], file: string): void {
    const res = this.server.commands.resolve(argv);
    if (!res.spec || !res.spec.handler) {
      throw new AofLoadError(`Bad command in the append only file ${file}: ${res.error ?? argv[0]!.toString('latin1')}`);
    }
    this.server.call(client, res.spec, argv);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /**
   * Starts appending. With a manifest on disk (already loaded), appends go to its last increment
   * file. Without one, the current dataset becomes the first base and a fresh increment starts.
   */
  start(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    if (this.manifestExists()) {
      if (this.manifest.length === 0) this.manifest = parseManifest(fs.readFileSync(this.manifestPath, 'utf8'));
      let incr = [...this.manifest].filter((e) => e.type === 'i').sort((a, b) => a.seq - b.seq).pop();
      if (!incr) {
        incr = { file: `${this.baseName}.${this.nextSeq('i')}.incr.aof`, seq: this.nextSeq('i'), type: 'i' };
        this.writeManifest([...this.manifest, incr]);
      }
      this.openIncr(incr);
      this.baseSize = this.measure();
      this.currentSize = this.baseSize;
      return;
    }
    const baseSeq = 1;
    const base: ManifestEntry = { file: `${this.baseName}.${baseSeq}.base.vsdb`, seq: baseSeq, type: 'b' };
    const incr: ManifestEntry = { file: `${this.baseName}.1.incr.aof`, seq: 1, type: 'i' };
    writeSnapshotSync(path.join(this.dir, base.file), captureDataset(this.server.keyspace, [], 'in-place'));
    fs.writeFileSync(path.join(this.dir, incr.file), '');
    this.writeManifest([base, incr]);
    this.openIncr(incr);
    this.baseSize = this.measure();
    this.currentSize = this.baseSize;
  }

  /** Stops appending (CONFIG SET appendonly no, shutdown). */
  stop(): void {
    if (this.fd === null) return;
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = null;
  }

  /** fsyncs whatever was written (shutdown, SAVE with AOF on). */
  sync(): void {
    if (this.fd === null) return;
    this.flush();
    fs.fsyncSync(this.fd);
  }

  /**
   * BGREWRITEAOF: captures the dataset now, switches appends to a new increment file (named in the
   * manifest at once, so nothing written meanwhile can be lost), writes the new base with async
   * I/O, then installs a manifest of just the new base and the new increment and deletes the
   * files it no longer names.
   */
  async rewrite(): Promise<void> {
    if (this.fd === null) throw new Error('AOF is off');
    this.rewriteInProgress = true;
    this.rewriteScheduled = false;
    this.rewriteStartedAt = Date.now();
    try {
      const dataset = captureDataset(this.server.keyspace);
      const incr: ManifestEntry = { file: `${this.baseName}.${this.nextSeq('i')}.incr.aof`, seq: this.nextSeq('i'), type: 'i' };
      const baseSeq = this.nextSeq('b');
      fs.writeFileSync(path.join(this.dir, incr.file), '');
      this.writeManifest([...this.manifest, incr]);
      this.openIncr(incr);
      const base: ManifestEntry = { file: `${this.baseName}.${baseSeq}.base.vsdb`, seq: baseSeq, type: 'b' };
      this.rewriteProgress = new Progress('AOF rewrite', dataset.count, 'keys').logTo(this.server.log);
      await writeSnapshotAsync(path.join(this.dir, base.file), dataset, this.saveHooks(this.rewriteProgress));
      const old = this.manifest.filter((e) => e.file !== incr.file);
      this.writeManifest([base, incr]);
      for (const e of old) fs.rmSync(path.join(this.dir, e.file), { force: true });
      this.baseSize = this.measure();
      this.currentSize = this.baseSize;
      this.lastRewriteStatus = 'ok';
      this.rewrites++;
      this.server.log.notice('Background AOF rewrite finished successfully');
    } catch (e) {
      this.lastRewriteStatus = 'err';
      this.server.log.warning(`Background AOF rewrite failed: ${(e as Error).message}`);
      throw e;
    } finally {
      this.lastRewriteSeconds = Math.round((Date.now() - this.rewriteStartedAt) / 1000);
      this.rewriteInProgress = false;
      this.rewriteProgress?.stop();
      this.rewriteProgress = null;
    }
  }

  /** What an asynchronous snapshot write (a rewrite's base, BGSAVE) reports and waits for. */
  saveHooks(progress: Progress): SaveHooks {
    return { progress, keyDelayUs: () => this.server.config.int('rdb-key-save-delay') };
  }

  /** auto-aof-rewrite-percentage / -min-size: grows past the threshold → rewrite. */
  private maybeScheduleRewrite(): void {
    if (this.rewriteInProgress || this.rewriteScheduled) return;
    const pct = this.server.config.int('auto-aof-rewrite-percentage');
    const min = this.server.config.int('auto-aof-rewrite-min-size');
    if (pct <= 0 || this.currentSize < min) return;
    const base = this.baseSize === 0 ? 1 : this.baseSize;
    if (((this.currentSize - base) * 100) / base >= pct) {
      this.rewriteScheduled = true;
      this.server.log.notice(`Starting automatic rewriting of AOF on ${Math.round(((this.currentSize - base) * 100) / base)}% growth`);
      setImmediate(() => {
        this.rewrite().catch(() => {});
      });
    }
  }
}
