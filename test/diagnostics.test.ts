/**
 * What an operator watches with: SLOWLOG (threshold, length, Redis's truncation of long commands,
 * secrets redacted), MONITOR (Redis's line format, escaping, administrative commands and refused
 * commands left out, a monitor kept from the keyspace), LATENCY LATEST/HISTORY/RESET, and CLIENT
 * LIST's user, flags and buffer fields.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serverForFile } from './helpers/server.js';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { waitFor } from './helpers/wait.js';

const srv = serverForFile({ args: ['--enable-debug-command', 'yes'] });

async function admin(...args: Array<string | number>): Promise<RespValue> {
  return RawConnection.using(srv().port, (c) => c.value(...args));
}

afterEach(async () => {
  await admin('CONFIG', 'SET', 'slowlog-log-slower-than', '10000', 'slowlog-max-len', '128', 'latency-monitor-threshold', '0');
  await admin('SLOWLOG', 'RESET');
});

describe('SLOWLOG', () => {
  it('logs commands at or over the threshold with id, time, duration, arguments, address and name', async () => {
    await admin('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await admin('SLOWLOG', 'RESET');
    let addr = '';
    await RawConnection.using(srv().port, async (c) => {
      await c.call('CLIENT', 'SETNAME', 'worker-1');
      await c.call('SET', 'k', 'v');
      addr = /addr=(\S+)/.exec((await c.value('CLIENT', 'INFO')) as string)![1]!;
    });
    const entries = (await admin('SLOWLOG', 'GET', '3')) as RespValue[][];
    const set = entries.find((e) => (e[3] as string[])[0] === 'SET')!;
    expect(set).toHaveLength(6);
    expect(typeof set[0]).toBe('number');
    expect(Math.abs((set[1] as number) - Date.now() / 1000)).toBeLessThan(600);
    expect(set[2]).toBeGreaterThanOrEqual(0);
    expect(set.slice(3)).toEqual([['SET', 'k', 'v'], addr, 'worker-1']);
    // Newest first, ids counting up.
    expect((entries[0]![0] as number) > (entries[1]![0] as number)).toBe(true);
    expect(await admin('SLOWLOG', 'LEN')).toBeGreaterThanOrEqual(3);
  });

  it('cuts long commands as Redis: 32 arguments, 128 bytes each; keeps slowlog-max-len entries; -1 turns it off', async () => {
    await admin('CONFIG', 'SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '3');
    const many = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await admin('MGET', ...many);
    await admin('ECHO', 'x'.repeat(200));
    const [echo, mget] = (await admin('SLOWLOG', 'GET', '-1')) as RespValue[][];
    expect((mget![3] as string[]).length).toBe(32);
    expect((mget![3] as string[]).slice(-2)).toEqual(['k29', '... (10 more arguments)']);
    expect((echo![3] as string[])[1]).toBe('x'.repeat(128) + '... (72 more bytes)');
    for (let i = 0; i < 5; i++) await admin('PING');
    expect(await admin('SLOWLOG', 'LEN')).toBe(3);
    await admin('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    await admin('SLOWLOG', 'RESET');
    await admin('PING');
    expect(await admin('SLOWLOG', 'LEN')).toBe(0);
    await RawConnection.using(srv().port, async (c) => {
      expect(await c.call('SLOWLOG', 'GET', '-2')).toBe('-ERR count should be greater than or equal to -1\r\n');
      expect(await c.call('SLOWLOG', 'GET', '1', '2')).toBe("-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n");
      expect(((await c.value('SLOWLOG', 'HELP')) as string[])[1]).toBe('GET [<count>]');
    });
  });
});

describe('MONITOR', () => {
  it('shows every command in Redis\'s format, redacts secrets, and leaves out admin and refused commands', async () => {
    const mon = await RawConnection.connect(srv().port);
    const other = await RawConnection.connect(srv().port);
    try {
      expect(await mon.call('MONITOR')).toBe('+OK\r\n');
      await other.call('SET', 'a"b', Buffer.from([0, 10, 0xff]));
      await other.call('CONFIG', 'GET', 'port');
      await other.call('AUTH', 'nobody', 'secret');
      await other.call('SELECT', '2');
      await other.call('VADD', 'v', 'VALUES', '2', '1', '0', 'e');
      await other.call('MULTI');
      await other.call('VSIM', 'v', 'ELE', 'e');
      await other.call('EXEC');
      await other.call('ACL', 'SETUSER', 'x', '>pw');
      const lines: string[] = [];
      while (lines.length < 7) lines.push((await mon.readReply()).value as string);
      const prefix = /^(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:\d+\] (.*)$/;
      for (const l of lines) expect(l).toMatch(prefix);
      expect(Math.abs(Number(prefix.exec(lines[0]!)![1]) - Date.now() / 1000)).toBeLessThan(600);
      expect(lines.map((l) => `${prefix.exec(l)![3]} ${prefix.exec(l)![4]}`)).toEqual([
        '0 "SET" "a\\"b" "\\x00\\n\\xff"',
        '0 "AUTH" "(redacted)" "(redacted)"',
        '2 "SELECT" "2"',
        '2 "VADD" "v" "VALUES" "2" "1" "0" "e"',
        '2 "MULTI"',
        '2 "VSIM" "v" "ELE" "e"',
        '2 "EXEC"',
      ]);
      // A monitor may not touch the keyspace; its flags show O; RESET ends monitor mode.
      expect(await mon.call('GET', 'nokey')).toBe("-ERR Replica can't interact with the keyspace\r\n");
      expect((await admin('CLIENT', 'LIST')) as string).toMatch(/ flags=O /);
      expect(await mon.call('RESET')).toBe('+RESET\r\n');
      expect(await mon.call('GET', 'nokey')).toBe('$-1\r\n');
      expect(await other.call('MULTI')).toBe('+OK\r\n');
      expect(await other.call('MONITOR')).toBe('+QUEUED\r\n');
      expect(await other.call('EXEC')).toBe("*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
    } finally {
      mon.close();
      other.close();
    }
  });

  it('a monitor that stops reading is closed by the normal class\'s output limit', async () => {
    await admin('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 64kb 0 0');
    const mon = await RawConnection.connect(srv().port);
    try {
      await mon.call('MONITOR');
      mon.socket.pause();
      const monitors = async (): Promise<number> => ((await admin('CLIENT', 'LIST')) as string).split('\n').filter((l) => l.includes(' flags=O ')).length;
      // Lines until the kernel's buffers are full too and the server's own buffer passes the limit.
      const big = 'x'.repeat(32 * 1024);
      await RawConnection.using(srv().port, async (c) => {
        for (let i = 0; i < 4000; i++) {
          await c.call('ECHO', big);
          if (i % 20 === 0 && (await monitors()) === 0) break;
        }
      });
      expect(await monitors()).toBe(0);
      mon.socket.resume();
      expect(await mon.waitClosed()).toBe(true);
    } finally {
      mon.close();
      await admin('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
    }
  });
});

describe('LATENCY', () => {
  it('records commands over latency-monitor-threshold as events with history, and resets them', async () => {
    expect(await admin('LATENCY', 'LATEST')).toEqual([]);
    await admin('CONFIG', 'SET', 'latency-monitor-threshold', '5');
    await admin('DEBUG', 'SLEEP', '0.02');
    const latest = (await admin('LATENCY', 'LATEST')) as RespValue[][];
    expect(latest).toHaveLength(1);
    const [event, time, ms, max] = latest[0]!;
    expect(event).toBe('command');
    expect(Math.abs((time as number) - Date.now() / 1000)).toBeLessThan(600);
    expect(ms).toBeGreaterThanOrEqual(20);
    expect(max).toBe(ms);
    expect(await admin('LATENCY', 'HISTORY', 'command')).toEqual([[time, ms]]);
    expect(await admin('LATENCY', 'HISTORY', 'nope')).toEqual([]);
    expect(await admin('LATENCY', 'RESET', 'nope')).toBe(0);
    expect(await admin('LATENCY', 'RESET')).toBe(1);
    expect(await admin('LATENCY', 'LATEST')).toEqual([]);
    expect(((await admin('LATENCY', 'HELP')) as string[])[0]).toBe('LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  });
});

describe('CLIENT LIST', () => {
  it('shows each connection\'s user, flags and buffer sizes', async () => {
    await admin('ACL', 'SETUSER', 'lister', 'on', '>pw', '~*', '+@all');
    const c = await RawConnection.connect(srv().port);
    const w = await RawConnection.connect(srv().port);
    try {
      await c.call('AUTH', 'lister', 'pw');
      await c.call('WATCH', 'wk');
      await c.call('MULTI');
      await c.call('SET', 'wk', 'x'.repeat(100));
      await w.call('SET', 'wk', '1');
      const line = await waitFor('the listing', async () => ((await admin('CLIENT', 'LIST')) as string).split('\n').find((l) => l.includes(' user=lister ')));
      const f = Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      expect(f.flags).toBe('xd');
      expect(f.multi).toBe('1');
      expect(f.watch).toBe('1');
      expect(Number(f['multi-mem'])).toBeGreaterThanOrEqual(100);
      for (const k of ['qbuf', 'qbuf-free', 'argv-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem']) expect(f[k]).toMatch(/^\d+$/);
      expect(Object.keys(f).slice(-6)).toEqual(['cmd', 'user', 'redir', 'resp', 'lib-name', 'lib-ver']);
      expect(f.cmd).toBe('set');
    } finally {
      c.close();
      w.close();
      await admin('ACL', 'DELUSER', 'lister');
    }
  });
});
