/**
 * Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, the shard
 * variants (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, which behave as in a Redis that is not a
 * cluster) and PUBSUB introspection. Replies follow Redis's pubsub.c; the subscription state and
 * delivery are in src/server/pubsub.ts, and the dispatcher (src/server/dispatch.ts) keeps a RESP2
 * client in pub/sub mode to the commands allowed there.
 */
import { command, container, NO_KEYS, type CommandSpec } from './types.js';
import { optional, pattern, str } from './doc-args.js';
import { replyHelp } from './connection.js';
import type { SubscriptionKind } from '../server/pubsub.js';
import type { Client } from '../server/client.js';

const G = 'pubsub';
const FLAGS: CommandSpec['flags'] = ['pubsub', 'noscript', 'loading', 'stale'];
const SHARD_KEYS: [number, number, number] = [1, -1, 1];

function subscribe(kind: SubscriptionKind, commandName: string) {
  return (c: Client, argv: Buffer[]): void => {
    // Redis refuses shard subscriptions from a client that cannot block, which includes one
    // running EXEC; SUBSCRIBE and PSUBSCRIBE stay allowed there for backward compatibility.
    if (kind === 'shard' && c.inExec) {
      c.reply.error(`ERR ${commandName} isn't allowed for a DENY BLOCKING client`);
      return;
    }
    for (let i = 1; i < argv.length; i++) c.server.pubsub.subscribe(c, kind, argv[i]!);
  };
}

function unsubscribe(kind: SubscriptionKind) {
  return (c: Client, argv: Buffer[]): void => c.server.pubsub.unsubscribe(c, kind, argv.slice(1));
}

function publish(shard: boolean) {
  return (c: Client, argv: Buffer[]): void => {
    c.reply.integer(c.server.pubsub.publish(argv[1]!, argv[2]!, shard));
    // Replicas deliver it to their own subscribers; the AOF never holds messages (as Redis).
    c.replicateOnly = true;
  };
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]: one optional argument, checked as Redis does. */
function channels(shard: boolean) {
  return (c: Client, argv: Buffer[]): void => {
    if (argv.length > 3) {
      c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!.toString('latin1').slice(0, 128)}'. Try PUBSUB HELP.`);
      return;
    }
    c.reply.bulkArray(c.server.pubsub.channelNames(shard, argv.length === 3 ? argv[2]! : null));
  };
}

function numsub(shard: boolean) {
  return (c: Client, argv: Buffer[]): void => {
    c.reply.array((argv.length - 2) * 2);
    for (let i = 2; i < argv.length; i++) {
      c.reply.bulk(argv[i]!);
      c.reply.integer(c.server.pubsub.subscriberCount(shard, argv[i]!));
    }
  };
}

const PUBSUB_HELP = [
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
];

const sub = (name: string, arity: number, summary: string, since: string, complexity: string, args: CommandSpec['docs']['arguments'], handler: CommandSpec['handler'], flags: CommandSpec['flags'] = ['pubsub', 'loading', 'stale']): CommandSpec =>
  command(name, arity, flags, NO_KEYS, flags.includes('pubsub') ? ['@pubsub', '@slow'] : ['@slow'], { summary, since, group: G, complexity, arguments: args }, handler!);

const pubsubCommand = container('pubsub', -2, ['@slow'], { summary: 'A container for Pub/Sub commands.', since: '2.8.0', group: G, complexity: 'Depends on subcommand.' }, [
  sub('channels', -2, 'Returns the active channels.', '2.8.0', 'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)', [optional(pattern())], channels(false)),
  sub('numsub', -2, 'Returns a count of subscribers to channels.', '2.8.0', 'O(N) for the NUMSUB subcommand, where N is the number of requested channels', [str('channel', { optional: true, multiple: true })], numsub(false)),
  sub('numpat', 2, 'Returns a count of unique pattern subscriptions.', '2.8.0', 'O(1)', undefined, (c) => c.reply.integer(c.server.pubsub.patternCount)),
  sub('shardchannels', -2, 'Returns the active shard channels.', '7.0.0', 'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).', [optional(pattern())], channels(true)),
  sub('shardnumsub', -2, 'Returns the count of subscribers of shard channels.', '7.0.0', 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels', [str('shardchannel', { optional: true, multiple: true })], numsub(true)),
  sub('help', 2, 'Returns helpful text about the different subcommands.', '6.2.0', 'O(1)', undefined, (c) => replyHelp(c.reply, 'PUBSUB', PUBSUB_HELP), ['loading', 'stale']),
]);

export const pubsubCommands: CommandSpec[] = [
  command('subscribe', -2, FLAGS, NO_KEYS, ['@pubsub', '@slow'], { summary: 'Listens for messages published to channels.', since: '2.0.0', group: G, complexity: 'O(N) where N is the number of channels to subscribe to.', arguments: [str('channel', { multiple: true })] }, subscribe('channel', 'SUBSCRIBE')),
  command('unsubscribe', -1, FLAGS, NO_KEYS, ['@pubsub', '@slow'], { summary: 'Stops listening to messages posted to channels.', since: '2.0.0', group: G, complexity: 'O(N) where N is the number of channels to unsubscribe.', arguments: [str('channel', { optional: true, multiple: true })] }, unsubscribe('channel')),
  command('psubscribe', -2, FLAGS, NO_KEYS, ['@pubsub', '@slow'], { summary: 'Listens for messages published to channels that match one or more patterns.', since: '2.0.0', group: G, complexity: 'O(N) where N is the number of patterns to subscribe to.', arguments: [pattern('pattern', { multiple: true })] }, subscribe('pattern', 'PSUBSCRIBE')),
  command('punsubscribe', -1, FLAGS, NO_KEYS, ['@pubsub', '@slow'], { summary: 'Stops listening to messages published to channels that match one or more patterns.', since: '2.0.0', group: G, complexity: 'O(N) where N is the number of patterns to unsubscribe.', arguments: [pattern('pattern', { optional: true, multiple: true })] }, unsubscribe('pattern')),
  command('publish', 3, ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], NO_KEYS, ['@pubsub', '@fast'], { summary: 'Posts a message to a channel.', since: '2.0.0', group: G, complexity: 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).', arguments: [str('channel'), str('message')] }, publish(false)),
  command('ssubscribe', -2, FLAGS, SHARD_KEYS, ['@pubsub', '@slow'], { summary: 'Listens for messages published to shard channels.', since: '7.0.0', group: G, complexity: 'O(N) where N is the number of shard channels to subscribe to.', arguments: [str('shardchannel', { multiple: true })] }, subscribe('shard', 'SSUBSCRIBE')),
  command('sunsubscribe', -1, FLAGS, SHARD_KEYS, ['@pubsub', '@slow'], { summary: 'Stops listening to messages posted to shard channels.', since: '7.0.0', group: G, complexity: 'O(N) where N is the number of shard channels to unsubscribe.', arguments: [str('shardchannel', { optional: true, multiple: true })] }, unsubscribe('shard')),
  command('spublish', 3, ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], [1, 1, 1], ['@pubsub', '@fast'], { summary: 'Post a message to a shard channel', since: '7.0.0', group: G, complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.', arguments: [str('shardchannel'), str('message')] }, publish(true)),
  pubsubCommand,
];
