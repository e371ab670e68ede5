/**
 * The outside programs some suites talk to (redis-server as a reference, Redis Sentinel, redis-cli,
 * Python's redis and faiss modules, nc). On a developer's machine a missing one skips those tests
 * with a warning; under CI (`CI=true`) it fails them, so a CI run can never pass by silently testing less.
 * `scripts/test.sh` installs all of them on Debian.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Debian package that provides each tool. */
const PACKAGES = {
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
  'redis-cli': 'redis-tools',
  'python3 redis': 'python3-redis',
  'python3 faiss': 'python3-faiss',
  nc: 'netcat-openbsd',
  openssl: 'openssl',
} as const;
export type Tool = keyof typeof PACKAGES;

function probe(tool: Tool): boolean {
  switch (tool) {
    case 'redis-server':
      return fs.existsSync('/usr/bin/redis-server');
    case 'redis-sentinel':
      return fs.existsSync('/usr/bin/redis-sentinel');
    case 'python3 redis':
      return spawnSync(PYTHON, ['-c', 'import redis'], { encoding: 'utf8' }).status === 0;
    case 'python3 faiss':
      return spawnSync(PYTHON, ['-c', 'import faiss'], { encoding: 'utf8' }).status === 0;
    default:
      return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
  }
}

const known = new Map<Tool, boolean>();
export function have(tool: Tool): boolean {
  let ok = known.get(tool);
  if (ok === undefined) {
    ok = probe(tool);
    known.set(tool, ok);
  }
  return ok;
}

/**
 * Whether tests that need `tool` should be skipped: true only outside CI, with a warning naming
 * the package. Under CI the tests run and `requireTool` fails them.
 */
export function skipWithout(tool: Tool): boolean {
  if (have(tool)) return false;
  if (IN_CI) return false;
  console.warn(`${tool} not found: skipping the tests that use it (install the Debian package ${PACKAGES[tool]}, or run scripts/test.sh)`);
  return true;
}

/** Fails the calling test (or hook) when `tool` is missing: CI must not pass without it. */
export function requireTool(tool: Tool): void {
  if (!have(tool)) throw new Error(`${tool} is missing and CI=true: install the Debian package ${PACKAGES[tool]} (scripts/test.sh does)`);
}
