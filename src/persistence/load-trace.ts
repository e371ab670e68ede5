/**
 * Phase timings of a snapshot load, for profiling it (VSETD_LOAD_TRACE=1): each mark records the
 * milliseconds since the previous one; the load's log line prints them. Off, a mark is one test.
 */
const enabled = process.env.VSETD_LOAD_TRACE === '1';
let last = 0;
let marks: string[] = [];

export function loadTraceStart(): void {
  if (!enabled) return;
  marks = [];
  last = performance.now();
}

export function loadMark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  marks.push(`${label} ${(now - last).toFixed(1)}`);
  last = now;
}

/** The marks so far ('' when tracing is off), and a fresh start. */
export function loadTraceTake(): string {
  const out = marks.join(', ');
  marks = [];
  return out;
}
