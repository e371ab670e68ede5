// A helper thread for loading large images: while the loading thread checks a set's elements,
// the helper runs the level-0 link check (link-check.ts), the other big part of a load, over the
// same shared memory. The load is synchronous (nothing is served before it ends), so the loading
// thread hands the job over with a message and later blocks on a shared status word until the
// helper is done. If the helper never starts (its file missing, thread creation refused) or does
// not finish in time, the loading thread runs the check itself: the helper only ever saves time.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Level0Image } from './link-check.js';

/** A job for the helper: a level-0 check over shared memory, results in `status`. */
export interface CheckJobMessage {
  img: Level0Image;
  parent: Int32Array;
  salt: Uint32Array;
  /** [state, lane 1, lane 2, verdict]; state 0 posted, 1 running, 2 done; verdict 1 passed, 0 failed, −1 not run. */
  status: Int32Array;
}

export const JOB_POSTED = 0;
export const JOB_RUNNING = 1;
export const JOB_DONE = 2;

/** How long a helper may take to pick a job up (thread start and module load included). */
const PICKUP_MS = 5_000;
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
  static canShare(img: Level0Image): boolean {
    return img.i32.buffer instanceof SharedArrayBuffer && img.lvl.buffer instanceof SharedArrayBuffer;
  }

  /** Posts a level-0 check; `parent` must be shared memory of img.hw entries. */
  submit(img: Level0Image, parent: Int32Array, salt: Uint32Array): void {
    const status = new Int32Array(new SharedArrayBuffer(16));
    this.job = { img, parent, salt, status };
    this.worker.postMessage(this.job);
  }

  /**
   * Waits for the posted job: out[0], out[1] the XOR lanes, out[2] 1 when every link passed (as
   * checkLevel0Links writes them); false when the helper did not deliver (run it here then).
   */
  join(out: Int32Array): boolean {
    const job = this.job;
    this.job = null;
    if (!job) return false;
    const s = job.status;
    const until = (state: number, ms: number): boolean => {
      const deadline = Date.now() + ms;
      for (let now = Date.now(); Atomics.load(s, 0) < state && now < deadline; now = Date.now()) {
        Atomics.wait(s, 0, Atomics.load(s, 0), deadline - now);
      }
      return Atomics.load(s, 0) >= state;
    };
    if (!until(JOB_RUNNING, PICKUP_MS) || !until(JOB_DONE, RUN_MS) || s[3] < 0) return false;
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
