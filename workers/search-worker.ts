/**
 * A search worker: attaches vector sets by their shared-memory handles (once per set) and runs
 * batches of VSIM tasks, answering each batch with one message whose replies share one
 * transferred buffer. Thin on purpose: the search and the reply encoding live in
 * src/vset/search-task.ts, which the main thread runs too.
 */
import { parentPort } from 'node:worker_threads';
import { SearchResults, VectorSet } from '../src/vset/index.js';
import { FilterCache, runPlanTask, runSearchTask, type DebugMarks } from '../src/vset/search-task.js';
import { ReplyWriter } from '../src/server/reply.js';
import type { BatchMessage, ResultMessage } from '../src/server/search-pool.js';

const sets = new Map<number, VectorSet>();
const filters = new FilterCache();
const results = new SearchResults(64);
const writer = new ReplyWriter(2);

function errorReply(task: { protocol: 2 | 3 }, message: string): Uint8Array {
  const w = new ReplyWriter(task.protocol);
  w.error(message);
  return Buffer.concat(w.take());
}

parentPort!.on('message', (m: BatchMessage) => {
  for (const id of m.detach) sets.delete(id);
  if (m.items.length === 0) return;
  const replies: Uint8Array[] = [];
  const ids: number[] = [];
  for (const item of m.items) {
    let set = sets.get(item.setId);
    if (!set && item.handle) {
      set = VectorSet.attach(item.handle);
      sets.set(item.setId, set);
    }
    const task = item.task;
    const marks = task as DebugMarks;
    if (marks.debugHold) Atomics.wait(marks.debugHold, 0, 0);
    // Dies holding a reader slot of the set, as a crash would: nothing after this line runs.
    if (marks.debugCrash && set) set.read(() => process.exit(70));
    let reply: Uint8Array;
    if ('kind' in task) {
      // A VADD CAS plan; no bytes make the main thread insert the ordinary way.
      reply = set ? runPlanTask(set, task) : new Uint8Array(0);
    } else if (!set) {
      reply = errorReply(task, 'ERR internal error: vector set not attached in search worker');
    } else {
      try {
        reply = runSearchTask(set, task, filters, results, writer);
      } catch (e) {
        reply = errorReply(task, `ERR ${(e as Error).message}`);
      }
    }
    ids.push(item.id);
    replies.push(reply);
  }
  // One fresh buffer for the whole batch, transferred (not copied) to the main thread.
  let total = 0;
  for (const r of replies) total += r.length;
  const data = new Uint8Array(new ArrayBuffer(total));
  const ends: number[] = [];
  let off = 0;
  for (const r of replies) {
    data.set(r, off);
    off += r.length;
    ends.push(off);
  }
  const msg: ResultMessage = { type: 'results', ids, ends, data };
  parentPort!.postMessage(msg, [data.buffer]);
});
