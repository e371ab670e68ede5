// Configuration from VSETD_<OPTION> environment variables, and its precedence: arguments > config
// file > environment > defaults (server/config-env.ts says why).
import { describe, expect, test } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { environmentDirectives } from '../src/server/config-env.js';
import { Config, applyStartupOptions, parseCommandLine } from '../src/server/config.js';
import { startServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';

function configFrom(env: NodeJS.ProcessEnv, args: string[] = []): Config {
  const c = new Config();
  applyStartupOptions(c, { configFile: '', directives: environmentDirectives(env).directives });
  applyStartupOptions(c, parseCommandLine(args, (p) => fs.readFileSync(p, 'utf8')));
  return c;
}

describe('VSETD_<OPTION>', () => {
  test('names map to options; values split as a config line, one-word options verbatim', () => {
    const c = configFrom({
      VSETD_SEARCH_THREADS: '3',
      VSETD_SAVE: '"900 1" 300 10',
      VSETD_REQUIREPASS: 'p"a ss\'',
      VSETD_APPENDONLY: 'yes',
      VSETD_MAXMEMORY: '1gb',
      VSETD_BIND: '127.0.0.1 -::1',
      VSETD_SLAVE_READ_ONLY: 'no',
    });
    expect(c.get('search-threads')).toBe('3');
    expect(c.get('save')).toBe('900 1 300 10');
    expect(c.get('requirepass')).toBe('p"a ss\'');
    expect(c.get('appendonly')).toBe('yes');
    expect(c.get('maxmemory')).toBe(String(1024 ** 3));
    expect(c.get('bind')).toBe('127.0.0.1 -::1');
    expect(c.get('replica-read-only')).toBe('no');
  });

  test('an empty value is one empty word: VSETD_SAVE= turns snapshots off', () => {
    expect(configFrom({ VSETD_SAVE: '' }).get('save')).toBe('');
    expect(configFrom({ VSETD_REQUIREPASS: '' }).get('requirepass')).toBe('');
  });

  test('unknown names and Kubernetes service links are skipped with a reason; other variables ignored', () => {
    const r = environmentDirectives({
      VSETD_PORT: 'tcp://10.96.0.12:6379',
      VSETD_SERVICE_HOST: '10.96.0.12',
      VSETD_SERVICE_PORT: '6379',
      VSETD_PORT_6379_TCP_ADDR: '10.96.0.12',
      VSETD_REQUIREPAS: 'typo',
      VSETD_LOAD_TRACE: '1',
      HOME: '/root',
    });
    expect(r.directives).toEqual([]);
    expect(r.skipped).toHaveLength(5);
    expect(r.skipped.find((s) => s.startsWith('VSETD_PORT '))).toMatch(/Kubernetes service link/);
    expect(r.skipped.find((s) => s.startsWith('VSETD_REQUIREPAS:'))).toBe("VSETD_REQUIREPAS: 'requirepas' is not a vsetd option: ignored");
    expect(configFrom({ VSETD_PORT: '6380' }).get('port')).toBe('6380');
  });

  test('a bad value stops start-up, naming the variable', () => {
    expect(() => configFrom({ VSETD_APPENDONLY: 'maybe' })).toThrow("environment variable VSETD_APPENDONLY: argument must be 'yes' or 'no'");
    expect(() => configFrom({ VSETD_SAVE: '"900 1' })).toThrow(/VSETD_SAVE: unbalanced quotes/);
  });

  test('arguments > config file > environment, in a running server', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sidecar-env-'));
    const conf = path.join(dir, 'vsetd.conf');
    fs.writeFileSync(conf, 'maxclients 200\ntimeout 20\n');
    const env = { VSETD_MAXCLIENTS: '100', VSETD_TIMEOUT: '10', VSETD_TCP_KEEPALIVE: '30', VSETD_HZ: '20' };
    const t = await startServer({ dir, env, configFile: conf, args: ['--timeout', '5'] });
    try {
      await RawConnection.using(t.port, async (c) => {
        const get = async (name: string): Promise<string> => ((await c.value('CONFIG', 'GET', name)) as string[])[1]!;
        expect(await get('maxclients')).toBe('200'); // file over environment
        expect(await get('timeout')).toBe('5'); // argument over file and environment
        expect(await get('tcp-keepalive')).toBe('30'); // environment over the default
        expect(await get('hz')).toBe('20');
      });
    } finally {
      await t.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

