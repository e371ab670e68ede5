// The Prometheus endpoint, scraped: names follow Prometheus's conventions, the figures are
// INFO's, the latency histogram is consistent with INFO commandstats; and INFO ALL carries the
// fields redis_exporter (oliver006/redis_exporter) reads, in the shapes it parses.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import { freePort, startServer, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { infoField } from './helpers/wait.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function scrape(port: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

/** Parses Prometheus's text format: samples, and each family's TYPE. */
function parse(body: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of body.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

let s: RunningServer;
let metricsPort: number;

beforeAll(async () => {
  metricsPort = await freePort();
  s = await startServer({ args: ['--metrics-port', String(metricsPort), '--metrics-bind', '127.0.0.1'] });
  await RawConnection.using(s.port, async (c) => {
    for (let i = 0; i < 30; i++) await c.call('VADD', 'points', 'VALUES', 2, i, 1, `p${i}`);
    await c.call('VADD', 'other', 'VALUES', 2, 1, 1, 'x');
    await c.call('SELECT', 3);
    await c.call('VADD', 'tenant', 'VALUES', 2, 1, 1, 'y');
    await c.call('SET', 'plain', 'v', 'EX', 1000);
    for (let i = 0; i < 5; i++) await c.call('VSIM', 'tenant', 'VALUES', 2, 1, 1);
    await c.call('VCARD', 'plain');
  });
});

afterAll(async () => {
  await s.stop();
});

describe('GET /metrics', () => {
  test('names follow Prometheus conventions', async () => {
    const r = await scrape(metricsPort);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parse(r.body);
    const ours = [...types].filter(([n]) => n.startsWith('vsetd_'));
    expect(ours.length).toBeGreaterThan(40);
    for (const [name, type] of ours) {
      expect(name).toMatch(/^vsetd_[a-z0-9_]+$/);
      // Counters end in _total; nothing else does. Units are base units, spelled out.
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      expect(name).not.toMatch(/_(ms|milliseconds|usec|microseconds|kb|mb|percent)(_|$)/);
    }
    for (const sample of samples) for (const label of Object.keys(sample.labels)) expect(label).toMatch(/^[a-z_]+$/);
    // prom-client's process and Node.js metrics come along (event-loop lag among them).
    expect(types.get('process_cpu_seconds_total')).toBe('counter');
    expect(types.has('nodejs_eventloop_lag_seconds')).toBe(true);
    for (const name of [
      'vsetd_commands_total', 'vsetd_commands_duration_seconds_total', 'vsetd_command_duration_seconds', 'vsetd_connected_clients',
      'vsetd_db_keys', 'vsetd_db_vector_elements', 'vsetd_memory_used_bytes', 'vsetd_search_queue_depth', 'vsetd_searches_served_total',
      'vsetd_rdb_last_save_timestamp_seconds', 'vsetd_aof_current_size_bytes', 'vsetd_aof_rewrite_in_progress', 'vsetd_connected_replicas',
      'vsetd_replication_offset_bytes', 'vsetd_instance_info', 'vsetd_loading',
    ]) {
      expect(types.has(name), name).toBe(true);
    }
  });

  test('the figures are those INFO prints', async () => {
    const { samples } = parse((await scrape(metricsPort)).body);
    await RawConnection.using(s.port, async (c) => {
      const info = String(await c.value('INFO', 'ALL'));
      const calls = (cmd: string): number => Number(/calls=(\d+)/.exec(infoField(info, `cmdstat_${cmd}`))![1]);
      expect(value(samples, 'vsetd_commands_total', { cmd: 'vadd' })).toBe(calls('vadd'));
      expect(value(samples, 'vsetd_commands_total', { cmd: 'vsim' })).toBe(5);
      expect(value(samples, 'vsetd_commands_failed_calls_total', { cmd: 'vcard' })).toBe(1);
      expect(value(samples, 'vsetd_commands_rejected_calls_total', { cmd: 'vcard' })).toBe(0);
      expect(value(samples, 'vsetd_errors_total', { err: 'WRONGTYPE' })).toBe(1);
      expect(value(samples, 'vsetd_db_keys', { db: 'db0' })).toBe(2);
      expect(value(samples, 'vsetd_db_keys', { db: 'db3' })).toBe(2);
      expect(value(samples, 'vsetd_db_keys_expiring', { db: 'db3' })).toBe(1);
      expect(value(samples, 'vsetd_db_vector_sets', { db: 'db0' })).toBe(2);
      expect(value(samples, 'vsetd_db_vector_elements', { db: 'db0' })).toBe(31);
      expect(value(samples, 'vsetd_db_vector_elements', { db: 'db3' })).toBe(1);
      expect(infoField(info, 'db0')).toBe('sets=2,elements=31');
      expect(value(samples, 'vsetd_search_threads')).toBe(Number(infoField(info, 'search_threads')));
      expect(value(samples, 'vsetd_loading')).toBe(0);
      expect(value(samples, 'vsetd_rdb_last_save_timestamp_seconds')).toBe(Number(infoField(info, 'rdb_last_save_time')));
      expect(value(samples, 'vsetd_instance_info', { role: 'master' })).toBe(1);
      expect(value(samples, 'vsetd_connected_replicas')).toBe(0);
      expect(value(samples, 'vsetd_memory_used_bytes')).toBeGreaterThan(0);
    });
  });

  test('the latency histogram counts every call, cumulatively', async () => {
    const { samples } = parse((await scrape(metricsPort)).body);
    const buckets = samples.filter((x) => x.name === 'vsetd_command_duration_seconds_bucket' && x.labels.cmd === 'vadd');
    expect(buckets.length).toBe(20);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    const count = value(samples, 'vsetd_command_duration_seconds_count', { cmd: 'vadd' });
    expect(count).toBe(32);
    expect(buckets.at(-1)!.value).toBe(count);
    expect(value(samples, 'vsetd_command_duration_seconds_sum', { cmd: 'vadd' })).toBeCloseTo(value(samples, 'vsetd_commands_duration_seconds_total', { cmd: 'vadd' })!, 6);
  });

  test('/livez and /readyz answer; anything else is 404', async () => {
    const status = (p: string): Promise<number> =>
      new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: metricsPort, path: p }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await status('/livez')).toBe(200);
    expect(await status('/readyz')).toBe(200);
    expect(await status('/nope')).toBe(404);
  });
});

describe('redis_exporter reads INFO ALL', () => {
  // The fields its metricMapGauges/metricMapCounters and section parsers read that apply to a
  // server like this one (no allocator, fork or cluster fields).
  const FIELDS: Record<string, string[]> = {
    Server: ['redis_version', 'redis_mode', 'os', 'tcp_port', 'run_id', 'process_id', 'uptime_in_seconds', 'hz', 'configured_hz'],
    Clients: ['connected_clients', 'blocked_clients', 'tracking_clients', 'client_recent_max_input_buffer', 'client_recent_max_output_buffer'],
    Memory: ['used_memory', 'used_memory_rss', 'used_memory_peak', 'maxmemory', 'maxmemory_policy'],
    Persistence: ['loading', 'rdb_changes_since_last_save', 'rdb_bgsave_in_progress', 'rdb_last_save_time', 'rdb_last_bgsave_status', 'rdb_last_bgsave_time_sec', 'rdb_current_bgsave_time_sec', 'aof_enabled', 'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec', 'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status', 'aof_last_write_status'],
    Stats: ['total_connections_received', 'total_commands_processed', 'rejected_connections', 'total_net_input_bytes', 'total_net_output_bytes', 'expired_keys', 'evicted_keys', 'keyspace_hits', 'keyspace_misses', 'pubsub_channels', 'pubsub_patterns', 'sync_full', 'sync_partial_ok', 'sync_partial_err'],
    Replication: ['role', 'connected_slaves', 'master_replid', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen'],
    CPU: ['used_cpu_sys', 'used_cpu_user', 'used_cpu_sys_children', 'used_cpu_user_children'],
  };

  test('every field it maps is there, numeric where it parses a number', async () => {
    await RawConnection.using(s.port, async (c) => {
      const info = String(await c.value('INFO', 'ALL'));
      const sections = new Map<string, Map<string, string>>();
      let current = '';
      for (const line of info.split('\r\n')) {
        if (line.startsWith('# ')) sections.set((current = line.slice(2)), new Map());
        else if (line.includes(':')) sections.get(current)!.set(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1));
      }
      for (const [section, fields] of Object.entries(FIELDS)) {
        for (const f of fields) expect(sections.get(section)?.has(f), `${section} ${f}`).toBe(true);
      }
      // Commandstats: calls, usec, usec_per_call, rejected_calls, failed_calls in that order.
      for (const [k, v] of sections.get('Commandstats')!) {
        expect(k).toMatch(/^cmdstat_/);
        expect(v).toMatch(/^calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=\d+,failed_calls=\d+$/);
      }
      // Latencystats: p50/p99/p99.9 per command, which it joins with commandstats into a summary.
      expect(sections.get('Latencystats')!.get('latency_percentiles_usec_vadd')).toMatch(/^p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+$/);
      // Keyspace: keys and expires required, every part key=value.
      expect(sections.get('Keyspace')!.get('db3')).toMatch(/^keys=2,expires=1,avg_ttl=\d+,subexpiry=0$/);
      expect(sections.get('Errorstats')!.get('errorstat_WRONGTYPE')).toBe('count=1');
      // CONFIG GET * gives it `databases`, `maxmemory` and `maxclients` as numbers.
      const config = (await c.value('CONFIG', 'GET', '*')) as string[];
      const map = new Map<string, string>();
      for (let i = 0; i < config.length; i += 2) map.set(config[i]!, config[i + 1]!);
      expect(map.get('databases')).toBe('16');
      expect(Number(map.get('maxmemory'))).toBe(0);
      expect(Number(map.get('maxclients'))).toBe(10000);
    });
  });
});
