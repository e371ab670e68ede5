import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Server tests spawn the compiled and bundled server (dist/) as a child process, the way users
// run it, so build once before any suite runs. Unit tests import the TypeScript sources directly.
// The WebAssembly modules are compiled from src/hnsw/*.wat and src/image/*.wat first: both tsc and
// the unit tests import the generated modules that hold their bytes.
export default function setup(): () => void {
  // Every temporary file of the run (server data folders, certificates, snapshots of tens of MB)
  // goes under one folder that is removed when the run ends: the suites' own clean-up missed
  // many, and a developer's /tmp grew by thousands of folders a day. Test processes and the
  // servers they start inherit TMPDIR, so os.tmpdir() names it everywhere.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-suite-'));
  // As /tmp is: the image test runs the server as an unprivileged user in a folder under it.
  fs.chmodSync(tmp, 0o1777);
  process.env.TMPDIR = tmp;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-wasm.mjs')], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  // The server runs bundled, as `npm run build` leaves it (scripts/bundle.mjs).
  execFileSync(process.execPath, [path.join(root, 'scripts/bundle.mjs')], { cwd: root, stdio: 'inherit' });
  return () => fs.rmSync(tmp, { recursive: true, force: true });
}
