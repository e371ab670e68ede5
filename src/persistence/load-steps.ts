/**
 * Running a load written as a generator of steps (persistence/snapshot.ts pauses after each key,
 * the AOF after each slice of commands): all at once, for the loads that happen inside a command
 * (DEBUG RELOAD) or on a replica, or yielding to the event loop now and then, for the load at
 * start-up.
 *
 * Why a start-up load yields: the port opens before the dataset is loaded, as in Redis, so that
 * an orchestrator sees a live process at once (a TCP probe connects; PING answers `-LOADING Redis
 * is loading the dataset in memory`; INFO shows `loading:1` and the progress), and readiness
 * comes when the load is done. Node serves sockets only between turns of the event loop, so the
 * load gives it one about every SLICE_MS. One key's record is read in one go: a single very large
 * set (a million elements take about half a second) delays the answers by that much, but the
 * kernel still accepts connections meanwhile.
 */

/** How long a start-up load runs before letting the event loop serve clients. */
const SLICE_MS = 20;

/** Runs the steps to the end without yielding. */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const s = steps.next();
    if (s.done === true) return s.value;
  }
}

/** Resolves after the event loop had a turn (I/O callbacks run before setImmediate's). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits `delay()` microseconds (Redis's key-load-delay and rdb-key-save-delay), a bounded piece
 * at a time and re-reading it, so that setting it to 0 (CONFIG SET) ends a long wait at once.
 */
export async function keyDelay(delay: () => number): Promise<void> {
  const start = performance.now();
  for (;;) {
    const us = delay();
    const left = us / 1000 - (performance.now() - start);
    if (us <= 0 || left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 10)));
  }
}

/**
 * Runs the steps, letting the event loop serve clients every SLICE_MS, and after every step while
 * `delayUs()` is positive (then waiting that long).
 */
export async function runStepsYielding<T>(steps: Generator<void, T, void>, delayUs: () => number): Promise<T> {
  let sliceStart = performance.now();
  // Read once per turn of the event loop: only a command (CONFIG SET) changes it, and commands
  // run only between turns. (Read per step, it was a config lookup per key of the snapshot.)
  let delay = delayUs();
  for (;;) {
    const s = steps.next();
    if (s.done === true) return s.value;
    if (delay > 0) await keyDelay(delayUs);
    else if (performance.now() - sliceStart >= SLICE_MS) await nextTurn();
    else continue;
    sliceStart = performance.now();
    delay = delayUs();
  }
}
