// The loading thread's side of small sets' checks on the load's helper (image/set-batch.ts).
//
// While a snapshot is read, each small set read straight into an arena block is queued here and
// becomes a PendingValue; every BATCH_SETS sets go to the helper as one message (a message per
// set would cost the loading thread more than the check). When the last record is read the
// loader settles the pending values: the loading thread first takes batches the helper has not
// begun, from the last one back (the helper works from the first one on, so the two meet in the
// middle), checks those itself, then collects the helper's verdicts and adopts every set. The
// helper only saves time: a batch it never began, failed on or did not finish in time is checked
// here, with the same checks and the same messages.

import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { HELPER_SETS, JOB_CANCELLED, JOB_POSTED, type CheckHelper } from '../image/check-helper.js';
import { BatchVerdicts, touchLines, type SetsJobMessage, type SetsVerdictMessage } from '../image/set-batch.js';
import { CorruptDataError } from '../persistence/binary.js';
import type { PendingValue } from '../persistence/codecs.js';
import type { KeyValue } from '../keyspace/value.js';
import type { ArenaPlace, ImageMemory } from '../hnsw/layout.js';
import { retirePlace } from './placement.js';
import { arenaSpace } from '../hnsw/arena.js';
import { VectorSet } from './index.js';

/** Sets per message: enough that posting costs little per set, few enough that the two threads share the tail. */
const BATCH_SETS = 32;
/**
 * Batches the helper has not begun that this thread leaves to it at the end: ≈ 0.5 s of its work.
 * Only a helper that far behind (a starved thread) is worth this thread's share: its check code is
 * cold here, V8 compiles all of it a second time on the same two cores, and each set costs two to
 * three times the helper's. Loads of 100,000 sets left 60-240 batches; with 8 batches this thread
 * took 2,000-7,500 sets, and leaving them all to the helper was 1.8 % faster (6 alternating loads:
 * 1.698 → 1.668 s, 0.1 s less CPU), 3 % at 10,000 sets (9 each: 0.308 → 0.299 s).
 */
const HELPER_AHEAD_BATCHES = 1_000;

type ArenaImage = ImageMemory & { place: ArenaPlace };
/** A set checked on this thread: the set, or the error that refused it. */
type LocalResult = VectorSet | CorruptDataError;

interface Batch {
  job: SetsJobMessage;
  /**
   * Each set's records part of its arena block (bytes): with the job's five numbers per set, all
   * that makes its ArenaImage again (imageAt) — a load of 100,000 sets does not keep 100,000
   * image objects, two views and a place each, until the last record is read.
   */
  recordParts: number[];
  /** The helper's verdicts, once taken. */
  verdicts: BatchVerdicts | null;
  /** This thread's own results, when it checked the batch itself. */
  local: LocalResult[] | null;
}

function refused(problem: string): CorruptDataError {
  return new CorruptDataError(`vector set image refused: ${problem}`);
}

/** The arena block of set `i` of a batch. */
function placeAt(b: Batch, i: number): ArenaPlace {
  const s = b.job.sets;
  const k = i * 5;
  const arena = s[k]!;
  const records = s[k + 1]!;
  const heap = s[k + 3]!;
  // The block starts with the heap part; the records part follows it (codec.ts readIntoBlock).
  return { arena, memory: arenaSpace.arena(arena).memory, block: heap, heapBytes: records - heap, recordsBytes: b.recordParts[i]! };
}

/**
 * Reads the first four lines of each of a batch's record headers, which adopting its sets writes
 * (markCompact, fixedWords): read by the helper long before, they are cold by now, and these
 * reads, which wait on nothing, bring them in together rather than one set at a time.
 */
function touchHeaders(b: Batch): void {
  const s = b.job.sets;
  for (let k = 0; k + 4 < s.length; k += 5) {
    const h = s[k + 1]! >>> 2;
    touchLines(arenaSpace.arena(s[k]!).words, h, h + 64);
  }
}

/** Set `i` of a batch as deferAt() was given it: views of its images in its arena block, and the block. */
function imageAt(b: Batch, i: number): ArenaImage {
  const s = b.job.sets;
  const k = i * 5;
  const bytes = arenaSpace.arena(s[k]!).bytes;
  const records = s[k + 1]!;
  const heap = s[k + 3]!;
  return { mem: null, hp: null, records: bytes.subarray(records, records + s[k + 2]!), heap: bytes.subarray(heap, heap + s[k + 4]!), place: placeAt(b, i) };
}

/** Every set of a batch checked and adopted on this thread. */
function checkAllHere(b: Batch): LocalResult[] {
  return b.recordParts.map((_, i) => checkHere(imageAt(b, i)));
}

/** The check and adoption on this thread (what a load without a helper does). */
function checkHere(image: ArenaImage): LocalResult {
  try {
    return VectorSet.fromImageMemory(image);
  } catch (e) {
    return refused((e as Error).message);
  }
}

/**
 * A small set's pending value: an object of five fields, not three closures — a load of 100,000
 * sets keeps one per set until the last record is read, and the collector copies each once or twice.
 */
class DeferredSet implements PendingValue {
  readonly pending = true;
  private settled = false;

  constructor(
    private readonly batches: SetBatches,
    private readonly batch: Batch,
    private readonly index: number,
    private readonly finish: (set: VectorSet) => KeyValue,
  ) {}

  settle(): KeyValue {
    this.settled = true;
    return this.finish(this.batches.setOf(this.batch, this.index));
  }

  release(): void {
    if (this.settled) return;
    this.settled = true;
    const local = this.batch.local?.[this.index];
    // A set this thread adopted already owns the block; a refused one gave it back.
    if (local instanceof VectorSet) local.dispose();
    else if (local === undefined) retirePlace(placeAt(this.batch, this.index));
  }
}

export class SetBatches {
  private readonly batches: Batch[] = [];
  private open: Batch | null = null;
  private readonly sentArenas = new Set<number>();
  private readonly channel = new MessageChannel();
  private portSent = false;
  private finished = false;
  /** Verdict messages taken from the channel before their batch was asked for. */
  private readonly arrived = new Map<number, SetsVerdictMessage>();

  constructor(
    private readonly helper: CheckHelper,
    /** How many batches not begun are left to the helper when the file is read (tests: fewer). */
    private readonly helperAhead = HELPER_AHEAD_BATCHES,
  ) {
    // The load never returns to the event loop while it uses the channel; it must not keep the process up.
    this.channel.port1.unref();
  }

  /**
   * Queues the check of a small set read into an arena block, its images at these byte offsets of
   * the arena's memory (the load's reader makes no views of them); `finish` builds the value from
   * the adopted set.
   */
  deferAt(place: ArenaPlace, recordsAt: number, recordsLen: number, heapAt: number, heapLen: number, finish: (set: VectorSet) => KeyValue): PendingValue {
    let b = this.open;
    if (b === null) {
      b = { job: { kind: 'sets', batch: this.batches.length, memories: [], sets: [], status: new Int32Array(new SharedArrayBuffer(8)) }, recordParts: [], verdicts: null, local: null };
      this.batches.push(b);
      this.open = b;
    }
    const index = b.recordParts.length;
    if (!this.sentArenas.has(place.arena)) {
      this.sentArenas.add(place.arena);
      b.job.memories.push([place.arena, place.memory]);
    }
    b.recordParts.push(place.recordsBytes);
    b.job.sets.push(place.arena, recordsAt, recordsLen, heapAt, heapLen);
    if (b.recordParts.length === BATCH_SETS) this.post();
    return new DeferredSet(this, b, index, finish);
  }

  private post(): void {
    const b = this.open;
    if (b === null) return;
    this.open = null;
    if (!this.portSent) {
      b.job.port = this.channel.port2;
      this.portSent = true;
    }
    this.helper.submitSets(b.job);
  }

  /** The adopted set of `batch`'s set `index` (DeferredSet.settle); throws CorruptDataError when its image is refused. */
  setOf(batch: Batch, index: number): VectorSet {
    if (!this.finished) this.finish();
    if (batch.local === null && batch.verdicts === null) {
      this.collect(batch);
      touchHeaders(batch);
    }
    const local = batch.local?.[index];
    if (local !== undefined) {
      if (local instanceof CorruptDataError) throw local;
      return local;
    }
    const verdicts = batch.verdicts!;
    const problem = verdicts.problem(index);
    if (problem !== null) {
      retirePlace(placeAt(batch, index));
      throw refused(problem);
    }
    const checked = verdicts.checked(index);
    return VectorSet.adoptInArena(placeAt(batch, index), checked) ?? VectorSet.adoptChecked(imageAt(batch, index), checked);
  }

  /** Once the last record is read: post what is queued, then check the batches the helper has not begun. */
  private finish(): void {
    this.finished = true;
    this.post();
    const last = this.batches[this.batches.length - 1];
    // (Tests: let the helper reach the last batch, so its verdicts are the ones used.)
    if (HELPER_SETS && last !== undefined) this.helper.awaitPickup(last.job);
    // This thread takes a share only when the helper is far behind (HELPER_AHEAD_BATCHES).
    let waiting = 0;
    for (let i = this.batches.length - 1; i >= 0 && Atomics.load(this.batches[i].job.status, 0) === JOB_POSTED; i--) waiting++;
    if (waiting <= this.helperAhead) return;
    for (let i = this.batches.length - 1; i >= 0; i--) {
      const b = this.batches[i];
      if (Atomics.compareExchange(b.job.status, 0, JOB_POSTED, JOB_CANCELLED) !== JOB_POSTED) break;
      b.local = checkAllHere(b);
    }
  }

  /** The helper's verdicts for a batch it began; checked here when it does not deliver them. */
  private collect(b: Batch): void {
    if (this.helper.await(b.job) && b.job.status[1] === 1) {
      for (;;) {
        const got = this.arrived.get(b.job.batch);
        if (got !== undefined) {
          this.arrived.delete(b.job.batch);
          try {
            b.verdicts = new BatchVerdicts(got, b.recordParts.length);
          } catch {
            break; // verdicts that do not fit the batch: checked here, as if none came
          }
          this.helper.setsDelivered += b.verdicts.length;
          return;
        }
        const m = receiveMessageOnPort(this.channel.port1) as { message: SetsVerdictMessage } | undefined;
        if (m === undefined) break;
        this.arrived.set(m.message.batch, m.message);
      }
    }
    b.local = checkAllHere(b);
  }
}
