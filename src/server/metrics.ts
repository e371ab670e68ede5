/**
 * The Prometheus endpoint (`metrics-port`, off by default), built with prom-client:
 * `GET /metrics` in Prometheus's text format, and `GET /livez` / `GET /readyz` for HTTP probes
 * (200, or 503 while the dataset loads), which cost a probe less than starting a process.
 *
 * Every figure is read at scrape time from what INFO prints (info.ts `infoSection`), so a scrape
 * and INFO never disagree: one snapshot of the sections is taken per scrape and the collectors
 * read it. Names follow Prometheus's conventions — a `vsetd_` prefix, base units in the name
 * (`_bytes`, `_seconds`), `_total` on counters — and mirror redis_exporter's where one exists
 * (`vsetd_commands_total{cmd}` as its `redis_commands_total{cmd}`), so dashboards port by prefix.
 * prom-client's default process and Node.js metrics (CPU, heap, event-loop lag) come along.
 *
 * The endpoint answers without authentication (it shows counts, never data): bind it where only
 * the scraper reaches (`metrics-bind`, by default the addresses of `bind`).
 */
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Server } from './server.js';
import { infoSection, vectorSetsPerDb } from './info.js';
import { HISTOGRAM_BOUNDS_SECONDS } from './latency-stats.js';
import { VSETD_VERSION } from './version.js';

type Fields = Map<string, string | number>;
type Labelled = Array<[Record<string, string>, number]>;

/** The INFO sections one scrape reads, taken once at its start. */
class Snapshot {
  private readonly sections = new Map<string, Fields>();
  constructor(private readonly server: Server) {}

  section(name: string): Fields {
    let f = this.sections.get(name);
    if (f === undefined) {
      f = new Map(infoSection(this.server, name) ?? []);
      this.sections.set(name, f);
    }
    return f;
  }

  num(section: string, field: string): number {
    const v = this.section(section).get(field);
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) ? n : 0;
  }

  str(section: string, field: string): string {
    return String(this.section(section).get(field) ?? '');
  }
}

/** `a=1,b=x` (an INFO list value) as a map. */
function parseList(value: string | number | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of String(value ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** One series of a histogram as prom-client's registry formats it. */
interface HistogramValue {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  metricName: string;
}

const DURATION = 'vsetd_command_duration_seconds';

/**
 * A histogram whose values are the server's own latency distributions (LatencyHistogram, which
 * INFO latencystats reads too) instead of observations made through prom-client: each call is
 * recorded once, on the command path, whether or not anything scrapes. prom-client offers no way
 * to set a histogram's buckets, so this supplies `getForPromString`, the method its Histogram
 * and Registry read the series from (prom-client is pinned; test/sidecar-metrics.test.ts checks
 * the series a scrape shows).
 */
class CommandDurationHistogram extends Histogram<'cmd'> {
  constructor(
    registry: Registry,
    private readonly server: Server,
  ) {
    super({ name: DURATION, help: 'Time each command took to run on the main thread, by command', labelNames: ['cmd'], buckets: [...HISTOGRAM_BOUNDS_SECONDS], registers: [registry] });
  }

  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    for (const [cmd, stats] of this.server.commandStats) {
      const h = stats.latency;
      if (h === undefined) continue;
      // A fresh object each: prom-client's get() merges sharedLabels into labels in place.
      const labels = (): Record<string, string> => ({ cmd });
      let cumulative = 0;
      HISTOGRAM_BOUNDS_SECONDS.forEach((le, i) => {
        cumulative += h.coarse[i]!;
        values.push({ metricName: `${DURATION}_bucket`, labels: labels(), sharedLabels: { le: String(le) }, value: cumulative });
      });
      values.push({ metricName: `${DURATION}_bucket`, labels: labels(), sharedLabels: { le: '+Inf' }, value: h.count });
      values.push({ metricName: `${DURATION}_sum`, labels: labels(), sharedLabels: {}, value: h.sumUsec / 1e6 });
      values.push({ metricName: `${DURATION}_count`, labels: labels(), sharedLabels: {}, value: h.count });
    }
    return { name: DURATION, help: 'Time each command took to run on the main thread, by command', type: 'histogram', aggregator: 'sum', values };
  }
}

/** Builds the registry: each metric reads the scrape's snapshot through `now()`. */
export function buildRegistry(server: Server, now: () => Snapshot): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const gauge = (name: string, help: string, read: (s: Snapshot) => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read(now())); } });
  };
  const counter = (name: string, help: string, read: (s: Snapshot) => number): void => {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read(now())); } });
  };
  const labelledGauge = (name: string, help: string, labelNames: string[], read: (s: Snapshot) => Labelled): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read(now())) this.set(labels, v);
      },
    });
  };
  const labelledCounter = (name: string, help: string, labelNames: string[], read: (s: Snapshot) => Labelled): void => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read(now())) this.inc(labels, v);
      },
    });
  };

  // ---- server ----
  labelledGauge('vsetd_instance_info', 'Constant 1, labelled with the version and role', ['version', 'redis_version', 'node_version', 'role'], (s) => [
    [{ version: VSETD_VERSION, redis_version: s.str('server', 'redis_version'), node_version: process.version, role: s.str('replication', 'role') }, 1],
  ]);
  gauge('vsetd_uptime_seconds', 'Seconds since the server started', (s) => s.num('server', 'uptime_in_seconds'));
  gauge('vsetd_start_time_seconds', 'Unix time the server started', () => server.startedAt / 1000);

  // ---- clients and connections ----
  gauge('vsetd_connected_clients', 'Client connections, replicas excluded (INFO connected_clients)', (s) => s.num('clients', 'connected_clients'));
  gauge('vsetd_pubsub_clients', 'Clients in pub/sub mode', (s) => s.num('clients', 'pubsub_clients'));
  counter('vsetd_connections_received_total', 'Connections accepted', (s) => s.num('stats', 'total_connections_received'));
  counter('vsetd_rejected_connections_total', 'Connections refused at maxclients', (s) => s.num('stats', 'rejected_connections'));
  counter('vsetd_net_input_bytes_total', 'Bytes read from clients', (s) => s.num('stats', 'total_net_input_bytes'));
  counter('vsetd_net_output_bytes_total', 'Bytes written to clients', (s) => s.num('stats', 'total_net_output_bytes'));

  // ---- commands ----
  counter('vsetd_commands_processed_total', 'Commands run', (s) => s.num('stats', 'total_commands_processed'));
  const perCommand = (pick: (calls: number, usec: number, rejected: number, failed: number) => number) => (): Labelled =>
    [...server.commandStats].map(([cmd, st]) => [{ cmd }, pick(st.calls, st.usec, st.rejected, st.failed)]);
  labelledCounter('vsetd_commands_total', 'Calls by command (INFO commandstats calls)', ['cmd'], perCommand((calls) => calls));
  labelledCounter('vsetd_commands_duration_seconds_total', 'Time spent by command (INFO commandstats usec)', ['cmd'], perCommand((_c, usec) => usec / 1e6));
  labelledCounter('vsetd_commands_rejected_calls_total', 'Calls refused before running, by command', ['cmd'], perCommand((_c, _u, rejected) => rejected));
  labelledCounter('vsetd_commands_failed_calls_total', 'Calls that answered an error, by command', ['cmd'], perCommand((_c, _u, _r, failed) => failed));
  new CommandDurationHistogram(registry, server);
  labelledCounter('vsetd_errors_total', 'Error replies by error code (INFO errorstats)', ['err'], () => [...server.errorStats].map(([err, n]) => [{ err }, n]));

  // ---- keyspace ----
  labelledGauge('vsetd_db_keys', 'Keys by database', ['db'], (s) => [...s.section('keyspace')].map(([db, v]) => [{ db }, Number(parseList(v).get('keys') ?? 0)]));
  labelledGauge('vsetd_db_keys_expiring', 'Keys with a TTL by database', ['db'], (s) => [...s.section('keyspace')].map(([db, v]) => [{ db }, Number(parseList(v).get('expires') ?? 0)]));
  labelledGauge('vsetd_db_vector_sets', 'Vector sets by database', ['db'], () => vectorSetsPerDb(server.keyspace).map((d) => [{ db: `db${d.db}` }, d.sets]));
  labelledGauge('vsetd_db_vector_elements', 'Vector set elements by database', ['db'], () => vectorSetsPerDb(server.keyspace).map((d) => [{ db: `db${d.db}` }, d.elements]));
  counter('vsetd_keyspace_hits_total', 'Key lookups that found the key', (s) => s.num('stats', 'keyspace_hits'));
  counter('vsetd_keyspace_misses_total', 'Key lookups that did not', (s) => s.num('stats', 'keyspace_misses'));
  counter('vsetd_expired_keys_total', 'Keys removed by their TTL', (s) => s.num('stats', 'expired_keys'));

  // ---- memory ----
  gauge('vsetd_memory_used_bytes', 'Memory in use (INFO used_memory: JS heap, buffers, vector set memories and arena blocks in use)', (s) => s.num('memory', 'used_memory'));
  gauge('vsetd_memory_used_rss_bytes', 'Resident set size of the process', (s) => s.num('memory', 'used_memory_rss'));
  gauge('vsetd_memory_used_peak_bytes', 'Peak of used_memory', (s) => s.num('memory', 'used_memory_peak'));
  gauge('vsetd_memory_max_bytes', 'maxmemory (0: no limit)', (s) => s.num('memory', 'maxmemory'));
  gauge('vsetd_vset_arena_used_bytes', 'Arena blocks in use by small vector sets', (s) => s.num('memory', 'vset_arena_used'));
  gauge('vsetd_vset_arena_reserved_bytes', 'Memory the vector set arenas hold', (s) => s.num('memory', 'vset_arena_reserved'));

  // ---- search pool ----
  gauge('vsetd_search_threads', 'Worker threads of the search pool', (s) => s.num('searchpool', 'search_threads'));
  gauge('vsetd_search_queue_depth', 'Searches waiting for a worker', (s) => s.num('searchpool', 'search_queue_depth'));
  gauge('vsetd_search_inflight', 'Searches running on the workers', (s) => s.num('searchpool', 'search_inflight'));
  labelledCounter('vsetd_searches_served_total', 'Searches served, by worker thread', ['thread'], (s) =>
    [...s.section('searchpool')].filter(([k]) => k.startsWith('search_thread_')).map(([k, v]) => [{ thread: k.slice('search_thread_'.length) }, Number(parseList(v).get('served') ?? 0)]),
  );

  // ---- persistence ----
  gauge('vsetd_loading', '1 while the dataset loads (commands answer -LOADING)', (s) => s.num('persistence', 'loading'));
  gauge('vsetd_loading_loaded_bytes', 'Bytes of the dataset loaded so far', (s) => s.num('persistence', 'loading_loaded_bytes'));
  gauge('vsetd_loading_total_bytes', 'Bytes of the dataset being loaded', (s) => s.num('persistence', 'loading_total_bytes'));
  gauge('vsetd_rdb_last_save_timestamp_seconds', 'Unix time of the last successful snapshot', (s) => s.num('persistence', 'rdb_last_save_time'));
  gauge('vsetd_rdb_changes_since_last_save', 'Changes since the last snapshot', (s) => s.num('persistence', 'rdb_changes_since_last_save'));
  gauge('vsetd_rdb_bgsave_in_progress', '1 while a background snapshot is written', (s) => s.num('persistence', 'rdb_bgsave_in_progress'));
  gauge('vsetd_rdb_last_bgsave_ok', '1 if the last background snapshot succeeded', (s) => (s.str('persistence', 'rdb_last_bgsave_status') === 'ok' ? 1 : 0));
  gauge('vsetd_aof_enabled', '1 when the append-only file is on', (s) => s.num('persistence', 'aof_enabled'));
  gauge('vsetd_aof_current_size_bytes', 'Size of the AOF (base and increments)', (s) => s.num('persistence', 'aof_current_size'));
  gauge('vsetd_aof_base_size_bytes', 'Size of the AOF after its last rewrite', (s) => s.num('persistence', 'aof_base_size'));
  gauge('vsetd_aof_rewrite_in_progress', '1 while the AOF is rewritten', (s) => s.num('persistence', 'aof_rewrite_in_progress'));
  counter('vsetd_aof_rewrites_total', 'AOF rewrites completed', (s) => s.num('persistence', 'aof_rewrites'));
  gauge('vsetd_aof_last_write_ok', '1 if the last AOF write succeeded', (s) => (s.str('persistence', 'aof_last_write_status') === 'ok' ? 1 : 0));
  gauge('vsetd_save_keys_processed', 'Keys written by the save or rewrite under way', (s) => s.num('persistence', 'current_save_keys_processed'));
  gauge('vsetd_save_keys_in_dataset', 'Keys the save or rewrite under way writes in all', (s) => s.num('persistence', 'current_save_keys_total'));

  // ---- replication ----
  gauge('vsetd_connected_replicas', 'Replicas attached to this server (INFO connected_slaves)', (s) => s.num('replication', 'connected_slaves'));
  gauge('vsetd_replication_offset_bytes', "This server's replication offset (INFO master_repl_offset)", (s) => s.num('replication', 'master_repl_offset'));
  const replicas = (pick: (fields: Map<string, string>) => number) => (s: Snapshot): Labelled =>
    [...s.section('replication')].filter(([k]) => /^slave\d+$/.test(k)).map(([, v]) => {
      const f = parseList(v);
      return [{ replica: `${f.get('ip') ?? ''}:${f.get('port') ?? ''}`, state: f.get('state') ?? '' }, pick(f)];
    });
  labelledGauge('vsetd_replica_offset_bytes', 'Offset each replica acknowledged', ['replica', 'state'], replicas((f) => Number(f.get('offset') ?? 0)));
  labelledGauge('vsetd_replica_lag_seconds', 'Seconds since each replica last acknowledged', ['replica', 'state'], replicas((f) => Number(f.get('lag') ?? 0)));
  gauge('vsetd_master_link_up', 'On a replica: 1 while the link to the primary is up', (s) => (s.str('replication', 'master_link_status') === 'up' ? 1 : 0));
  gauge('vsetd_master_sync_in_progress', 'On a replica: 1 while a full sync is under way', (s) => s.num('replication', 'master_sync_in_progress'));
  gauge('vsetd_replica_repl_offset_bytes', 'On a replica: the offset of the primary stream applied (INFO slave_repl_offset)', (s) => s.num('replication', 'slave_repl_offset'));
  return registry;
}

/**
 * Starts the endpoint on `metrics-port`, on the `metrics-bind` addresses (or those of `bind`).
 * Returns the listening servers (closed with the process).
 */
export async function startMetrics(server: Server): Promise<http.Server[]> {
  let snapshot = new Snapshot(server);
  const registry = buildRegistry(server, () => snapshot);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url === '/metrics') {
      snapshot = new Snapshot(server);
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
      );
    } else if (url === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url === '/readyz') {
      const ready = !server.loading;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'LOADING Redis is loading the dataset in memory\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /livez or /readyz\n');
    }
  };
  const port = server.config.int('metrics-port');
  const addresses = (server.config.get('metrics-bind') || server.config.get('bind')).split(' ').filter((a) => a !== '');
  const out: http.Server[] = [];
  for (const raw of addresses) {
    const optional = raw.startsWith('-');
    const host = optional ? raw.slice(1) : raw;
    const srv = http.createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port, host: host === '*' ? undefined : host }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      out.push(srv);
    } catch (e) {
      if (optional) continue;
      for (const s of out) s.close();
      throw new Error(`Could not listen for metrics on ${host}:${port}: ${(e as Error).message}`);
    }
  }
  return out;
}
