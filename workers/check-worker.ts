/**
 * The load helper thread (src/hnsw/check-helper.ts): runs level-0 link checks over shared
 * memory and reports through the job's status word, which the loading thread is blocked on.
 */
import { parentPort } from 'node:worker_threads';
import { JOB_DONE, JOB_RUNNING, type CheckJobMessage } from '../src/hnsw/check-helper.js';
import { checkLevel0Links } from '../src/hnsw/link-check.js';

parentPort!.on('message', (job: CheckJobMessage) => {
  const s = job.status;
  Atomics.store(s, 0, JOB_RUNNING);
  Atomics.notify(s, 0);
  const out = new Int32Array(3);
  try {
    checkLevel0Links(job.img, job.parent, job.salt, out);
  } catch {
    out[2] = -1; // not a verdict: the loading thread checks again itself
  }
  s[1] = out[0];
  s[2] = out[1];
  s[3] = out[2];
  Atomics.store(s, 0, JOB_DONE);
  Atomics.notify(s, 0);
});
