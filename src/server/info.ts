/**
 * INFO text in Redis's format: `# Section` headers, `field:value` lines ending in CRLF, one blank
 * line between sections. Tools parse these fields (ioredis's ready check reads `loading`, redis-cli
 * reads `redis_version`, redis-py turns `a=b,c=d` lists into dicts), so names follow Redis.
 * Subsystems add or override fields of a section through `server.infoProviders`.
 */
import { arenaSpace } from '../hnsw/arena.js';
import os from 'node:os';
import fs from 'node:fs';
import type { Server } from './server.js';
import { VERSION, VSETD_VERSION } from './server.js';
import { LOADED_MODULES } from './loaded-modules.js';
import { latencyLines } from './latency-stats.js';
import type { Keyspace } from '../keyspace/keyspace.js';

type Lines = Array<[string, string | number]>;

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'searchpool', 'modules', 'errorstats', 'cluster', 'keyspace'];
// INFO ALL adds what Redis adds (commandstats, latencystats) and the vector sets per database.
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, -1), 'commandstats', 'latencystats', 'vectorsets', 'keyspace'];

export function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}

function cpuSeconds(micros: number): string {
  return (micros / 1e6).toFixed(6);
}

/** utime/stime of the main thread from /proc (the process totals include worker threads). */
function mainThreadCpu(): { user: number; sys: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const hz = 100;
    return { user: (Number(fields[11]) / hz) * 1e6, sys: (Number(fields[12]) / hz) * 1e6 };
  } catch {
    return null;
  }
}

/**
 * Vector sets and their elements per database (INFO vectorsets, the metrics endpoint): what
 * sizes memory (README, "Memory: what a set costs"). A walk over the keys, so only INFO ALL and
 * scrapes pay for it.
 */
export function vectorSetsPerDb(keyspace: Keyspace): Array<{ db: number; sets: number; elements: number }> {
  const out: Array<{ db: number; sets: number; elements: number }> = [];
  for (const db of keyspace.dbs) {
    if (db.size === 0) continue;
    let sets = 0;
    let elements = 0;
    for (const [, e] of db.entries()) {
      if (e.value.type !== 'vectorset') continue;
      sets++;
      elements += e.value.elementCount?.() ?? 0;
    }
    if (sets > 0) out.push({ db: db.index, sets, elements });
  }
  return out;
}

function sectionLines(server: Server, name: string): Lines | null {
  const now = Date.now();
  switch (name) {
    case 'server': {
      const uptime = Math.floor((now - server.startedAt) / 1000);
      return [
        ['redis_version', VERSION],
        ['redis_git_sha1', '00000000'],
        ['redis_git_dirty', 0],
        ['redis_build_id', '0'],
        ['redis_mode', 'standalone'],
        ['os', `${os.type()} ${os.release()} ${os.arch()}`],
        ['arch_bits', process.arch.includes('64') ? 64 : 32],
        ['monotonic_clock', 'POSIX clock_gettime'],
        ['multiplexing_api', 'libuv'],
        ['process_id', process.pid],
        ['process_supervised', 'no'],
        ['run_id', server.runId],
        ['tcp_port', server.boundPort],
        ['server_time_usec', now * 1000],
        ['uptime_in_seconds', uptime],
        ['uptime_in_days', Math.floor(uptime / 86400)],
        ['hz', server.config.int('hz')],
        ['configured_hz', server.config.int('hz')],
        ['executable', process.argv[1] ?? ''],
        ['config_file', server.config.configFile],
        ['io_threads_active', 0],
        ['vsetd_version', VSETD_VERSION],
        ['node_version', process.version],
      ];
    }
    case 'clients': {
      let watching = 0;
      let pubsubClients = 0;
      let maxIn = 0;
      let maxOut = 0;
      for (const c of server.clients.values()) {
        if (c.watchedKeys.size > 0) watching++;
        if (c.subscriptions.active) pubsubClients++;
        maxIn = Math.max(maxIn, c.reader.bufferedBytes);
        maxOut = Math.max(maxOut, c.outputBytes);
      }
      return [
        // As Redis counts them: replicas attached to this server are not clients here.
        ['connected_clients', server.clients.size - server.replication.primary.links.size],
        ['cluster_connections', 0],
        ['maxclients', server.config.int('maxclients')],
        ['client_recent_max_input_buffer', maxIn],
        ['client_recent_max_output_buffer', maxOut],
        ['blocked_clients', 0],
        ['tracking_clients', 0],
        ['pubsub_clients', pubsubClients],
        ['watching_clients', watching],
        ['clients_in_timeout_table', 0],
        ['total_watched_keys', server.keyspace.watchedKeyCount],
        ['total_blocking_keys', 0],
      ];
    }
    case 'memory': {
      const used = server.usedMemory();
      const mem = process.memoryUsage();
      const arenas = arenaSpace.usage();
      const max = server.config.int('maxmemory');
      return [
        ['used_memory', used],
        ['used_memory_human', humanBytes(used)],
        ['used_memory_rss', mem.rss],
        ['used_memory_rss_human', humanBytes(mem.rss)],
        ['used_memory_peak', server.peakMemory],
        ['used_memory_peak_human', humanBytes(server.peakMemory)],
        ['used_memory_heap', mem.heapUsed],
        ['used_memory_off_heap', mem.arrayBuffers],
        // Small vector sets live in arenas (src/hnsw/arena.ts): blocks in use, blocks waiting
        // for searches that may still read them, and what the arenas' memories hold.
        ['vset_arenas', arenas.arenas],
        ['vset_arena_used', arenas.live],
        ['vset_arena_retired', arenas.retired],
        ['vset_arena_reserved', arenas.committed],
        ['total_system_memory', os.totalmem()],
        ['total_system_memory_human', humanBytes(os.totalmem())],
        ['maxmemory', max],
        ['maxmemory_human', humanBytes(max)],
        ['maxmemory_policy', server.config.get('maxmemory-policy')],
        ['mem_allocator', `node-${process.version}`],
      ];
    }
    case 'persistence':
      return [
        ['loading', server.loading ? 1 : 0],
        ['async_loading', 0],
        ['current_cow_peak', 0],
        ['current_cow_size', 0],
        ['current_fork_perc', '0.00'],
        ['current_save_keys_processed', 0],
        ['current_save_keys_total', 0],
        ['rdb_changes_since_last_save', server.dirty],
        ['rdb_bgsave_in_progress', 0],
        ['rdb_last_save_time', server.lastSaveTime],
        ['rdb_last_bgsave_status', 'ok'],
        ['rdb_last_bgsave_time_sec', -1],
        ['rdb_current_bgsave_time_sec', -1],
        ['aof_enabled', server.config.bool('appendonly') ? 1 : 0],
        ['aof_rewrite_in_progress', 0],
        ['aof_rewrite_scheduled', 0],
        ['aof_last_rewrite_time_sec', -1],
        ['aof_current_rewrite_time_sec', -1],
        ['aof_last_bgrewrite_status', 'ok'],
        ['aof_rewrites', 0],
        ['aof_last_write_status', 'ok'],
      ];
    case 'stats': {
      return [
        ['total_connections_received', server.totalConnections],
        ['total_commands_processed', server.totalCommands],
        ['instantaneous_ops_per_sec', server.instantaneousOps],
        ['total_net_input_bytes', server.netInputBytes],
        ['total_net_output_bytes', server.netOutputBytes],
        ['rejected_connections', server.rejectedConnections],
        ['sync_full', server.replication.primary.syncFull],
        ['sync_partial_ok', server.replication.primary.syncPartialOk],
        ['sync_partial_err', server.replication.primary.syncPartialErr],
        ['expired_keys', server.keyspace.stats.expiredKeys],
        ['evicted_keys', 0],
        ['keyspace_hits', server.keyspace.stats.keyspaceHits],
        ['keyspace_misses', server.keyspace.stats.keyspaceMisses],
        ['pubsub_channels', server.pubsub.channelCount],
        ['pubsub_patterns', server.pubsub.patternCount],
        ['pubsubshard_channels', server.pubsub.shardChannelCount],
        ['total_error_replies', server.totalErrorReplies],
        ['unexpected_error_replies', 0],
        ['client_query_buffer_limit_disconnections', 0],
        ['client_output_buffer_limit_disconnections', server.outputLimiter.disconnections],
        ['acl_access_denied_auth', server.acl.log.denied.auth],
        ['acl_access_denied_cmd', server.acl.log.denied.command],
        ['acl_access_denied_key', server.acl.log.denied.key],
        ['acl_access_denied_channel', server.acl.log.denied.channel],
      ];
    }
    case 'replication':
      return server.replication.infoLines();
    case 'cpu': {
      const u = process.cpuUsage();
      const main = mainThreadCpu();
      const lines: Lines = [
        ['used_cpu_sys', cpuSeconds(u.system)],
        ['used_cpu_user', cpuSeconds(u.user)],
        ['used_cpu_sys_children', '0.000000'],
        ['used_cpu_user_children', '0.000000'],
      ];
      if (main) {
        lines.push(['used_cpu_sys_main_thread', cpuSeconds(main.sys)]);
        lines.push(['used_cpu_user_main_thread', cpuSeconds(main.user)]);
      }
      return lines;
    }
    case 'modules':
      return LOADED_MODULES.map((m): [string, string] => ['module', `name=${m.name},ver=${m.ver},api=1,filters=0,usedby=[],using=[],options=[]`]);
    case 'cluster':
      return [['cluster_enabled', 0]];
    case 'errorstats': {
      const lines: Lines = [];
      for (const [code, count] of server.errorStats) lines.push([`errorstat_${code}`, `count=${count}`]);
      return lines;
    }
    case 'commandstats': {
      const lines: Lines = [];
      for (const [name, s] of server.commandStats) {
        const per = s.calls === 0 ? 0 : s.usec / s.calls;
        lines.push([`cmdstat_${name}`, `calls=${s.calls},usec=${Math.round(s.usec)},usec_per_call=${per.toFixed(2)},rejected_calls=${s.rejected},failed_calls=${s.failed}`]);
      }
      return lines;
    }
    case 'latencystats':
      return latencyLines(server.commandStats);
    case 'vectorsets':
      return vectorSetsPerDb(server.keyspace).map((d): [string, string] => [`db${d.db}`, `sets=${d.sets},elements=${d.elements}`]);
    case 'keyspace': {
      const lines: Lines = [];
      for (const db of server.keyspace.dbs) {
        if (db.size === 0) continue;
        lines.push([`db${db.index}`, `keys=${db.size},expires=${db.expiresCount},avg_ttl=${db.averageTtl(now)},subexpiry=0`]);
      }
      return lines;
    }
    default:
      return null;
  }
}

const TITLES: Record<string, string> = {
  server: 'Server', clients: 'Clients', memory: 'Memory', persistence: 'Persistence', stats: 'Stats',
  replication: 'Replication', cpu: 'CPU', modules: 'Modules', errorstats: 'Errorstats', cluster: 'Cluster',
  keyspace: 'Keyspace', commandstats: 'Commandstats', searchpool: 'Searchpool', latencystats: 'Latencystats', vectorsets: 'Vectorsets',
};

/**
 * One INFO section's fields as INFO prints them, with what subsystems add (null: no such
 * section). The metrics endpoint reads its figures here, so that INFO and a scrape agree.
 */
export function infoSection(server: Server, name: string): Lines | null {
  let lines = sectionLines(server, name);
  const extra = server.infoProviders.get(name);
  if (extra) {
    const merged = new Map<string, string | number>(lines ?? []);
    for (const [k, v] of extra()) merged.set(k, v);
    lines = [...merged.entries()];
  }
  return lines;
}

/** Builds the INFO text for the requested section names (none = default). */
export function infoText(server: Server, requested: string[]): string {
  let names: string[];
  const lower = requested.map((s) => s.toLowerCase());
  if (lower.length === 0 || (lower.length === 1 && lower[0] === 'default')) names = DEFAULT_SECTIONS;
  else if (lower.includes('all') || lower.includes('everything')) {
    names = [...ALL_SECTIONS, ...[...server.infoProviders.keys()].filter((k) => !ALL_SECTIONS.includes(k))];
  } else {
    names = [];
    for (const n of lower) {
      const expanded = n === 'default' ? DEFAULT_SECTIONS : [n];
      for (const e of expanded) if (!names.includes(e)) names.push(e);
    }
  }
  const parts: string[] = [];
  for (const name of names) {
    const lines = infoSection(server, name);
    if (lines === null) continue;
    const title = TITLES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
    parts.push(`# ${title}\r\n` + lines.map(([k, v]) => `${k}:${v}\r\n`).join(''));
  }
  return parts.join('\r\n');
}
