// Start-up's early look at the dataset (main.ts): which snapshot-format file the load will read
// first, found from the config alone so that the load's helper thread can boot while the
// server's modules load; and the helper booted ahead being the one the load then takes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { Config } from '../src/server/config.js';
import { startupImage } from '../src/persistence/startup-image.js';
import { ROOT } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function configFor(options: Record<string, string>): Config {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-startup-'));
  dirs.push(dir);
  const config = new Config();
  config.set('dir', [dir], true);
  for (const [k, v] of Object.entries(options)) config.set(k, [v], true);
  return config;
}

describe('startupImage', () => {
  test('the snapshot (dbfilename in dir), or nothing when there is none', () => {
    const config = configFor({ dbfilename: 'data.vsdb' });
    expect(startupImage(config)).toBeNull();
    const file = path.join(config.get('dir'), 'data.vsdb');
    fs.writeFileSync(file, Buffer.alloc(1234));
    expect(startupImage(config)).toEqual({ file, bytes: 1234 });
  });

  test("with the AOF on and a manifest: the manifest's base file, as Persistence loads it", () => {
    const config = configFor({ appendonly: 'yes' });
    const dir = config.get('dir');
    // No manifest yet: the snapshot is what start-up loads.
    fs.writeFileSync(path.join(dir, 'dump.vsdb'), Buffer.alloc(10));
    expect(startupImage(config)).toEqual({ file: path.join(dir, 'dump.vsdb'), bytes: 10 });
    const aofDir = path.join(dir, 'appendonlydir');
    fs.mkdirSync(aofDir);
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq 1 type i\n');
    // A manifest without a base: nothing to read in snapshot format.
    expect(startupImage(config)).toBeNull();
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'file appendonly.aof.3.base.vsdb seq 3 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    // Named but missing (the load will say so), then there.
    expect(startupImage(config)).toBeNull();
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.3.base.vsdb'), Buffer.alloc(77));
    expect(startupImage(config)).toEqual({ file: path.join(aofDir, 'appendonly.aof.3.base.vsdb'), bytes: 77 });
    // A damaged manifest is left for the load to report.
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'file x seq one type b\n');
    expect(startupImage(config)).toBeNull();
  });
});

describe('CheckHelper.boot', () => {
  test('the booted helper becomes ready and is the one the next load takes; dropBooted closes an unused one', async () => {
    // The compiled module: the helper thread runs the compiled worker next to it.
    const url = pathToFileURL(path.join(ROOT, 'dist/src/image/check-helper.js')).href;
    const { CheckHelper } = (await import(url)) as typeof import('../src/image/check-helper.js');
    CheckHelper.boot();
    const first = CheckHelper.start();
    expect(first).not.toBeNull();
    await waitFor('the booted helper to be ready', () => first!.ready);
    // Taken: the next start makes a new one (not ready at once: it is still booting).
    const second = CheckHelper.start();
    expect(second).not.toBe(first);
    expect(second!.ready).toBe(false);
    second!.close();
    first!.close();
    // A booted helper dropped (the load did not want it): the next start boots a fresh one.
    CheckHelper.boot();
    // Wait until the booted one is up: were it not dropped, the next start would return it ready.
    const booted = (CheckHelper as unknown as { booted: { ready: boolean } | null }).booted;
    expect(booted).not.toBeNull();
    await waitFor('the second booted helper to be ready', () => booted!.ready);
    CheckHelper.dropBooted();
    const third = CheckHelper.start();
    expect(third!.ready).toBe(false);
    third!.close();
  });
});
