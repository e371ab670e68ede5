/**
 * MODULE LIST and MODULE HELP (the list itself is in server/loaded-modules.ts). vsetd loads no
 * module files, so LOAD, LOADEX and UNLOAD are unknown subcommands.
 */
import { command, container, NO_KEYS, type CommandSpec } from './types.js';
import { replyHelp } from './connection.js';
import { LOADED_MODULES } from '../server/loaded-modules.js';
import type { ReplyWriter } from '../server/reply.js';

const G = 'server';

/** addReplyLoadedModules: an array of maps (flat arrays in RESP2) of name, ver, path, args. */
export function replyLoadedModules(r: ReplyWriter): void {
  r.array(LOADED_MODULES.length);
  for (const m of LOADED_MODULES) {
    r.map(4);
    r.bulk('name');
    r.bulk(m.name);
    r.bulk('ver');
    r.integer(m.ver);
    r.bulk('path');
    r.bulk(m.path);
    r.bulk('args');
    r.bulkArray(m.args);
  }
}

const MODULE_HELP = ['LIST', '    Return a list of loaded modules.'];

export const moduleCommands: CommandSpec[] = [
  container('module', -2, ['@slow'], { summary: 'A container for module commands.', since: '4.0.0', group: G, complexity: 'Depends on subcommand.' }, [
    command('list', 2, ['admin', 'noscript'], NO_KEYS, ['@admin', '@slow', '@dangerous'], {
      summary: 'Returns all loaded modules.', since: '4.0.0', group: G, complexity: 'O(N) where N is the number of loaded modules.',
    }, (c) => replyLoadedModules(c.reply)),
    command('help', 2, ['loading', 'stale'], NO_KEYS, ['@slow'], {
      summary: 'Returns helpful text about the different subcommands.', since: '5.0.0', group: G, complexity: 'O(1)',
    }, (c) => replyHelp(c.reply, 'MODULE', MODULE_HELP)),
  ]),
];
