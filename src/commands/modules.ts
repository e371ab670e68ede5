/**
 * MODULE LIST and MODULE HELP (the list itself is in server/loaded-modules.ts, which HELLO and
 * INFO modules read too). vsetd loads no module files, so LOAD, LOADEX and UNLOAD are unknown
 * subcommands.
 */
import { command, container, NO_KEYS, type CommandSpec } from './types.js';
import { replyHelp } from './connection.js';
import { replyLoadedModules } from '../server/loaded-modules.js';

const G = 'server';

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
