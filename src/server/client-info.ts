/**
 * A client described as CLIENT LIST and CLIENT INFO show it (Redis's catClientInfoString): the
 * same text goes into ACL LOG entries and the log line about a client closed for its output.
 */
import type { Client } from './client.js';

/** `id=… addr=… … lib-ver=…`, without the trailing newline. */
export function clientInfoString(c: Client): string {
  const now = Date.now();
  const query = c.reader.bufferedBytes;
  const multiMem = c.multi ? c.multi.reduce((n, q) => n + q.argv.reduce((m, a) => m + a.length, 0), 0) : 0;
  const fields: Array<[string, string | number]> = [
    ['id', c.id],
    ['addr', c.addr],
    ['laddr', c.laddr],
    ['fd', (c.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1],
    ['name', c.name ? c.name.toString('latin1') : ''],
    ['age', Math.floor((now - c.createdAt) / 1000)],
    ['idle', Math.floor((now - c.lastInteraction) / 1000)],
    ['flags', c.flagString],
    ['db', c.dbIndex],
    ['sub', c.subscriptions.channels.size],
    ['psub', c.subscriptions.patterns.size],
    ['ssub', c.subscriptions.shard.size],
    ['multi', c.multi ? c.multi.length : -1],
    ['watch', c.watchedKeys.size],
    ['qbuf', query],
    ['qbuf-free', 0],
    ['argv-mem', 0],
    ['multi-mem', multiMem],
    ['rbs', 16384],
    ['rbp', 0],
    ['obl', c.reply.pendingBytes],
    ['oll', c.outputChunks],
    ['omem', c.outputBytes],
    ['tot-mem', c.outputBytes + query + multiMem],
    ['events', 'r'],
    ['cmd', c.lastCommand],
    ['user', c.user ? c.user.name : '(superuser)'],
    ['redir', -1],
    ['resp', c.protocol],
    ['lib-name', c.libName],
    ['lib-ver', c.libVer],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(' ');
}

/** One CLIENT LIST / CLIENT INFO line. */
export function clientInfoLine(c: Client): string {
  return clientInfoString(c) + '\n';
}
