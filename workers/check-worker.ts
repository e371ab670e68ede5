/**
 * The load helper thread (src/image/check-helper.ts): runs the jobs a load posts (its share of a
 * link check, the name table's sums, upper links over a check memory, the reachability walk, the
 * copy of a staged heap image into the set's heap, small sets' checks in batches) over shared memory and reports through each
 * job's status words, which the loading thread waits on.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { copyBlocks, JOB_DONE, JOB_POSTED, JOB_RUNNING, type HelperJob } from '../src/image/check-helper.js';
import { CheckMemory } from '../src/image/check-memory.js';
import { checkLinks, finishReachability, finishReachabilityIn } from '../src/image/link-check.js';
import { memoryTableJob, tableJob } from '../src/image/element-check.js';
import { warmUpChecks } from '../src/image/warm-up.js';
import { checkSetBatch } from '../src/image/set-batch.js';
import { checkImages } from '../src/vset/image-load.js';
import type { WasmMemory } from '../src/hnsw/platform.js';

// Small sets' batches (set-batch.ts): the arena memories and the verdicts' channel they brought.
const arenas = new Map<number, WasmMemory>();
let verdicts: MessagePort | null = null;

parentPort!.on('message', (job: HelperJob) => {
  const s = job.status;
  // Kept even from a batch the loading thread cancelled: later batches refer to them.
  if (job.kind === 'sets') {
    for (const [id, memory] of job.memories) arenas.set(id, memory);
    if (job.port !== undefined) verdicts = job.port;
  }
  // The loading thread may have finished every chunk (and cancelled the job) already.
  if (Atomics.compareExchange(s, 0, JOB_POSTED, JOB_RUNNING) !== JOB_POSTED) return;
  try {
    run(job);
  } catch {
    // Not a verdict: the loading thread runs that part itself.
    if (job.kind === 'table' || job.kind === 'copy' || job.kind === 'sets') s[1] = -1;
    else if (job.kind === 'reach') s[2] = -1;
    else s[3] = -1;
  }
  Atomics.store(s, 0, JOB_DONE);
  Atomics.notify(s, 0);
});

function run(job: HelperJob): void {
  const s = job.status;
  switch (job.kind) {
    case 'table':
      if (job.memory !== undefined) memoryTableJob(CheckMemory.attach(job.memory), job.t, job.cap, job.salt, s);
      else tableJob(job.hi32, job.hu8, job.t, job.cap, job.salt, s);
      return;
    case 'upper': {
      const out = new Int32Array(3);
      CheckMemory.attach(job.memory).upperLinks(job.fLive, job.salt, out);
      s.set(out, 1);
      return;
    }
    case 'reach':
      s[1] = job.stackPtr !== undefined && job.img.wasm !== undefined ? finishReachabilityIn(job.img.wasm.memory, job.img, job.reached, job.stackPtr) : finishReachability(job.img, job.reached);
      s[2] = 1;
      return;
    case 'copy':
      copyBlocks(job);
      s[1] = 1;
      return;
    case 'sets': {
      const message = checkSetBatch(job, arenas, checkImages);
      if (verdicts === null) throw new Error('no channel for verdicts');
      // Posted before the job is marked done, so the loading thread finds it when it sees done.
      verdicts.postMessage(message);
      s[1] = 1;
      return;
    }
    case 'links': {
      const out = new Int32Array(3);
      checkLinks(job.img, job.reached, job.salt, out, job.pass);
      s.set(out, 1);
      return;
    }
  }
}

// The checks start to tier up before the first job (see src/image/warm-up.ts).
warmUpChecks('helper');
// Booted: jobs posted before now run from here on (CheckHelper.ready).
Atomics.store((workerData as { ready: Int32Array }).ready, 0, 1);
