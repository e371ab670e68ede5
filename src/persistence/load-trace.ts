/**
 * Phase timings of a snapshot load, for profiling it (VSETD_LOAD_TRACE=1): each mark records the
 * milliseconds since the previous one; the load's log line prints them. Off, a mark is one test.
 */
import fs from 'node:fs';

const enabled = process.env.VSETD_LOAD_TRACE === '1';
let last = 0;
let start = 0;
let marks: string[] = [];
/**
 * Marks since the last phase, summed by label in the order first seen: a load of 100,000 small
 * sets marks "read records" and "read heap" for each, and one line of 200,000 marks said nothing.
 */
let open = new Map<string, { ms: number; n: number }>();

export function loadTraceStart(): void {
  if (!enabled) return;
  marks = [];
  open = new Map();
  last = start = performance.now();
  startTimes = threadTimes();
}

export function loadMark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  const m = open.get(label);
  if (m === undefined) open.set(label, { ms: now - last, n: 1 });
  else {
    m.ms += now - last;
    m.n++;
  }
  last = now;
}

/** The summed marks into the line: `label ms`, or `label ms (n×)` for a label marked n times. */
function closeMarks(): void {
  for (const [label, m] of open) marks.push(`${label} ${m.ms.toFixed(1)}${m.n > 1 ? ` (${m.n}×)` : ''}`);
  open = new Map();
}

/**
 * A mark that also says how long the load has run, and (Linux) how long the loading thread had
 * run on a core and waited for one until then: on 2 cores the helper thread and V8's compiler
 * and GC threads take turns with it, and a phase's wall time alone hides that.
 */
export function loadPhase(label: string): void {
  if (!enabled) return;
  loadMark(label);
  closeMarks();
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
  closeMarks();
  const out = marks.join(', ');
  marks = [];
  return out;
}
