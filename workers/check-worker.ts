/**
 * The load helper thread (src/hnsw/check-helper.ts): takes its share of a link check over
 * shared memory and reports through the job's status word, which the loading thread waits on.
 */
import { parentPort } from 'node:worker_threads';
import { JOB_DONE, JOB_POSTED, JOB_RUNNING, type HelperJob } from '../src/hnsw/check-helper.js';
import { checkLinks } from '../src/hnsw/link-check.js';
import { tableJob } from '../src/vset/elements.js';

parentPort!.on('message', (job: HelperJob) => {
  const s = job.status;
  // The loading thread may have finished every chunk (and cancelled the job) already.
  if (Atomics.compareExchange(s, 0, JOB_POSTED, JOB_RUNNING) !== JOB_POSTED) return;
  if (job.kind === 'table') {
    try {
      tableJob(job.hi32, job.hu8, job.t, job.cap, job.salt, s);
    } catch {
      s[1] = -1; // not a verdict: the loading thread runs its part itself
    }
    Atomics.store(s, 0, JOB_DONE);
    Atomics.notify(s, 0);
    return;
  }
  const out = new Int32Array(3);
  try {
    checkLinks(job.img, job.reached, job.salt, out, job.pass);
  } catch {
    out[2] = -1; // not a verdict: the loading thread checks again itself
  }
  s[1] = out[0];
  s[2] = out[1];
  s[3] = out[2];
  Atomics.store(s, 0, JOB_DONE);
  Atomics.notify(s, 0);
});
