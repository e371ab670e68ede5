/**
 * The point of ACLs for vsetd's users: one user per tenant, limited to `~tenant:<id>:*`, cannot
 * read, search, change or delete another tenant's vector sets and hashes. Each refusal is the
 * NOPERM Redis gives and changes nothing. SCAN and KEYS behave as in Redis (they list key names
 * without regard to key patterns), which is why the tenant rule shown in the README leaves them
 * out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { serverForFile } from './helpers/server.js';

const srv = serverForFile();
let root: Redis;
let t1: Redis;
let t2: Redis;

/** The tenant rule of the README's Security section. */
const tenantRule = (id: number): string[] => ['on', `>pw${id}`, 'resetkeys', `~tenant:${id}:*`, 'resetchannels', `&tenant:${id}:*`, '+@all', '-@dangerous', '-@admin', '-scan', '-randomkey'];

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  return 'allowed';
}

beforeAll(async () => {
  root = new Redis({ port: srv().port });
  await root.call('ACL', 'SETUSER', 'tenant1', ...tenantRule(1));
  await root.call('ACL', 'SETUSER', 'tenant2', ...tenantRule(2));
  t1 = new Redis({ port: srv().port, username: 'tenant1', password: 'pw1' });
  t2 = new Redis({ port: srv().port, username: 'tenant2', password: 'pw2' });
  for (const [r, id] of [[t1, 1], [t2, 2]] as const) {
    for (let i = 0; i < 5; i++) {
      await r.call('VADD', `tenant:${id}:docs`, 'VALUES', '3', String(i), String(id), '1', `doc${i}`, 'SETATTR', JSON.stringify({ owner: id }));
    }
    await r.hset(`tenant:${id}:meta`, 'name', `tenant ${id}`);
  }
});

afterAll(async () => {
  for (const r of [root, t1, t2]) r?.disconnect();
});

describe('one user per tenant', () => {
  it('a tenant reads, searches and changes its own sets and hashes', async () => {
    expect(await t1.call('VCARD', 'tenant:1:docs')).toBe(5);
    const hits = (await t1.call('VSIM', 'tenant:1:docs', 'ELE', 'doc0', 'COUNT', '3', 'WITHSCORES')) as string[];
    expect(hits[0]).toBe('doc0');
    expect(await t1.call('VGETATTR', 'tenant:1:docs', 'doc1')).toBe('{"owner":1}');
    expect(await t1.hget('tenant:1:meta', 'name')).toBe('tenant 1');
    expect(await t1.call('VREM', 'tenant:1:docs', 'doc4')).toBe(1);
    expect(await t1.call('VADD', 'tenant:1:docs', 'VALUES', '3', '4', '1', '1', 'doc4')).toBe(1);
  });

  it('cannot see or touch another tenant\'s sets: VSIM, VADD, VREM, VEMB, HGET, DEL, RENAME are refused and change nothing', async () => {
    const key = 'NOPERM No permissions to access a key';
    expect(await refusal(t1.call('VSIM', 'tenant:2:docs', 'ELE', 'doc0'))).toBe(key);
    expect(await refusal(t1.call('VSIM', 'tenant:2:docs', 'VALUES', '3', '0', '2', '1', 'FILTER', '.owner == 2'))).toBe(key);
    expect(await refusal(t1.call('VADD', 'tenant:2:docs', 'VALUES', '3', '9', '9', '9', 'intruder'))).toBe(key);
    expect(await refusal(t1.call('VREM', 'tenant:2:docs', 'doc0'))).toBe(key);
    expect(await refusal(t1.call('VEMB', 'tenant:2:docs', 'doc0'))).toBe(key);
    expect(await refusal(t1.call('VINFO', 'tenant:2:docs'))).toBe(key);
    expect(await refusal(t1.call('VRANDMEMBER', 'tenant:2:docs', '5'))).toBe(key);
    expect(await refusal(t1.hget('tenant:2:meta', 'name'))).toBe(key);
    expect(await refusal(t1.hset('tenant:2:meta', 'name', 'mine'))).toBe(key);
    expect(await refusal(t1.del('tenant:1:meta', 'tenant:2:meta'))).toBe(key);
    expect(await refusal(t1.rename('tenant:1:meta', 'tenant:2:stolen'))).toBe(key);
    expect(await refusal(t1.rename('tenant:2:meta', 'tenant:1:stolen'))).toBe(key);
    expect(await refusal(t1.exists('tenant:2:meta'))).toBe(key);
    expect(await refusal(t1.type('tenant:2:docs'))).toBe(key);
    expect(await refusal(t1.call('OBJECT', 'ENCODING', 'tenant:2:docs'))).toBe(key);
    expect(await refusal(t1.call('DUMP', 'tenant:2:docs'))).toBe(key);
    expect(await refusal(t1.publish('tenant:2:events', 'x'))).toBe('NOPERM No permissions to access a channel');
    // Nothing of tenant 2 changed, and tenant 1 still has its own hash.
    expect(await t2.call('VCARD', 'tenant:2:docs')).toBe(5);
    expect(await t2.call('VISMEMBER', 'tenant:2:docs', 'intruder')).toBe(0);
    expect(await t2.hget('tenant:2:meta', 'name')).toBe('tenant 2');
    expect(await t1.exists('tenant:1:meta')).toBe(1);
    expect(await root.exists('tenant:1:stolen', 'tenant:2:stolen')).toBe(0);
  });

  it('a transaction naming another tenant\'s key is refused when queued and EXEC aborts it', async () => {
    const multi = t1.multi().call('VADD', 'tenant:1:docs', 'VALUES', '3', '1', '1', '1', 'tx').call('DEL', 'tenant:2:docs');
    const err = await refusal(multi.exec());
    expect(err).toContain('EXECABORT');
    expect(await t1.call('VISMEMBER', 'tenant:1:docs', 'tx')).toBe(0);
    expect(await t2.call('VCARD', 'tenant:2:docs')).toBe(5);
  });

  it('server-wide commands stay out of a tenant\'s reach; SCAN and KEYS, which Redis does not filter, are excluded by the rule', async () => {
    expect(await refusal(t1.flushall())).toBe("NOPERM User tenant1 has no permissions to run the 'flushall' command");
    expect(await refusal(t1.keys('*'))).toBe("NOPERM User tenant1 has no permissions to run the 'keys' command");
    expect(await refusal(t1.scan('0'))).toBe("NOPERM User tenant1 has no permissions to run the 'scan' command");
    expect(await refusal(t1.call('CONFIG', 'GET', '*'))).toBe("NOPERM User tenant1 has no permissions to run the 'config|get' command");
    expect(await refusal(t1.call('ACL', 'LIST'))).toBe("NOPERM User tenant1 has no permissions to run the 'acl|list' command");
    expect(await refusal(t1.call('MONITOR'))).toBe("NOPERM User tenant1 has no permissions to run the 'monitor' command");
    // As in Redis, SCAN and KEYS list every key name: a user allowed SCAN sees other tenants' names.
    await root.call('ACL', 'SETUSER', 'scanner', 'on', '>pw', '~tenant:1:*', '+scan', '+keys');
    const scanner = new Redis({ port: srv().port, username: 'scanner', password: 'pw' });
    try {
      const [, names] = (await scanner.scan('0', 'COUNT', '100')) as [string, string[]];
      expect(names).toContain('tenant:2:docs');
      expect(await scanner.keys('tenant:2:*')).toContain('tenant:2:meta');
    } finally {
      scanner.disconnect();
    }
  });

  it('ACL DRYRUN tells an operator what a tenant may do, naming the key', async () => {
    expect(await root.call('ACL', 'DRYRUN', 'tenant1', 'VSIM', 'tenant:1:docs', 'ELE', 'doc0')).toBe('OK');
    expect(await root.call('ACL', 'DRYRUN', 'tenant1', 'VSIM', 'tenant:2:docs', 'ELE', 'doc0')).toBe("User tenant1 has no permissions to access the 'tenant:2:docs' key");
    expect(await root.call('ACL', 'DRYRUN', 'tenant2', 'HGET', 'tenant:1:meta', 'name')).toBe("User tenant2 has no permissions to access the 'tenant:1:meta' key");
  });
});
