import { describe, expect, it } from 'vitest';
import { serverForFile } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';

const server = serverForFile();

describe('MULTI / EXEC / DISCARD', () => {
  it('queues and executes in order, errors inside EXEC are elements', async () => {
    const c = await RawConnection.connect(server().port);
    expect(await c.call('MULTI')).toBe('+OK\r\n');
    expect(await c.call('SET', 'tx:a', '1')).toBe('+QUEUED\r\n');
    expect(await c.call('INCR', 'tx:a')).toBe('+QUEUED\r\n');
    expect(await c.call('SET', 'tx:s', 'x')).toBe('+QUEUED\r\n');
    expect(await c.call('INCR', 'tx:s')).toBe('+QUEUED\r\n');
    expect(await c.call('GET', 'tx:a')).toBe('+QUEUED\r\n');
    expect(await c.call('EXEC')).toBe('*5\r\n+OK\r\n:2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\n2\r\n');
    c.close();
  });

  it('a command rejected while queueing makes EXEC fail with EXECABORT and applies nothing', async () => {
    const c = await RawConnection.connect(server().port);
    await c.call('MULTI');
    expect(await c.call('SET', 'tx:b', '1')).toBe('+QUEUED\r\n');
    expect(await c.call('NOSUCH')).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    expect(await c.call('GET')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await c.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(await c.call('GET', 'tx:b')).toBe('$-1\r\n');
    c.close();
  });

  it('nesting, EXEC/DISCARD without MULTI, DISCARD drops the queue', async () => {
    const c = await RawConnection.connect(server().port);
    expect(await c.call('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
    expect(await c.call('DISCARD')).toBe('-ERR DISCARD without MULTI\r\n');
    await c.call('MULTI');
    expect(await c.call('MULTI')).toBe('-ERR MULTI calls can not be nested\r\n');
    await c.call('SET', 'tx:c', '1');
    expect(await c.call('DISCARD')).toBe('+OK\r\n');
    expect(await c.call('GET', 'tx:c')).toBe('$-1\r\n');
    expect(await c.call('MULTI')).toBe('+OK\r\n');
    expect(await c.call('EXEC')).toBe('*0\r\n');
    c.close();
  });

  it('replies in RESP3 inside EXEC', async () => {
    const c = await RawConnection.connect(server().port);
    await c.call('HELLO', '3');
    await c.call('MULTI');
    await c.call('CONFIG', 'GET', 'hz');
    await c.call('GET', 'tx:none');
    expect(await c.call('EXEC')).toBe('*2\r\n%1\r\n$2\r\nhz\r\n$2\r\n10\r\n_\r\n');
    c.close();
  });
});

describe('WATCH', () => {
  it('aborts EXEC when a watched key changes, from another client or by expiry', async () => {
    const a = await RawConnection.connect(server().port);
    const b = await RawConnection.connect(server().port);
    await a.call('SET', 'w:k', '1');
    expect(await a.call('WATCH', 'w:k', 'w:other')).toBe('+OK\r\n');
    await b.call('SET', 'w:k', '2');
    await a.call('MULTI');
    await a.call('SET', 'w:k', '3');
    expect(await a.call('EXEC')).toBe('*-1\r\n');
    expect(await a.call('GET', 'w:k')).toBe('$1\r\n2\r\n');
    // Not touched: EXEC runs.
    await a.call('WATCH', 'w:k');
    await a.call('MULTI');
    await a.call('SET', 'w:k', '4');
    expect(await a.call('EXEC')).toBe('*1\r\n+OK\r\n');
    // A key that expires after WATCH aborts too.
    await a.call('SET', 'w:e', 'v', 'PX', '50');
    await a.call('WATCH', 'w:e');
    await new Promise((r) => setTimeout(r, 120));
    await a.call('MULTI');
    await a.call('SET', 'w:x', '1');
    expect(await a.call('EXEC')).toBe('*-1\r\n');
    // RESP3 null.
    await a.call('HELLO', '3');
    await a.call('WATCH', 'w:k');
    await b.call('DEL', 'w:k');
    await a.call('MULTI');
    expect(await a.call('EXEC')).toBe('_\r\n');
    a.close();
    b.close();
  });

  it('FLUSHALL and FLUSHDB touch watched keys; UNWATCH forgets them; WATCH inside MULTI is an error', async () => {
    const a = await RawConnection.connect(server().port);
    const b = await RawConnection.connect(server().port);
    await a.call('SET', 'w:f', '1');
    await a.call('WATCH', 'w:f');
    await b.call('FLUSHALL');
    await a.call('MULTI');
    expect(await a.call('EXEC')).toBe('*-1\r\n');
    await a.call('SET', 'w:u', '1');
    await a.call('WATCH', 'w:u');
    await a.call('UNWATCH');
    await b.call('SET', 'w:u', '2');
    await a.call('MULTI');
    expect(await a.call('WATCH', 'w:u')).toBe('-ERR WATCH inside MULTI is not allowed\r\n');
    expect(await a.call('EXEC')).toBe('*0\r\n');
    a.close();
    b.close();
  });
});
