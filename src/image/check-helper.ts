// A helper thread for loading large images, over the same shared memory as the loading thread.
// Its jobs: the link check (link-check.ts), the other big part of a load, which the two threads
// share by taking chunks of nodes from a shared cursor — on a streamed load from the moment the
// records start arriving, with the records' own checks and the read pieces' checksums
// (piece-crc.ts); the name table's half of the element check; over a check memory, the upper
// levels; and the level-0 reachability walk. The load is synchronous (nothing is served before it
// ends), so the loading thread hands each job over with a message and blocks on the job's shared
// status word when it needs the result. If the helper never starts (its file missing, thread
// creation refused) or has not picked a job up by then, the loading thread cancels the job and
// does it itself; if it starts but does not finish in time, the loading thread checks again
// alone: the helper only ever saves time. At start-up it is booted before the server's modules
// load (`boot`), so that it is ready when the load begins.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LinkImage, LinkPass } from './link-check.js';
import type { CheckMemoryShare } from './check-memory.js';
import { CHECK_WORKER_FILE } from '../worker-files.js';
import type { SetsJobMessage } from './set-batch.js';

/**
 * The image size from which the helper pays: starting a thread (and compiling the checks there)
 * costs tens of milliseconds of CPU. From HELPER_MIN_NODES it checks records and level-0 links
 * while the file is read, then takes the name table's half of the element check, the upper levels
 * and the reachability walk, and copies a staged heap into place (streamed-load.ts). The streamed check
 * is posted even when the helper is still booting (as it mostly is at 100k nodes, booted ahead
 * at start-up, see `boot`): it then starts late and catches up, sharing the chunks the loader
 * has not taken (100k nodes, 2 cores, 20 interleaved starts: median load 0.87× of waiting for a
 * ready helper). At 1M it takes the load from 1.0–1.2 s to 0.76–0.9 s.
 * VSETD_LOAD_HELPER=always (for tests) sends images of any size to the helper and lets it take
 * the first share, so that small test images exercise its paths.
 */
export const HELPER_ALWAYS = process.env.VSETD_LOAD_HELPER === 'always';
export const HELPER_MIN_NODES = HELPER_ALWAYS ? 0 : 65_536;
/**
 * VSETD_LOAD_HELPER=sets (for tests): a load of any size starts the helper, and it takes the
 * first pick of small sets' checks (set-batch.ts), which the loading thread otherwise shares.
 */
export const HELPER_SETS = process.env.VSETD_LOAD_HELPER === 'sets';

/**
 * Whether a file of this size may hold an image large enough for the helper (a node takes ≥ 64
 * bytes), or enough small sets for their checks to pay for the thread (set-batch.ts).
 */
export function helperWorthStarting(fileBytes: number): boolean {
  return HELPER_SETS || fileBytes >= HELPER_MIN_NODES * 64;
}

/** A job for the helper: a link check over shared memory, results in `status`. */
export interface CheckJobMessage {
  kind: 'links';
  img: LinkImage;
  reached: Int32Array;
  salt: Uint32Array;
  /** Its part of the check; `cursor`, the next node to check, is shared by both threads (checkLinks). */
  pass: LinkPass & { cursor: Int32Array };
  /**
   * [state, lane 1, lane 2, verdict]; state 0 posted, 1 running, 2 done, 3 cancelled (the
   * loading thread took every chunk before the helper picked the job up); verdict 1 passed,
   * 0 failed, −1 not run.
   */
  status: Int32Array;
}

/**
 * The name table's half of the element check (element-check.ts, tablePass and probeRuns) over
 * the shared heap, while the loading thread walks the nodes' elements. Results in `status`:
 * [state, verdict, used, live, sum lane 1, sum lane 2, first empty entry, probe verdict], verdicts
 * 1 passed, 0 failed, −1 not run (the loading thread then runs that part itself).
 */
export interface TableJobMessage {
  kind: 'table';
  hi32: Int32Array;
  hu8: Uint8Array;
  /** When set, the sums and runs run in WebAssembly over this check memory (its heap copy) instead. */
  memory?: CheckMemoryShare;
  /** The table's word offset and capacity. */
  t: number;
  cap: number;
  salt: Uint32Array;
  status: Int32Array;
}

/**
 * The upper-level links over a check memory (CheckMemory.upperLinks) while the loading thread
 * checks the elements. Results in `status`: [state, lane 1, lane 2, verdict] as CheckJobMessage.
 */
export interface UpperJobMessage {
  kind: 'upper';
  memory: CheckMemoryShare;
  salt: Uint32Array;
  fLive: number;
  status: Int32Array;
}

/**
 * The level-0 reachability walk (link-check.ts, finishReachability) once level 0 passed, over a
 * copy of the reached marks. Results in `status`: [state, unreachable live nodes, verdict].
 */
export interface ReachJobMessage {
  kind: 'reach';
  img: LinkImage;
  reached: Int32Array;
  /** When `reached` lies in the image's WebAssembly memory: the walk's stack there (finishReachabilityIn). */
  stackPtr?: number;
  status: Int32Array;
}

/**
 * A heap image the loader read into a check memory (streamed-load.ts, stageHeap), copied from there into
 * the set's own heap buffer while the loading thread checks it in place. Both threads copy blocks
 * taken from `cursor` (copyBlocks): the loading thread takes what is left once its check is done.
 * Results in `status`: [state, verdict], verdict 1 copied, −1 not (the loading thread then copies
 * it all itself).
 */
export interface CopyJobMessage {
  kind: 'copy';
  from: SharedArrayBuffer;
  to: SharedArrayBuffer;
  bytes: number;
  /** The next block to copy. */
  cursor: Int32Array;
  status: Int32Array;
}

/** Bytes per block of a copy job: small enough to share the tail, large enough to cost nothing to take. */
const COPY_BLOCK = 256 * 1024;

/** Copies the blocks of a copy job that no thread has taken yet (either thread). */
export function copyBlocks(job: CopyJobMessage): void {
  const from = new Uint8Array(job.from, 0, job.bytes);
  const to = new Uint8Array(job.to, 0, job.bytes);
  for (let at = Atomics.add(job.cursor, 0, 1) * COPY_BLOCK; at < job.bytes; at = Atomics.add(job.cursor, 0, 1) * COPY_BLOCK) {
    to.set(from.subarray(at, Math.min(job.bytes, at + COPY_BLOCK)), at);
  }
}

export type HelperJob = CheckJobMessage | TableJobMessage | UpperJobMessage | ReachJobMessage | CopyJobMessage | SetsJobMessage;

export const JOB_POSTED = 0;
export const JOB_RUNNING = 1;
export const JOB_DONE = 2;
export const JOB_CANCELLED = 3;

/** How long a started job may run before the loading thread gives up on it. */
const RUN_MS = 120_000;

export class CheckHelper {
  /** Link checks the helper delivered, and how many of them it began while the file was read (for the load's log line). */
  delivered = 0;
  streamed = 0;
  /** Small sets whose checks it delivered (set-batch.ts). */
  setsDelivered = 0;

  private constructor(
    private readonly worker: Worker,
    /** The helper sets word 0 to 1 once it takes jobs (its modules loaded). */
    private readonly readyWord: Int32Array,
  ) {
    // An error in the helper shows as a job that never finishes; the loader then checks alone.
    worker.on('error', () => {});
    worker.unref();
  }

  /** A helper booted ahead of the load that will use it (see `boot`). */
  private static booted: CheckHelper | null = null;

  /**
   * Boots a helper for a load still to come, which `start` then hands out: at start-up main.ts
   * calls it before the server's modules load, so the thread is up (~40 ms for a bare thread,
   * 80–110 ms with the checks' modules on this project's 2-core VMs) when the load begins.
   */
  static boot(): void {
    CheckHelper.booted ??= CheckHelper.spawn();
  }

  /** Closes a booted helper that no load took. */
  static dropBooted(): void {
    CheckHelper.booted?.close();
    CheckHelper.booted = null;
  }

  /**
   * A helper thread for a load: the booted one, else a new one (it boots while the caller reads
   * the file); null when its compiled file is not there (the engine run from TypeScript sources,
   * as in unit tests).
   */
  static start(): CheckHelper | null {
    const booted = CheckHelper.booted;
    CheckHelper.booted = null;
    return booted ?? CheckHelper.spawn();
  }

  private static spawn(): CheckHelper | null {
    const url = CHECK_WORKER_FILE;
    if (!fs.existsSync(fileURLToPath(url))) return null;
    try {
      const ready = new Int32Array(new SharedArrayBuffer(4));
      return new CheckHelper(new Worker(url, { workerData: { ready } }), ready);
    } catch {
      return null;
    }
  }

  /** Whether the thread has booted and takes jobs now. */
  get ready(): boolean {
    return Atomics.load(this.readyWord, 0) === 1;
  }

  /** Whether the heap is shared memory the helper can read. */
  static canShareHeap(hi32: Int32Array): boolean {
    return hi32.buffer instanceof SharedArrayBuffer;
  }

  /** Whether a job over these arrays can run on the helper (they must be shared memory). */
  static canShare(img: LinkImage): boolean {
    return [img.i32, img.hi32, img.lvl].every((a) => a.buffer instanceof SharedArrayBuffer);
  }

  /**
   * Posts a link check (link-check.ts) over shared memory; the caller takes its own share with
   * checkLinks(img, reached, salt, out, pass) and then calls `finish` with the job. Jobs run in
   * the order posted.
   */
  submit(img: LinkImage, reached: Int32Array, salt: Uint32Array, pass: LinkPass & { cursor: Int32Array }): CheckJobMessage {
    const status = new Int32Array(new SharedArrayBuffer(16));
    const job: CheckJobMessage = { kind: 'links', img, reached, salt, pass, status };
    this.worker.postMessage(job);
    return job;
  }

  /** Posts the name table's half of an element check; collect it with `await`. */
  submitTable(hi32: Int32Array, hu8: Uint8Array, t: number, cap: number, salt: Uint32Array, memory?: CheckMemoryShare): TableJobMessage {
    const job: TableJobMessage = { kind: 'table', hi32, hu8, memory, t, cap, salt, status: new Int32Array(new SharedArrayBuffer(32)) };
    this.worker.postMessage(job);
    return job;
  }

  /** Posts the upper-level links over a check memory; collect it with `await`. */
  submitUpper(memory: CheckMemoryShare, salt: Uint32Array, fLive: number): UpperJobMessage {
    const job: UpperJobMessage = { kind: 'upper', memory, salt, fLive, status: new Int32Array(new SharedArrayBuffer(16)) };
    this.worker.postMessage(job);
    return job;
  }

  /**
   * Posts the reachability walk over a copy of `reached`: into `walk` (an area of the image's
   * WebAssembly memory, with room for its stack) when given, else into fresh shared memory.
   * Collect it with `await`.
   */
  submitReach(img: LinkImage, reached: Int32Array, walk?: { reached: Int32Array; stackPtr: number }): ReachJobMessage {
    const copy = walk?.reached ?? new Int32Array(new SharedArrayBuffer(reached.byteLength));
    copy.set(reached);
    const job: ReachJobMessage = { kind: 'reach', img, reached: copy, stackPtr: walk?.stackPtr, status: new Int32Array(new SharedArrayBuffer(12)) };
    this.worker.postMessage(job);
    return job;
  }

  /** Posts the copy of `bytes` bytes from `from` to `to` (both shared); collect it with `await`. */
  submitCopy(from: SharedArrayBuffer, to: SharedArrayBuffer, bytes: number): CopyJobMessage {
    const job: CopyJobMessage = { kind: 'copy', from, to, bytes, cursor: new Int32Array(new SharedArrayBuffer(4)), status: new Int32Array(new SharedArrayBuffer(8)) };
    this.worker.postMessage(job);
    return job;
  }

  /** Posts a batch of small sets' checks (set-batch.ts); the channel for verdicts travels with the first. */
  submitSets(job: SetsJobMessage): void {
    this.worker.postMessage(job, job.port !== undefined ? [job.port] : []);
  }

  /**
   * Waits for a job: true when the helper ran it to the end (its results are in job.status);
   * false when it had not started (the job is then cancelled) or did not finish in time.
   */
  await(job: HelperJob): boolean {
    const s = job.status;
    if (Atomics.compareExchange(s, 0, JOB_POSTED, JOB_CANCELLED) === JOB_POSTED) return false;
    const deadline = Date.now() + RUN_MS;
    for (let now = Date.now(); Atomics.load(s, 0) !== JOB_DONE && now < deadline; now = Date.now()) {
      Atomics.wait(s, 0, JOB_RUNNING, deadline - now);
    }
    return Atomics.load(s, 0) === JOB_DONE;
  }

  /**
   * Waits (a few seconds at most) until the helper has taken its first share: for tests, which
   * must see the helper's verdict on images small enough to be a single share.
   */
  awaitFirstShare(job: CheckJobMessage): void {
    const deadline = Date.now() + 5_000;
    while (Atomics.load(job.pass.cursor, 0) === 0 && Atomics.load(job.status, 0) !== JOB_DONE && Date.now() < deadline) {
      Atomics.wait(job.status, 0, Atomics.load(job.status, 0), 1);
    }
  }

  /**
   * Waits (a few seconds at most) until the helper has picked up `job`: for tests
   * (VSETD_LOAD_HELPER=always), which must see the helper's verdicts rather than the loading
   * thread's own when it got there first.
   */
  awaitPickup(job: HelperJob): void {
    const deadline = Date.now() + 5_000;
    while (Atomics.load(job.status, 0) === JOB_POSTED && Date.now() < deadline) Atomics.wait(job.status, 0, JOB_POSTED, 1);
  }

  /**
   * After the caller's share: the helper's share into out (out[0], out[1] its XOR lanes, out[2]
   * 1 when its links passed; lanes 0 and verdict 1 when it took no share). False when the helper
   * started but did not deliver: then the caller must check everything again itself.
   */
  finish(job: CheckJobMessage, out: Int32Array): boolean {
    const s = job.status;
    out[0] = 0;
    out[1] = 0;
    out[2] = 1;
    // Not started: the caller's share took every chunk.
    if (Atomics.compareExchange(s, 0, JOB_POSTED, JOB_CANCELLED) === JOB_POSTED) return true;
    if (!this.await(job) || s[3] < 0) return false;
    out[0] = s[1];
    out[1] = s[2];
    out[2] = s[3];
    // One per set: its upper-level job (after a streamed level-0 one) is the same check.
    if (job.pass.levels !== 'upper') this.delivered++;
    if (job.pass.readTo !== undefined) this.streamed++;
    return true;
  }

  /** Whether the helper is done with a job (finished it, or never started it). */
  settled(job: HelperJob): boolean {
    const state = Atomics.load(job.status, 0);
    return state === JOB_DONE || state === JOB_CANCELLED;
  }

  close(): void {
    void this.worker.terminate();
  }
}
