/**
 * A search worker of the default pool (src/server/search-pool.ts): batches arrive as messages on
 * its port, each answered with one message whose replies share one transferred buffer. Thin on
 * purpose: the batch runs in search-batch.ts, which piscina's worker shares.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchMessage } from '../src/server/pool-front.js';
import { addArenas, bootSearchThread, forgetSets, runBatch } from './search-batch.js';

// The pool numbers its workers' scratch slots from 1 and gives each its reader record.
const boot = workerData as { scratchSlot: number; readerRecord: Int32Array };
bootSearchThread(boot.scratchSlot, boot.readerRecord);

parentPort!.on('message', (m: BatchMessage) => {
  forgetSets(m.detach);
  addArenas(m.arenas ?? []);
  if (m.items.length === 0) return;
  const msg = runBatch(m.items, false);
  // runBatch's buffer is a fresh ArrayBuffer, never shared memory.
  parentPort!.postMessage(msg, [msg.data.buffer as ArrayBuffer]);
});
