/**
 * The search pool: worker threads that run VSIM against vector sets they attach to once, reading
 * the graph straight from shared memory, and hand back the finished reply bytes.
 *
 * Why not piscina (which the design names): the same batched protocol on piscina 5.3.2
 * (search-pool-piscina.ts, `search-pool piscina`, kept as an experimental option) measured worse
 * in every atomics mode (bench:pool, bench/results/pool.md: 2 cores, Node 20, 2 search threads,
 * 20k × 128, 4 shuffled interleaved rounds, per-round ratios against this pool; the run of 22:04Z
 * on an otherwise idle machine). At 8/32/128 connections this pool served 6167/7853/8749 q/s at
 * 246/209/203 µs of server CPU per query; piscina's modes reached 0.86–0.88× / 0.83–0.91× /
 * 0.96–0.99× the rate with 1.07–1.13× / 1.06–1.19× / 1.01–1.04× the CPU. Hand-off on a
 * 200-element set, above the main thread alone: 23/10/−6 µs per query here, 39–41/13–14/−1–2 µs
 * on piscina (its task bookkeeping, a promise per task, and no way to address a worker: handles
 * and deletes go by rounds of its choosing). The
 * rule of issue 20 was to keep piscina within 5 % on both; it was not. This pool does what a
 * search needs and nothing else — one message each way per *batch*: when requests queue up, an
 * idle worker takes a share of the queue in one message and answers with one message holding all
 * the replies in a single transferred buffer; a busy worker may hold one more batch in waiting.
 *
 * A worker attaches a set of its own the first time it gets a request for it (the handle travels
 * with that request only) and forgets it when the set is deleted (`release`); a search already
 * running on a deleted set keeps the memory alive until it ends, because the worker still
 * references it. A set in an arena (src/hnsw/arena.ts) travels as its arena's number and where its
 * block lies now, with every request: blocks move as sets grow. A worker gets each arena's memory
 * once. Every request holds a reader ticket (arenaSpace.tickets) from submission until its reply
 * or its worker's death: a block or slot retired meanwhile is not reused before that.
 */
import { Worker } from 'node:worker_threads';
import type { WasmMemory } from '../hnsw/platform.js';
import type { Logger } from './log.js';
import { MAX_BATCH, MAX_OUTSTANDING, PoolFront, releaseDeadReader, type BatchMessage, type Pending, type ResultMessage } from './pool-front.js';

export { MAX_SEARCH_THREADS } from './pool-front.js';
export type { ArenaLocation, BatchItem, BatchMessage, ResultMessage } from './pool-front.js';

interface Slot {
  index: number;
  /** This worker's scratch record in every arena (src/hnsw/arena.ts): never two live workers alike. */
  scratchSlot: number;
  /**
   * Shared with the worker: [set id + 1, reader slot + 1] while it holds a reader slot of a set
   * of its own (src/hnsw/epoch.ts, setReaderRecord), so that its death can free the slot.
   */
  readerRecord: Int32Array;
  worker: Worker;
  /** Batches sent and not yet answered, oldest first (a worker answers in order). */
  sent: Pending[][];
  attached: Set<number>;
  /** Arenas whose memory this worker has. */
  arenas: Set<number>;
  detach: number[];
  served: number;
  retiring: boolean;
}

/** Searches sent to a worker and not yet answered. */
function queued(s: Slot): number {
  let n = 0;
  for (const b of s.sent) n += b.length;
  return n;
}

export class SearchPool extends PoolFront {
  private slots: Slot[] = [];
  private nextIndex = 0;

  constructor(
    private readonly workerFile: URL,
    size: number,
    private readonly log: Logger,
  ) {
    super();
    this.resize(size);
  }

  protected override get kind(): string {
    return 'native';
  }

  override get size(): number {
    return this.slots.filter((s) => !s.retiring).length;
  }

  override get inflight(): number {
    let n = 0;
    for (const s of this.slots) n += queued(s);
    return n;
  }

  /** Per live thread: index and searches served. */
  override perThread(): Array<[number, number]> {
    return this.slots.filter((s) => !s.retiring).map((s) => [s.index, s.served]);
  }

  override resize(n: number): void {
    while (this.size < n) this.spawn();
    // Retire surplus workers; a busy one finishes its batch first.
    const live = this.slots.filter((s) => !s.retiring);
    for (let i = live.length - 1; i >= n; i--) {
      const s = live[i]!;
      s.retiring = true;
      if (s.sent.length === 0) this.stop(s);
    }
  }

  /** The arena scratch slot of a new worker: the lowest no live worker holds (0 is the main thread's). */
  private freeScratchSlot(): number {
    const used = new Set(this.slots.map((s) => s.scratchSlot));
    let k = 1;
    while (used.has(k)) k++;
    return k;
  }

  private spawn(): void {
    const scratchSlot = this.freeScratchSlot();
    const readerRecord = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(this.workerFile, { workerData: { scratchSlot, readerRecord } });
    const slot: Slot = { index: this.nextIndex++, scratchSlot, readerRecord, worker, sent: [], attached: new Set(), arenas: new Set(), detach: [], served: 0, retiring: false };
    worker.on('message', (m: ResultMessage) => this.onResults(slot, m));
    worker.on('error', (e) => this.onFailure(slot, e));
    worker.on('exit', (code) => {
      if (!slot.retiring && !this.closed) this.onFailure(slot, new Error(`search worker exited with code ${code}`));
    });
    // A worker must not keep the process alive on shutdown.
    worker.unref();
    this.slots.push(slot);
  }

  private stop(s: Slot): void {
    this.slots = this.slots.filter((x) => x !== s);
    this.retiredServed += s.served;
    void s.worker.terminate();
  }

  override release(setId: number): void {
    for (const s of this.slots) {
      if (!s.attached.delete(setId)) continue;
      if (s.sent.length > 0) s.detach.push(setId);
      else s.worker.postMessage({ type: 'batch', items: [], detach: [setId] } satisfies BatchMessage);
    }
  }

  /**
   * Hands the queue out: first to idle workers, in equal shares, then — so that no worker idles
   * while the main thread turns its replies around — as a second batch to workers that have one
   * running, fewest queued searches first.
   */
  protected override dispatch(): void {
    for (let depth = 0; depth < MAX_OUTSTANDING && this.queue.length > 0; depth++) {
      const open = this.slots.filter((s) => s.sent.length === depth && !s.retiring);
      if (depth > 0) open.sort((a, b) => queued(a) - queued(b));
      for (let i = 0; i < open.length && this.queue.length > 0; i++) {
        const share = Math.min(MAX_BATCH, Math.ceil(this.queue.length / (open.length - i)));
        this.send(open[i]!, this.queue.splice(0, share));
      }
    }
  }

  private send(s: Slot, batch: Pending[]): void {
    let arenas: Array<[number, WasmMemory]> | undefined;
    for (const p of batch) {
      const h = p.handle;
      if (h.kind === 'vsetd.arena-set') {
        p.item.loc = { arena: h.arena, block: h.block, heapBytes: h.heapBytes, recordsBytes: h.recordsBytes };
        delete p.item.handle;
        if (!s.arenas.has(h.arena)) {
          s.arenas.add(h.arena);
          (arenas ??= []).push([h.arena, h.memory]);
        }
        continue;
      }
      delete p.item.loc;
      if (!s.attached.has(p.item.setId)) {
        p.item.handle = p.handle;
        s.attached.add(p.item.setId);
      } else {
        delete p.item.handle;
      }
    }
    s.sent.push(batch);
    const msg: BatchMessage = { type: 'batch', items: batch.map((p) => p.item), detach: s.detach, ...(arenas ? { arenas } : {}) };
    s.detach = [];
    this.batches++;
    s.worker.postMessage(msg);
  }

  private onResults(s: Slot, m: ResultMessage): void {
    // This pool's workers always have what they are sent: nothing comes back to be sent again.
    s.served += this.answer(s.sent.shift() ?? [], m, []);
    if (s.retiring && s.sent.length === 0) this.stop(s);
    this.dispatch();
  }

  private onFailure(s: Slot, e: Error): void {
    // An 'error' is followed by an 'exit': one replacement, not two.
    if (!this.slots.includes(s)) return;
    this.log.warning(`Search worker ${s.index} failed: ${e.message}`);
    const batches = s.sent;
    s.sent = [];
    releaseDeadReader(s.readerRecord, batches);
    this.slots = this.slots.filter((x) => x !== s);
    this.retiredServed += s.served;
    for (const b of batches) this.fail(b, e);
    if (!this.closed && !s.retiring) this.spawn();
    this.dispatch();
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.rejectQueued();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
