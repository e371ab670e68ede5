/**
 * DEBUG subcommands for vector sets (only with enable-debug-command): hooks that tests use to see
 * inside the engine and to make it fail on purpose — the full graph check, holding or crashing
 * search-pool tasks, reader slots, where a set lives, and allocation failures.
 */
import { WRONGTYPE } from '../keyspace/value.js';
import { parseInteger } from './args.js';
import { debugSubcommands } from './server-commands.js';
import { lookupSet } from './vectorset.js';
import type { DebugMarks } from '../vset/search-task.js';
import type { VectorSet } from '../vset/index.js';
import type { Client } from '../server/client.js';
import { arenaSpace } from '../hnsw/arena.js';

// DEBUG VSET-VALIDATE key: the engine's full graph check (bounds, reciprocal links, reachability,
// name index), for tests that try to break the graph (concurrency, crashes, reloads).
/** The set a `DEBUG <sub> key` names, or null after replying why there is none. */
function setArgument(c: Client, argv: Buffer[]): VectorSet | null {
  if (argv.length !== 3) {
    c.reply.error('ERR syntax error');
    return null;
  }
  const found = lookupSet(c, argv[2]!);
  if (!found.set) {
    c.reply.error('wrongType' in found ? WRONGTYPE : 'ERR no such key');
    return null;
  }
  return found.set.engine;
}

debugSubcommands.set('VSET-VALIDATE', {
  help: ['VSET-VALIDATE <key>', '    Check a vector set\'s graph and indexes; replies OK or the problems found.'],
  run: (c, argv) => {
    const engine = setArgument(c, argv);
    if (!engine) return;
    const problems = engine.validate();
    if (problems.length === 0) c.reply.ok();
    else c.reply.error(`ERR vector set is invalid: ${problems.slice(0, 5).join('; ')}`);
  },
});

// DEBUG SEARCH-WORKER HOLD | RELEASE | CRASH <n>: hooks for tests of what happens while searches
// run on the pool (only with enable-debug-command). HOLD makes every pool task submitted from now
// on wait in its worker until RELEASE; CRASH <n> makes the n-th pool task from now on kill its
// worker thread inside the task's read section (src/vset/search-task.ts, DebugMarks).
const debugHooks: { hold: Int32Array | null; crashIn: number } = { hold: null, crashIn: 0 };

export function debugMark<T extends object>(task: T): T {
  const marks = task as T & DebugMarks;
  if (debugHooks.hold) marks.debugHold = debugHooks.hold;
  if (debugHooks.crashIn > 0 && --debugHooks.crashIn === 0) marks.debugCrash = true;
  return task;
}

debugSubcommands.set('SEARCH-WORKER', {
  help: ['SEARCH-WORKER HOLD|RELEASE|CRASH <n>', '    Hold pool tasks in their workers until RELEASE; make the n-th next pool task crash its worker.'],
  run: (c, argv) => {
    const sub = argv.length >= 3 ? argv[2]!.toString('latin1').toUpperCase() : '';
    if (sub === 'HOLD' && argv.length === 3) {
      debugHooks.hold ??= new Int32Array(new SharedArrayBuffer(4));
      c.reply.ok();
    } else if (sub === 'RELEASE' && argv.length === 3) {
      const hold = debugHooks.hold;
      debugHooks.hold = null;
      if (hold) {
        Atomics.store(hold, 0, 1);
        Atomics.notify(hold, 0);
      }
      c.reply.ok();
    } else if (sub === 'CRASH' && argv.length === 4) {
      const n = parseInteger(argv[3]!);
      if (n === null || n < 1) {
        c.reply.error('ERR value is not an integer or out of range');
        return;
      }
      debugHooks.crashIn = n;
      c.reply.ok();
    } else {
      c.reply.error('ERR syntax error');
    }
  },
});

// DEBUG VSET-READERS key: after a reclaim pass, [searches holding a reader slot of the set now,
// deleted items still waiting for those searches before their memory is reused].
debugSubcommands.set('VSET-READERS', {
  help: ['VSET-READERS <key>', '    Reader slots in use on a vector set, and deleted items waiting to be reclaimed.'],
  run: (c, argv) => {
    const engine = setArgument(c, argv);
    if (!engine) return;
    engine.reclaim();
    c.reply.array(2);
    c.reply.integer(engine.activeSearches());
    c.reply.integer(engine.pendingReclaim);
  },
});

// DEBUG VSET-PLACE key: where the set lives — "arena" (a block shared with other small sets) or
// "own" (memories of its own, once large), then its block or memory bytes.
debugSubcommands.set('VSET-PLACE', {
  help: ['VSET-PLACE <key>', '    Where a vector set lives: arena or own memory, and the bytes it holds there.'],
  run: (c, argv) => {
    const engine = setArgument(c, argv);
    if (!engine) return;
    c.reply.array(2);
    c.reply.bulk(engine.inArena ? 'arena' : 'own');
    c.reply.integer(engine.reservedBytes());
  },
});

// DEBUG ARENA-FAIL n: the next n arena block allocations fail, as they would with memory
// exhausted (tests of the -OOM path: the command changes nothing, the server goes on).
debugSubcommands.set('ARENA-FAIL', {
  help: ['ARENA-FAIL <n>', '    Make the next n arena allocations fail as if memory were exhausted (0 to stop).'],
  run: (c, argv) => {
    const n = argv.length === 3 ? parseInteger(argv[2]!) : null;
    if (n === null || n < 0) {
      c.reply.error('ERR value is not an integer or out of range');
      return;
    }
    arenaSpace.failAllocations = n;
    c.reply.ok();
  },
});
