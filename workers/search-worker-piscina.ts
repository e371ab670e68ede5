/**
 * A search worker of the piscina pool (src/server/search-pool-piscina.ts): piscina calls the
 * default export with one batch per task; the answer is the batch's replies in one buffer, moved
 * (transferred) back, with this thread's id so that the pool learns what it has attached. The
 * batch runs in search-batch.ts, shared with the default pool's worker.
 */
import { threadId, workerData } from 'node:worker_threads';
// Kept outside the worker's bundle (scripts/bundle.mjs): move() marks a value with a symbol
// of piscina's own module instance, the one its worker loop loaded from node_modules.
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ResultMessage } from '../src/server/pool-front.js';
import { RELEASED_RING, type PiscinaBatch, type PiscinaBoot } from '../src/server/search-pool-piscina.js';
import { addArenas, bootSearchThread, forgetAllSets, forgetSets, runBatch } from './search-batch.js';

const boot = workerData as PiscinaBoot;

// Every worker gets the same workerData: claim the lowest free arena scratch slot (the pool frees
// it when this thread ends).
let slot = 0;
for (let k = 1; k < boot.claims.length && slot === 0; k++) {
  if (Atomics.compareExchange(boot.claims, k, 0, threadId) === 0) slot = k;
}
if (slot === 0) throw new Error('search worker: no free arena scratch slot');
bootSearchThread(slot, boot.readers.subarray(2 * slot, 2 * slot + 2));

// Deletes are read from here on: a new worker has attached nothing yet.
let seen = Atomics.load(boot.released, 0);

/** Forgets the sets deleted since the last batch. */
function catchUpReleases(): void {
  const r = boot.released;
  const head = Atomics.load(r, 0);
  const ids: number[] = [];
  for (let n = seen; n < head && head - seen <= RELEASED_RING; n++) ids.push(Atomics.load(r, 1 + (n % RELEASED_RING)));
  // Entries are overwritten once the count has run a whole ring past them: then this thread
  // cannot know what it missed, and drops everything (the pool sends handles again on demand).
  if (Atomics.load(r, 0) - seen >= RELEASED_RING) forgetAllSets();
  else forgetSets(ids);
  seen = head;
}

export default function runPiscinaBatch(task: PiscinaBatch): unknown {
  addArenas(task.arenas ?? []);
  const msg: ResultMessage = runBatch(task.items, true);
  msg.threadId = threadId;
  // After the batch, so that a set attached in it and deleted meanwhile is dropped now.
  catchUpReleases();
  return move({ [transferableSymbol]: [msg.data.buffer], [valueSymbol]: msg });
}
