/**
 * The search pool on piscina (`search-pool piscina`, experimental): the same batched protocol as
 * the default pool (search-pool.ts, whose header has the measurements and why it stays the
 * default), with piscina choosing the worker, replacing dead ones and queueing.
 *
 * What changes because piscina, not this pool, picks the worker of each batch:
 * - Attach once: the pool learns what each worker has from its answers (they carry its thread
 *   id) and sends a set's handle, or an arena's memory, until every live worker has answered a
 *   batch with it. A worker handed an item it lacks anyway (a replacement that started after the
 *   batch was made) names it in `missing` and the pool sends it again with the handle; its reader
 *   ticket stays held meanwhile.
 * - Deletes: no message can be addressed to one worker, so deleted set ids go into a shared ring
 *   (`released`) that each worker reads after every batch — after, so that a set it attached in
 *   that batch goes too. An idle worker keeps a deleted set's memory until its next batch (the
 *   default pool messages it at once); set ids are never reused, so a stale attachment is never
 *   read. A worker that fell a whole ring behind drops all its attachments.
 * - Scratch slots and reader records: every worker gets the same workerData, so each claims the
 *   lowest free arena scratch slot in a shared table (`claims`, by thread id) and notes the reader
 *   slot it holds in that slot's pair of `readers`; piscina's workerDestroy, which comes before
 *   the dead worker's tasks are rejected, lets the pool free both (releaseDeadReader).
 * - Two batches per worker at most, as in the default pool: piscina's concurrentTasksPerWorker.
 * - A resize starts a new piscina of the new size and closes the old one after its tasks.
 */
import { Piscina } from 'piscina';
import { WORKER_SCRATCH_SLOTS } from '../hnsw/arena.js';
import type { WasmMemory } from '../hnsw/platform.js';
import type { Logger } from './log.js';
import { MAX_BATCH, MAX_OUTSTANDING, PoolFront, releaseDeadReader, type BatchItem, type Pending, type ResultMessage } from './pool-front.js';

export type PiscinaAtomics = 'sync' | 'async' | 'disabled';

/** Deleted set ids the workers have yet to read: ring slots after the head counter. */
export const RELEASED_RING = 4096;

/** What every piscina worker gets as workerData. */
export interface PiscinaBoot {
  /** By arena scratch slot: the thread id of the worker holding it, 0 when free (slot 0 is the main thread's). */
  claims: Int32Array;
  /** By scratch slot, two each: that worker's reader record (src/hnsw/epoch.ts, setReaderRecord). */
  readers: Int32Array;
  /** [count of deletes so far, then RELEASED_RING set ids, the n-th at 1 + n % RELEASED_RING]. */
  released: Int32Array;
}

/** One task: a batch, and the arena memories the worker may lack. */
export interface PiscinaBatch {
  items: BatchItem[];
  arenas?: Array<[number, WasmMemory]>;
}

function addTo(map: Map<number, Set<number>>, thread: number, key: number): void {
  let s = map.get(thread);
  if (!s) map.set(thread, (s = new Set()));
  s.add(key);
}

export class PiscinaSearchPool extends PoolFront {
  private pool: Piscina | null = null;
  private threads = 0;
  /** Pools being closed after a resize (or by close): their workers' ends are no failures. */
  private readonly leaving = new Set<Piscina>();
  /** Batches handed to piscina and not yet answered. */
  private readonly out = new Set<Pending[]>();
  /** By worker thread id: sets of their own it has attached, arenas whose memory it has. */
  private readonly attached = new Map<number, Set<number>>();
  private readonly arenasOf = new Map<number, Set<number>>();
  private readonly servedBy = new Map<number, number>();
  private readonly boot: PiscinaBoot = {
    claims: new Int32Array(new SharedArrayBuffer(4 * WORKER_SCRATCH_SLOTS)),
    readers: new Int32Array(new SharedArrayBuffer(8 * WORKER_SCRATCH_SLOTS)),
    released: new Int32Array(new SharedArrayBuffer(4 * (1 + RELEASED_RING))),
  };

  constructor(
    private readonly workerFile: URL,
    size: number,
    private readonly log: Logger,
    private readonly atomics: PiscinaAtomics,
  ) {
    super();
    this.resize(size);
  }

  protected override get kind(): string {
    return `piscina-${this.atomics}`;
  }

  override get size(): number {
    return this.threads;
  }

  override get inflight(): number {
    let n = 0;
    for (const b of this.out) n += b.length;
    return n;
  }

  override perThread(): Array<[number, number]> {
    return this.live().map((t) => [t, this.servedBy.get(t) ?? 0]);
  }

  override resize(n: number): void {
    if (n === this.threads || this.closed) return;
    const old = this.pool;
    this.threads = n;
    this.pool = n > 0 ? this.start(n) : null;
    if (old) this.retire(old);
    this.dispatch();
  }

  private start(n: number): Piscina {
    const pool = new Piscina({
      filename: this.workerFile.href,
      minThreads: n,
      maxThreads: n,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: MAX_OUTSTANDING,
      atomics: this.atomics,
      workerData: this.boot,
    });
    pool.on('workerDestroy', () => this.onWorkerGone(pool));
    // A worker that fails with no task on it; without a listener piscina's 'error' would throw.
    pool.on('error', (e: Error) => this.log.warning(`Search pool (piscina): ${e.message}`));
    return pool;
  }

  private retire(pool: Piscina): void {
    this.leaving.add(pool);
    // close() lets the tasks it holds finish first.
    void pool.close().finally(() => this.leaving.delete(pool));
  }

  /** Thread ids of the current pool's workers. */
  private live(): number[] {
    return this.pool ? this.pool.threads.map((w) => w.threadId) : [];
  }

  override release(setId: number): void {
    for (const s of this.attached.values()) s.delete(setId);
    const r = this.boot.released;
    const n = Atomics.load(r, 0);
    Atomics.store(r, 1 + (n % RELEASED_RING), setId);
    Atomics.store(r, 0, n + 1);
  }

  /**
   * Hands the queue out in the default pool's shares: as many batches as workers without one,
   * then a second batch per worker; piscina's least-busy balancer gives each to the idlest worker.
   */
  protected override dispatch(): void {
    if (!this.pool) return;
    const live = this.live();
    for (let depth = 1; depth <= MAX_OUTSTANDING && this.queue.length > 0; depth++) {
      const open = this.threads * depth - this.out.size;
      for (let i = 0; i < open && this.queue.length > 0; i++) {
        const share = Math.min(MAX_BATCH, Math.ceil(this.queue.length / (open - i)));
        this.send(this.pool, this.queue.splice(0, share), live);
      }
    }
  }

  private send(pool: Piscina, batch: Pending[], live: number[]): void {
    const everyone = (map: Map<number, Set<number>>, key: number): boolean => live.length > 0 && live.every((t) => map.get(t)?.has(key) === true);
    let arenas: Array<[number, WasmMemory]> | undefined;
    for (const p of batch) {
      const h = p.handle;
      if (h.kind === 'vsetd.arena-set') {
        p.item.loc = { arena: h.arena, block: h.block, heapBytes: h.heapBytes, recordsBytes: h.recordsBytes };
        delete p.item.handle;
        if ((p.resend === true || !everyone(this.arenasOf, h.arena)) && !arenas?.some(([a]) => a === h.arena)) (arenas ??= []).push([h.arena, h.memory]);
        continue;
      }
      delete p.item.loc;
      if (p.resend === true || !everyone(this.attached, p.item.setId)) p.item.handle = h;
      else delete p.item.handle;
    }
    this.out.add(batch);
    this.batches++;
    const task: PiscinaBatch = { items: batch.map((p) => p.item), ...(arenas ? { arenas } : {}) };
    pool.run(task).then(
      (m: ResultMessage) => this.onResults(batch, m),
      (e: Error) => this.onFailure(batch, e),
    );
  }

  private onResults(batch: Pending[], m: ResultMessage): void {
    this.out.delete(batch);
    const again: Pending[] = [];
    const n = this.answer(batch, m, again);
    const t = m.threadId ?? 0;
    this.servedBy.set(t, (this.servedBy.get(t) ?? 0) + n);
    // That worker now has every set and arena of the batch it ran.
    if (this.live().includes(t)) {
      for (const p of batch) {
        if (again.includes(p)) continue;
        const h = p.handle;
        if (h.kind === 'vsetd.arena-set') addTo(this.arenasOf, t, h.arena);
        else addTo(this.attached, t, p.item.setId);
      }
    }
    this.queue.unshift(...again);
    this.dispatch();
  }

  private onFailure(batch: Pending[], e: Error): void {
    this.out.delete(batch);
    this.fail(batch, e);
    this.dispatch();
  }

  /**
   * A worker ended (died, or its pool closed). Piscina says so before it rejects the dead
   * worker's tasks, so the batches it held are still in `out`, where releaseDeadReader finds the
   * memory of the set it was reading; then its scratch slot and reader record are free again.
   * The event's thread id is already -1 (the thread is gone): the dead are the holders of a slot
   * that no live worker of any of this pool's piscinas has.
   */
  private onWorkerGone(pool: Piscina): void {
    const { claims, readers } = this.boot;
    const pools = [...(this.pool ? [this.pool] : []), ...this.leaving];
    const alive = new Set(pools.flatMap((x) => x.threads.map((w) => w.threadId)).filter((t) => t > 0));
    for (let k = 1; k < claims.length; k++) {
      const thread = Atomics.load(claims, k);
      if (thread === 0 || alive.has(thread)) continue;
      const record = readers.subarray(2 * k, 2 * k + 2);
      releaseDeadReader(record, this.out);
      Atomics.store(record, 0, 0);
      Atomics.store(record, 1, 0);
      Atomics.store(claims, k, 0);
      this.attached.delete(thread);
      this.arenasOf.delete(thread);
      this.retiredServed += this.servedBy.get(thread) ?? 0;
      this.servedBy.delete(thread);
      if (!this.closed && !this.leaving.has(pool)) this.log.warning(`Search worker ${thread} failed: it exited; piscina starts another`);
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.rejectQueued();
    const pool = this.pool;
    this.pool = null;
    if (!pool) return;
    this.leaving.add(pool);
    await pool.destroy();
  }
}
