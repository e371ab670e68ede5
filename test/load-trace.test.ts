// VSETD_LOAD_TRACE=1: a load's phase marks, summed by label between phases, so that a load of
// many small sets (two marks each) still prints one short line.
import { afterEach, expect, test, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

test('marks are summed by label between phases, in the order first seen', async () => {
  vi.stubEnv('VSETD_LOAD_TRACE', '1');
  vi.resetModules();
  const t = await import('../src/persistence/load-trace.js');
  t.loadTraceStart();
  for (let i = 0; i < 3; i++) {
    t.loadMark('read records');
    t.loadMark('read heap');
  }
  t.loadPhase('all records read');
  t.loadMark('adopt');
  const line = t.loadTraceTake();
  expect(line).toMatch(/^read records [\d.]+ \(3×\), read heap [\d.]+ \(3×\), all records read [\d.]+, \(at [\d.]+(; thread ran \d+, waited \d+)?\), adopt [\d.]+$/);
  expect(t.loadTraceTake()).toBe('');
});

test('off, nothing is recorded', async () => {
  vi.stubEnv('VSETD_LOAD_TRACE', '');
  vi.resetModules();
  const t = await import('../src/persistence/load-trace.js');
  t.loadTraceStart();
  t.loadMark('read records');
  t.loadPhase('all records read');
  expect(t.loadTraceTake()).toBe('');
});
