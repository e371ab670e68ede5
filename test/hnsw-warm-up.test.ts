// The load's tier-up warm-up (src/image/warm-up.ts) calls the check loops with arguments of its
// own; a loop whose signature changed would stop at once (or read the wrong memory) and warm
// nothing, silently. Every loop must run to its end over the dummy image, in both threads' sets.
import { describe, expect, test } from 'vitest';
import { warmUpChecks } from '../src/image/warm-up.js';

describe('warm-up of the load checks', () => {
  test.each(['loader', 'helper'] as const)('%s: every loop runs to its end', (thread) => {
    expect(warmUpChecks(thread)).toBe(true);
  });
});
