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
import type { LinkImage } from './link-check.js';

/** A job for the helper: a link check over shared memory, results in `status`. */
export interface CheckJobMessage {
  img: LinkImage;
  reached: Int32Array;
  salt: Uint32Array;
  /** The next node to check, shared by both threads (checkLinks). */
  cursor: Int32Array;
  /**
   * [state, lane 1, lane 2, verdict]; state 0 posted, 1 running, 2 done, 3 cancelled (the
   * loading thread took every chunk before the helper picked the job up); verdict 1 passed,
   * 0 failed, −1 not run.
   */
  status: Int32Array;
}

export const JOB_POSTED = 0;
export const JOB_RUNNING = 1;
export const JOB_DONE = 2;
export const JOB_CANCELLED = 3;

/** How long a started job may run before the loading thread gives up on it. */
const RUN_MS = 120_000;

export class CheckHelper {
  private job: CheckJobMessage | null = null;
  /** Jobs the helper delivered (for the load's log line). */
  delivered = 0;

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

  /** Whether a job over these arrays can run on the helper (they must be shared memory). */
  static canShare(img: LinkImage): boolean {
    return [img.i32, img.hi32, img.lvl].every((a) => a.buffer instanceof SharedArrayBuffer);
  }

  /**
   * Posts a link check (link-check.ts) over shared memory; the caller takes its own share with
   * checkLinks(img, reached, salt, out, cursor) and then calls `finish`.
   */
  submit(img: LinkImage, reached: Int32Array, salt: Uint32Array, cursor: Int32Array): void {
    const status = new Int32Array(new SharedArrayBuffer(16));
    this.job = { img, reached, salt, cursor, status };
    this.worker.postMessage(this.job);
  }

  /**
   * Waits (a few seconds at most) until the helper has taken its first share: for tests, which
   * must see the helper's verdict on images small enough to be a single share.
   */
  awaitFirstShare(): void {
    const job = this.job;
    if (!job) return;
    const deadline = Date.now() + 5_000;
    while (Atomics.load(job.cursor, 0) === 0 && Atomics.load(job.status, 0) !== JOB_DONE && Date.now() < deadline) {
      Atomics.wait(job.status, 0, Atomics.load(job.status, 0), 1);
    }
  }

  /**
   * After the caller's share: the helper's share into out (out[0], out[1] its XOR lanes, out[2]
   * 1 when its links passed; lanes 0 and verdict 1 when it took no share). False when the helper
   * started but did not deliver: then the caller must check everything again itself.
   */
  finish(out: Int32Array): boolean {
    const job = this.job;
    this.job = null;
    if (!job) return false;
    const s = job.status;
    out[0] = 0;
    out[1] = 0;
    out[2] = 1;
    if (Atomics.compareExchange(s, 0, JOB_POSTED, JOB_CANCELLED) === JOB_POSTED) return true;
    const deadline = Date.now() + RUN_MS;
    for (let now = Date.now(); Atomics.load(s, 0) !== JOB_DONE && now < deadline; now = Date.now()) {
      Atomics.wait(s, 0, JOB_RUNNING, deadline - now);
    }
    if (Atomics.load(s, 0) !== JOB_DONE || s[3] < 0) return false;
    out[0] = s[1];
    out[1] = s[2];
    out[2] = s[3];
    this.delivered++;
    return true;
  }

  close(): void {
    void this.worker.terminate();
  }
}
