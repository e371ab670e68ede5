/**
 * Every command family, in one list for the command table. A family is one module exporting an
 * array of specs; adding a family means adding it here.
 */
import type { CommandSpec } from './types.js';
import { connectionCommands } from './connection.js';
import { serverCommands } from './server-commands.js';
import { transactionCommands } from './transactions.js';
import { persistenceCommands } from './persistence-commands.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';
import { hashCommands } from './hashes.js';
import { moduleCommands } from './modules.js';
import { vectorSetCommands } from './vectorset.js';
import { vaddrawCommands } from './vaddraw.js';
import { pubsubCommands } from './pubsub.js';
import { ftCommands } from './ft.js';
import { replicationCommands } from '../replication/commands.js';
import { aclCommands } from './acl.js';
import { diagnosticCommands } from './diagnostics.js';
// Registers the vector-set snapshot/DUMP codec next to the commands that create vector sets.
import '../vset/codec.js';

export function allCommands(): CommandSpec[] {
  return [...connectionCommands, ...serverCommands, ...transactionCommands, ...persistenceCommands, ...keyCommands, ...stringCommands, ...hashCommands, ...vectorSetCommands, ...vaddrawCommands, ...moduleCommands, ...pubsubCommands, ...replicationCommands, ...ftCommands, ...aclCommands, ...diagnosticCommands];
}
