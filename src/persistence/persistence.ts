/**
 * Persistence orchestration: loading at start-up, SAVE/BGSAVE and `save` points, the AOF and its
 * automatic rewrites, saving on shutdown, the MISCONF guard, and the persistence fields of INFO.
 *
 * Start-up order, as in Redis: with appendonly yes and an AOF manifest, the AOF (its base snapshot
 * plus the increments) is the truth; otherwise dump.vsdb is loaded if present. Either way the data
 * is parsed and validated completely before any of it is installed, and a fault stops start-up with
 * a log line naming the file, key and offset (design invariant 4).
 */
import fs from 'node:fs';
import type { Server } from '../server/server.js';
import { AppendOnlyFile, AofLoadError } from './aof.js';
import { captureDataset, installSnapshot, loadSnapshotSteps, writeSnapshotAsync, writeSnapshotSync } from './snapshot.js';
import { runStepsYielding } from './load-steps.js';
import { Progress } from './progress.js';
import { CorruptDataError } from './binary.js';
import { VSETD_VERSION } from '../server/server.js';
import { loadTraceTake } from './load-trace.js';

/** Redis retries a failed automatic BGSAVE only after this delay. */
const BGSAVE_RETRY_DELAY_MS = 5000;

export class StartupLoadError extends Error {}

export class Persistence {
  readonly aof: AppendOnlyFile;
  bgsaveInProgress = false;
  bgsaveStartedAt = 0;
  lastBgsaveStatus: 'ok' | 'err' = 'ok';
  lastBgsaveSeconds = -1;
  private lastBgsaveTry = 0;
  private bgsaveScheduled = false;
  private cron: NodeJS.Timeout | null = null;
  /** The start-up load under way (INFO loading_* fields, the log), and a save's. */
  loadProgress: Progress | null = null;
  saveProgress: Progress | null = null;
  /** Skip checksum checks on RESTORE payloads (DEBUG SET-SKIP-CHECKSUM-VALIDATION). */
  skipChecksum = false;

  constructor(private readonly server: Server) {
    this.aof = new AppendOnlyFile(server);
    server.onPropagate((db, argv) => this.aof.feed(db, argv));
    server.beforeReply = () => this.aof.flush();
    server.denyWrites = () => this.misconf();
    server.shutdownHooks.push((opts) => this.onShutdown(opts.save, opts.background));
    server.infoProviders.set('persistence', () => this.infoLines());
    server.config.onChange('appendonly', (v) => this.onAppendonlyChange(v === 'yes'));
  }

  get snapshotPath(): string {
    return this.server.dataPath(this.server.config.get('dbfilename'));
  }

  private get savePoints(): Array<[number, number]> {
    const parts = this.server.config.get('save').split(' ').filter((p) => p !== '');
    const out: Array<[number, number]> = [];
    for (let i = 0; i + 1 < parts.length; i += 2) out.push([Number(parts[i]), Number(parts[i + 1])]);
    return out;
  }

  /**
   * Loads the dataset at start-up, with the port already open: until it is loaded, commands
   * without the `loading` flag answer -LOADING, and INFO persistence shows the progress. The
   * load yields to the event loop between keys (load-steps.ts). Throws StartupLoadError.
   */
  async loadAtStartup(): Promise<void> {
    const log = this.server.log;
    const t0 = performance.now();
    this.server.loading = true;
    const delay = (): number => this.server.config.int('key-load-delay');
    try {
      if (this.server.config.bool('appendonly') && this.aof.manifestExists()) {
        const progress = this.beginLoadProgress(0);
        const r = await runStepsYielding(this.aof.loadSteps(progress), delay);
        const ms = performance.now() - t0;
        log.notice(`DB loaded from append only file: ${(ms / 1000).toFixed(3)} seconds (${r.keys} keys, ${r.commands} commands replayed)`);
      } else if (fs.existsSync(this.snapshotPath)) {
        const progress = this.beginLoadProgress(fs.statSync(this.snapshotPath).size);
        const loaded = await runStepsYielding(loadSnapshotSteps(this.snapshotPath, this.server.keyspace.dbs.length, progress), delay);
        const elements = loaded.elements;
        const keys = installSnapshot(this.server.keyspace, loaded);
        const s = (performance.now() - t0) / 1000;
        const mb = loaded.bytes / (1024 * 1024);
        const trace = loadTraceTake();
        const streamed = loaded.helperStreamed > 0 ? ` (${loaded.helperStreamed} begun while reading)` : '';
        const helped =
          (loaded.helperChecks > 0 ? `, ${loaded.helperChecks} link check(s) on a helper thread${streamed}` : '') +
          (loaded.helperSets > 0 ? `, ${loaded.helperSets} small set(s) checked on a helper thread` : '');
        log.notice(
          `DB loaded from disk: ${s.toFixed(3)} seconds, ${keys} keys, ${elements} vector set elements, ${mb.toFixed(1)} MB (${(mb / s).toFixed(0)} MB/s, ${Math.round(elements / s)} elements/s${helped})${trace ? ` [${trace}]` : ''}`,
        );
        this.server.lastSaveTime = Math.floor(fs.statSync(this.snapshotPath).mtimeMs / 1000);
      }
    } catch (e) {
      if (e instanceof CorruptDataError || e instanceof AofLoadError) {
        throw new StartupLoadError(e.message);
      }
      throw e;
    } finally {
      this.loadProgress?.stop();
      this.loadProgress = null;
      this.server.loading = false;
    }
    this.server.dirty = 0;
    if (this.server.config.bool('appendonly')) this.aof.start();
    this.cron = setInterval(() => this.tick(), 1000);
    this.cron.unref();
  }

  private beginLoadProgress(total: number): Progress {
    this.loadProgress = new Progress('Loading the dataset', total, 'bytes').logTo(this.server.log);
    return this.loadProgress;
  }

  /** SAVE: synchronous snapshot. */
  saveSync(): void {
    const dirtyBefore = this.server.dirty;
    const t0 = performance.now();
    // Written before any other command runs: the values' bytes are read where they lie.
    const size = writeSnapshotSync(this.snapshotPath, captureDataset(this.server.keyspace, this.aux(), 'in-place'));
    this.server.dirty -= dirtyBefore;
    this.server.lastSaveTime = Math.floor(Date.now() / 1000);
    this.server.log.notice(`DB saved on disk (${size} bytes in ${(performance.now() - t0).toFixed(0)} ms)`);
  }

  /**
   * BGSAVE: the dataset is captured now (a copy of each value, taken between commands), then
   * written with asynchronous I/O while clients are served.
   */
  bgsave(): Promise<void> {
    this.bgsaveInProgress = true;
    this.bgsaveStartedAt = Date.now();
    this.lastBgsaveTry = Date.now();
    const dirtyBefore = this.server.dirty;
    const ds = captureDataset(this.server.keyspace, this.aux());
    this.server.log.notice('Background saving started');
    this.saveProgress = new Progress('Background saving', ds.count, 'keys').logTo(this.server.log);
    return writeSnapshotAsync(this.snapshotPath, ds, this.aof.saveHooks(this.saveProgress)).then(
      (size) => {
        this.server.dirty -= dirtyBefore;
        this.server.lastSaveTime = Math.floor(Date.now() / 1000);
        this.lastBgsaveStatus = 'ok';
        this.server.log.notice(`Background saving terminated with success (${size} bytes)`);
      },
      (e: unknown) => {
        this.lastBgsaveStatus = 'err';
        this.server.log.warning(`Background saving error: ${(e as Error).message}`);
      },
    ).finally(() => {
      this.saveProgress?.stop();
      this.saveProgress = null;
      this.lastBgsaveSeconds = Math.round((Date.now() - this.bgsaveStartedAt) / 1000);
      this.bgsaveInProgress = false;
      if (this.aof.rewriteScheduled && !this.aof.rewriteInProgress) void this.startRewrite();
    });
  }

  scheduleBgsave(): void {
    this.bgsaveScheduled = true;
  }

  /** BGREWRITEAOF, or creating the AOF files when appends are off. */
  async startRewrite(): Promise<void> {
    if (!this.aof.enabled) {
      this.aof.start();
      this.aof.stop();
      return;
    }
    try {
      await this.aof.rewrite();
    } catch {
      // logged by the AOF; INFO shows aof_last_bgrewrite_status:err
    }
    if (this.bgsaveScheduled && !this.bgsaveInProgress) {
      this.bgsaveScheduled = false;
      void this.bgsave();
    }
  }

  private aux(): Array<[string, string]> {
    return [
      ['vsetd-ver', VSETD_VERSION],
      ['ctime', String(Math.floor(Date.now() / 1000))],
    ];
  }

  /** `save <seconds> <changes>` points, checked once a second. */
  private tick(): void {
    if (this.bgsaveInProgress || this.aof.rewriteInProgress) return;
    if (this.bgsaveScheduled) {
      this.bgsaveScheduled = false;
      void this.bgsave();
      return;
    }
    const now = Date.now();
    const sinceSave = now / 1000 - this.server.lastSaveTime;
    for (const [seconds, changes] of this.savePoints) {
      if (this.server.dirty >= changes && sinceSave >= seconds) {
        if (this.lastBgsaveStatus === 'err' && now - this.lastBgsaveTry < BGSAVE_RETRY_DELAY_MS) return;
        this.server.log.notice(`${changes} changes in ${seconds} seconds. Saving...`);
        void this.bgsave();
        return;
      }
    }
  }

  private misconf(): string | null {
    if (this.lastBgsaveStatus === 'err' && this.savePoints.length > 0 && this.server.config.bool('stop-writes-on-bgsave-error')) {
      return 'MISCONF Errors writing the snapshot to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if snapshots fail (stop-writes-on-bgsave-error option). Please check the server logs for details about the error.';
    }
    return null;
  }

  private onAppendonlyChange(on: boolean): void {
    // The end of the start-up load starts the AOF if the option says so by then.
    if (this.server.loading) return;
    try {
      if (on && !this.aof.enabled) {
        // Redis rewrites on enable so the AOF starts from the full current dataset.
        if (this.aof.manifestExists()) fs.rmSync(this.aof.dir, { recursive: true, force: true });
        this.aof.start();
      } else if (!on) {
        this.aof.stop();
      }
    } catch (e) {
      this.server.log.warning(`Could not ${on ? 'enable' : 'disable'} the AOF: ${(e as Error).message}`);
    }
  }

  /**
   * The final save. `background`: clients are held (a signal's shutdown, lifecycle.ts), so the
   * snapshot is written with asynchronous I/O and the event loop stays free for a second signal,
   * which exits at once. As in Redis, nothing is saved while the dataset is still loading: that
   * would replace a good file with part of it.
   */
  private async onShutdown(save: boolean | null, background: boolean): Promise<void> {
    if (this.aof.enabled) this.aof.sync();
    const wantSave = !this.server.loading && (save === true || (save === null && this.savePoints.length > 0));
    if (wantSave) {
      this.server.log.notice('Saving the final snapshot before exiting.');
      if (background) await this.saveInBackground();
      else this.saveSync();
    }
    this.aof.stop();
  }

  private async saveInBackground(): Promise<void> {
    const t0 = performance.now();
    const ds = captureDataset(this.server.keyspace, this.aux());
    this.saveProgress = new Progress('Saving the final snapshot', ds.count, 'keys').logTo(this.server.log);
    try {
      const size = await writeSnapshotAsync(this.snapshotPath, ds, this.aof.saveHooks(this.saveProgress));
      this.server.dirty = 0;
      this.server.lastSaveTime = Math.floor(Date.now() / 1000);
      this.server.log.notice(`DB saved on disk (${size} bytes in ${(performance.now() - t0).toFixed(0)} ms)`);
    } finally {
      this.saveProgress.stop();
      this.saveProgress = null;
    }
  }

  /** INFO persistence's loading fields, as Redis prints them while it loads. */
  private loadingLines(): Array<[string, string | number]> {
    const p = this.loadProgress;
    if (p === null) return [];
    return [
      ['loading_start_time', Math.floor(p.startedAt / 1000)],
      ['loading_total_bytes', p.total],
      ['loading_rdb_used_mem', 0],
      ['loading_loaded_bytes', p.done],
      ['loading_loaded_perc', p.percent.toFixed(2)],
      ['loading_eta_seconds', p.etaSeconds],
    ];
  }

  private infoLines(): Array<[string, string | number]> {
    const now = Date.now();
    const saving = this.saveProgress ?? this.aof.rewriteProgress;
    return [
      ['loading', this.server.loading ? 1 : 0],
      ['current_save_keys_processed', saving?.done ?? 0],
      ['current_save_keys_total', saving?.total ?? 0],
      ['rdb_changes_since_last_save', this.server.dirty],
      ['rdb_bgsave_in_progress', this.bgsaveInProgress ? 1 : 0],
      ['rdb_last_save_time', this.server.lastSaveTime],
      ['rdb_last_bgsave_status', this.lastBgsaveStatus],
      ['rdb_last_bgsave_time_sec', this.lastBgsaveSeconds],
      ['rdb_current_bgsave_time_sec', this.bgsaveInProgress ? Math.round((now - this.bgsaveStartedAt) / 1000) : -1],
      ['aof_enabled', this.aof.enabled ? 1 : 0],
      ['aof_rewrite_in_progress', this.aof.rewriteInProgress ? 1 : 0],
      ['aof_rewrite_scheduled', this.aof.rewriteScheduled ? 1 : 0],
      ['aof_last_rewrite_time_sec', this.aof.lastRewriteSeconds],
      ['aof_current_rewrite_time_sec', this.aof.rewriteInProgress ? Math.round((now - this.aof.rewriteStartedAt) / 1000) : -1],
      ['aof_last_bgrewrite_status', this.aof.lastRewriteStatus],
      ['aof_rewrites', this.aof.rewrites],
      ['aof_last_write_status', this.aof.lastWriteStatus],
      ...(this.aof.enabled
        ? ([
            ['aof_current_size', this.aof.currentSize],
            ['aof_base_size', this.aof.baseSize],
          ] as Array<[string, number]>)
        : []),
      ...this.loadingLines(),
    ];
  }
}
