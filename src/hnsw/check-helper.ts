// A helper thread for loading large images: while the loading thread checks a set's elements,
// the helper starts on the link check (link-check.ts), the other big part of a load, over the
// same shared memory; the loading thread then joins in, the two taking chunks of nodes from a
// shared cursor until none are left. The load is synchronous (nothing is served before it ends),
// so the loading thread hands the job over with a message and at the end blocks on a shared
// status word until the helper's last chunk is done. If the helper never starts (its file
// missing, thread creation refused), the loading thread simply takes every chunk; if it starts
// but does not finish in time, the loading thread checks again alone: the helper only ever
// saves time.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LinkImage, LinkPass } from './link-check.js';

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
 * The name table's half of the element check (vset/elements.ts, tablePass and probeRuns) over
 * the shared heap, while the loading thread walks the nodes' elements. Results in `status`:
 * [state, verdict, used, live, sum lane 1, sum lane 2, first empty entry, probe verdict], verdicts
 * 1 passed, 0 failed, −1 not run (the loading thread then runs that part itself).
 */
export interface TableJobMessage {
  kind: 'table';
  hi32: Int32Array;
  hu8: Uint8Array;
  /** The table's word offset and capacity. */
  t: number;
  cap: number;
  salt: Uint32Array;
  status: Int32Array;
}

export type HelperJob = CheckJobMessage | TableJobMessage;

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

  private constructor(private readonly worker: Worker) {
    // An error in the helper shows as a job that never finishes; the loader then checks alone.
    worker.on('error', () => {});
    worker.unref();
  }

  /**
   * Starts a helper thread (it boots while the caller reads the file); null when its compiled
   * file is not there (the engine run from TypeScript sources, as in unit tests).
   */
  static start(): CheckHelper | null {
    const url = new URL('../../workers/check-worker.js', import.meta.url);
    if (!fs.existsSync(fileURLToPath(url))) return null;
    try {
      return new CheckHelper(new Worker(url));
    } catch {
      return null;
    }
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
  submitTable(hi32: Int32Array, hu8: Uint8Array, t: number, cap: number, salt: Uint32Array): TableJobMessage {
    const job: TableJobMessage = { kind: 'table', hi32, hu8, t, cap, salt, status: new Int32Array(new SharedArrayBuffer(32)) };
    this.worker.postMessage(job);
    return job;
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
