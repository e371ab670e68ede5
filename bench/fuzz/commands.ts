/**
 * Fuzzing random command sequences from several clients of several tenants against one server
 * (in process, no sockets): each tenant's user is limited to `~tenant:<id>:*`, and its clients
 * send interleaved vector-set, hash, string and key commands, transactions, wrong arguments,
 * and commands on other tenants' keys, while an admin client changes the tenants' rules now and
 * then. Checked throughout:
 *   - no command crashes or answers "internal error";
 *   - no reply to a tenant holds another tenant's key names, element names or attributes
 *     (unless the tenant sent those bytes itself, as an error may echo an argument);
 *   - DEBUG VSET-VALIDATE finds every vector set's graph sound.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { Server } from '../../src/server/server.js';
import { Client } from '../../src/server/client.js';
import { Config } from '../../src/server/config.js';
import { Rand, count, fail, newReport, type FuzzReport } from './common.js';

const TENANTS = [1, 2, 3];
const DIM = 4;

interface Conn {
  client: Client;
  tenant: number;
}

function fakeSocket(): net.Socket {
  const s = Object.assign(new EventEmitter(), {
    write: () => true,
    end: () => {},
    destroy: () => {},
    pause: () => {},
    resume: () => {},
    cork: () => {},
    uncork: () => {},
    writableLength: 0,
  });
  return s as unknown as net.Socket;
}

/** A key of tenant `t`: three vector sets, two hashes, a string. */
function key(r: Rand, t: number): string {
  const k = r.int(6);
  return k < 3 ? `tenant:${t}:v${k}` : k < 5 ? `tenant:${t}:h${k - 3}` : `tenant:${t}:s0`;
}

function vector(r: Rand, dim = DIM): string[] {
  return Array.from({ length: dim }, () => (r.next() * 2 - 1).toFixed(3));
}

const FILTERS = ['.n > 3', '.n == 1 or .o == "x"', '.n in [1,2,3]', '(.n', '!.n', '.o'];

/** One command of tenant `t`, naming another tenant's key about one time in six. */
function command(r: Rand, t: number): string[] {
  const other = r.chance(1 / 6) ? r.pick(TENANTS.filter((x) => x !== t)) : t;
  const k = key(r, other);
  const el = `T${t}E${r.int(40)}`;
  const attr = JSON.stringify({ o: `T${t}A`, n: r.int(8) });
  switch (r.int(24)) {
    case 0:
    case 1:
    case 2:
      return ['VADD', k, 'VALUES', String(r.chance(0.97) ? DIM : 3), ...vector(r), el, ...(r.chance(0.5) ? ['SETATTR', attr] : []), ...(r.chance(0.1) ? ['CAS'] : [])];
    case 3:
      return ['VREM', k, el];
    case 4:
    case 5: {
      const opts = [...(r.chance(0.5) ? ['WITHSCORES'] : []), ...(r.chance(0.3) ? ['WITHATTRIBS'] : []), 'COUNT', String(1 + r.int(50))];
      if (r.chance(0.3)) opts.push('FILTER', r.pick(FILTERS));
      if (r.chance(0.2)) opts.push('EF', String(1 + r.int(200)));
      return r.chance(0.5) ? ['VSIM', k, 'ELE', el, ...opts] : ['VSIM', k, 'VALUES', String(DIM), ...vector(r), ...opts];
    }
    case 6:
      return [r.pick(['VCARD', 'VDIM', 'VINFO']), k];
    case 7:
      return [r.pick(['VEMB', 'VGETATTR', 'VISMEMBER', 'VLINKS']), k, el];
    case 8:
      return ['VSETATTR', k, el, r.chance(0.8) ? attr : '{bad'];
    case 9:
      return ['VRANDMEMBER', k, String(r.int(20) - 5)];
    case 10:
      return ['VRANGE', k, '-', '+', String(r.int(20))];
    case 11:
      return ['HSET', k, `T${t}E${r.int(5)}`, attr];
    case 12:
      return [r.pick(['HGETALL', 'HKEYS', 'HVALS', 'HLEN']), k];
    case 13:
      return ['HGET', k, `T${t}E${r.int(5)}`];
    case 14:
      return ['HSCAN', k, '0', 'COUNT', '5'];
    case 15:
      return r.chance(0.5) ? ['SET', k, attr] : ['GET', k];
    case 16:
      return ['DEL', k, ...(r.chance(0.3) ? [key(r, t)] : [])];
    case 17:
      return r.chance(0.5) ? ['RENAME', k, key(r, r.chance(0.8) ? t : other)] : ['COPY', k, key(r, t), 'REPLACE'];
    case 18:
      return [r.pick(['EXISTS', 'TYPE', 'TTL', 'DUMP', 'MEMORY']), ...(r.chance(0.2) ? ['USAGE'] : []), k];
    case 19:
      return ['EXPIRE', k, String(100 + r.int(1000))];
    case 20:
      return [r.pick(['MULTI', 'EXEC', 'DISCARD'])];
    case 21:
      return ['WATCH', k];
    case 22:
      return r.pick([['SCAN', '0'], ['KEYS', '*'], ['FLUSHALL'], ['ACL', 'LIST'], ['RANDOMKEY']]);
    default:
      // Wrong arguments and garbage.
      return [r.pick(['VADD', 'VSIM', 'HSET', 'SET', 'VREM']), k, ...Array.from({ length: r.int(4) }, () => r.bytes(r.int(6)).toString('latin1'))];
  }
}

const TENANT_RULE = (t: number): string[] => ['on', 'nopass', 'resetkeys', `~tenant:${t}:*`, 'resetchannels', `&tenant:${t}:*`, '+@all', '-@dangerous', '-@admin', '-scan', '-randomkey'];

export function fuzzCommands(seed: number, cases: number): FuzzReport {
  const report = newReport('command sequences');
  const r = new Rand(seed);
  const config = new Config();
  config.set('enable-debug-command', ['yes'], true);
  const server = new Server(config);
  let ids = 1;
  const connect = (): Client => {
    const c = new Client(ids++, fakeSocket(), server, server.readerLimits);
    server.clients.set(c.id, c);
    return c;
  };
  const run = (c: Client, args: string[]): Buffer => {
    server.processCommand(c, args.map((a) => Buffer.from(a, 'latin1')));
    return Buffer.concat(c.reply.take());
  };
  const admin = connect();
  for (const t of TENANTS) run(admin, ['ACL', 'SETUSER', `tenant${t}`, ...TENANT_RULE(t)]);
  const conns: Conn[] = [];
  for (const t of TENANTS) {
    for (let j = 0; j < 2; j++) {
      const c = connect();
      run(c, ['AUTH', `tenant${t}`, 'x']);
      conns.push({ client: c, tenant: t });
    }
  }
  const validate = (step: number): void => {
    for (const t of TENANTS) {
      for (let v = 0; v < 3; v++) {
        const k = `tenant:${t}:v${v}`;
        if (run(admin, ['TYPE', k]).toString() !== '+vectorset\r\n') continue;
        const reply = run(admin, ['DEBUG', 'VSET-VALIDATE', k]).toString('latin1');
        count(report, 'graphs validated');
        if (reply !== '+OK\r\n') fail(report, `step ${step}: DEBUG VSET-VALIDATE ${k}: ${reply.slice(0, 300)}`);
      }
    }
  };
  for (let i = 0; i < cases; i++) {
    report.cases++;
    // Now and then the admin changes a tenant's rules: queued transactions meet them at EXEC.
    if (r.chance(0.002)) {
      const t = r.pick(TENANTS);
      // Whatever is granted, never the server-wide commands that list or touch every key.
      run(admin, ['ACL', 'SETUSER', `tenant${t}`, r.pick(['-@write', '+@write', '-vsim', '+vsim', '+@all', '-@hash', '+@read']), '-@dangerous', '-@admin', '-scan', '-randomkey']);
      count(report, 'rule changes');
    }
    const conn = r.pick(conns);
    const args = command(r, conn.tenant);
    let reply: string;
    try {
      reply = run(conn.client, args).toString('latin1');
    } catch (e) {
      fail(report, `step ${i}: ${args.join(' ')} threw ${e instanceof Error ? e.stack : String(e)}`);
      continue;
    }
    count(report, 'commands');
    if (reply.startsWith('-NOPERM')) count(report, 'refused (NOPERM)');
    else if (reply.startsWith('-')) count(report, 'other errors');
    if (reply.includes('internal error')) fail(report, `step ${i}: ${args.join(' ')} answered ${reply.slice(0, 200)}`);
    const sent = args.join(' ');
    for (const u of TENANTS) {
      if (u === conn.tenant) continue;
      for (const marker of [`tenant:${u}:`, `T${u}E`, `T${u}A`]) {
        if (reply.includes(marker) && !sent.includes(marker)) fail(report, `step ${i}: tenant ${conn.tenant} sent ${sent.slice(0, 120)} and got ${marker} in ${reply.slice(0, 200)}`);
      }
    }
    if (i % 2000 === 1999) validate(i);
  }
  validate(cases);
  for (const c of server.clients.values()) c.unwatchAll();
  return report;
}
