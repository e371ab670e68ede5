/**
 * Phase timings of a snapshot load, for profiling it (VSETD_LOAD_TRACE=1): each mark records the
 * milliseconds since the previous one; the load's log line prints them. Off, a mark is one test.
 */
import fs from 'node:fs';

const enabled = process.env.VSETD_LOAD_TRACE === '1';
let last = 0;
let start = 0;
let marks: string[] = [];

export function loadTraceStart(): void {
  if (!enabled) return;
  marks = [];
  last = start = performance.now();
  startTimes = threadTimes();
}

export function loadMark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  marks.push(`${label} ${(now - last).toFixed(1)}`);
  last = now;
}

/**
 * A mark that also says how long the load has run, and (Linux) how long the loading thread had
 * run on a core and waited for one until then: on 2 cores the helper thread and V8's compiler
 * and GC threads take turns with it, and a phase's wall time alone hides that.
 */
export function loadPhase(label: string): void {
  if (!enabled) return;
  loadMark(label);
  const t = threadTimes();
  marks.push(`(at ${(performance.now() - start).toFixed(1)}${t === null ? '' : `; thread ran ${(t[0] - startTimes![0]).toFixed(0)}, waited ${(t[1] - startTimes![1]).toFixed(0)}`})`);
}

let startTimes: [number, number] | null = null;

/** The loading (main) thread's time on a core and waiting for one, in ms, from /proc; null elsewhere. */
function threadTimes(): [number, number] | null {
  try {
    const [ran, waited] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ').map(Number);
    return [ran / 1e6, waited / 1e6];
  } catch {
    return null;
  }
}

/** The marks so far ('' when tracing is off), and a fresh start. */
export function loadTraceTake(): string {
  const out = marks.join(', ');
  marks = [];
  return out;
}
