/**
 * Progress and messages of the command-line tools, on stderr so that stdout stays clean for
 * `vsetd export key > file`. The bar is drawn only on a terminal, at most ten times a second;
 * elsewhere (CI logs, pipes) only the lines a run prints anyway appear.
 */
export interface Output {
  /** A line for the user (summary, warnings). */
  line(text: string): void;
  /** Starts a bar of `total` items labelled `label`. */
  start(label: string, total: number): void;
  /** `done` of the current bar's items are through. */
  update(done: number): void;
  /** Ends the current bar (clears it). */
  end(): void;
}

export function terminalOutput(stream: NodeJS.WriteStream = process.stderr, quiet = false): Output {
  const tty = stream.isTTY === true && !quiet;
  let label = '';
  let total = 0;
  let lastDraw = 0;
  let drawn = false;
  let t0 = 0;
  const draw = (done: number): void => {
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * width);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${secs}s\x1b[K`);
    drawn = true;
  };
  return {
    line(text) {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
      stream.write(`${text}\n`);
    },
    start(l, t) {
      label = l;
      total = t;
      t0 = performance.now();
      lastDraw = 0;
      if (tty) draw(0);
    },
    update(done) {
      if (!tty) return;
      const now = performance.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      draw(done);
    },
    end() {
      if (tty && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** An Output that keeps lines in memory (tests, and callers that print their own summary). */
export function memoryOutput(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (t) => lines.push(t), start: () => undefined, update: () => undefined, end: () => undefined };
}
