/**
 * Pub/Sub: who listens to which channel, pattern and shard channel, and delivery of published
 * messages. The commands live in src/commands/pubsub.ts; this is the state they share with the
 * server (disconnects, RESET, CLIENT KILL, INFO).
 *
 * The layout follows Redis's pubsub.c: a map channel → subscribers on the server and a set of
 * channels on each client, so SUBSCRIBE, UNSUBSCRIBE and a disconnect cost O(channels of that
 * client) and PUBLISH costs O(subscribers of the channel + patterns). Shard channels behave as in
 * a non-cluster Redis: a separate namespace that patterns never match.
 *
 * PUBLISH encodes a message once per protocol and copies those bytes into each subscriber's
 * reply buffer (large messages are referenced, not copied). Subscribers are flushed together once
 * the current batch of commands has run, so a publisher that pipelines a thousand messages costs
 * each subscriber one socket write, not a thousand.
 */
import { globMatch } from './config.js';
import type { Protocol } from './reply.js';
import type { Client } from './client.js';

/**
 * Commands a RESP2 client in pub/sub mode may still run: its connection carries messages as
 * arrays, so an ordinary reply could not be told from a message (RESP3 pushes have no limit).
 */
export const RESP2_PUBSUB_COMMANDS: ReadonlySet<string> = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** Channel names are binary-safe: kept as latin1 strings (one char per byte), as keys are. */
export type ChannelName = string;

export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

const WORDS = {
  subscribe: Buffer.from('subscribe'),
  unsubscribe: Buffer.from('unsubscribe'),
  psubscribe: Buffer.from('psubscribe'),
  punsubscribe: Buffer.from('punsubscribe'),
  ssubscribe: Buffer.from('ssubscribe'),
  sunsubscribe: Buffer.from('sunsubscribe'),
};

const SUBSCRIBE_WORD: Record<SubscriptionKind, Buffer> = { channel: WORDS.subscribe, pattern: WORDS.psubscribe, shard: WORDS.ssubscribe };
const UNSUBSCRIBE_WORD: Record<SubscriptionKind, Buffer> = { channel: WORDS.unsubscribe, pattern: WORDS.punsubscribe, shard: WORDS.sunsubscribe };

/** A client's subscriptions; each client owns one. */
export class ClientSubscriptions {
  readonly channels = new Set<ChannelName>();
  readonly patterns = new Set<ChannelName>();
  readonly shard = new Set<ChannelName>();

  of(kind: SubscriptionKind): Set<ChannelName> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shard;
  }

  /**
   * The count a (un)subscribe confirmation carries: channels plus patterns for the classic kinds,
   * shard channels alone for the shard kind (as Redis's subscriptionCount per pubsub type).
   */
  countFor(kind: SubscriptionKind): number {
    return kind === 'shard' ? this.shard.size : this.channels.size + this.patterns.size;
  }

  /** In pub/sub mode (flag P, type pubsub): subscribed to anything at all. */
  get active(): boolean {
    return this.channels.size + this.patterns.size + this.shard.size > 0;
  }
}

/** Encodes one message push: `*n` (RESP2) or `>n` (RESP3) and n bulk strings. */
function encodeFrame(protocol: Protocol, parts: readonly Uint8Array[]): Buffer {
  const heads = parts.map((p) => `$${p.length}\r\n`);
  let size = 1 + String(parts.length).length + 2;
  for (let i = 0; i < parts.length; i++) size += heads[i]!.length + parts[i]!.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(`${protocol === 3 ? '>' : '*'}${parts.length}\r\n`, 0, 'latin1');
  for (let i = 0; i < parts.length; i++) {
    at += out.write(heads[i]!, at, 'latin1');
    out.set(parts[i]!, at);
    at += parts[i]!.length;
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/** One message's bytes in each protocol, made on first use. */
class Frames {
  private resp2: Buffer | null = null;
  private resp3: Buffer | null = null;

  constructor(private readonly parts: readonly Uint8Array[]) {}

  for(protocol: Protocol): Buffer {
    if (protocol === 3) return (this.resp3 ??= encodeFrame(3, this.parts));
    return (this.resp2 ??= encodeFrame(2, this.parts));
  }
}

export interface PubSubHost {
  /** Called after bytes were queued for a subscriber: output buffer limits are checked here. */
  afterPush(c: Client): void;
}

const MESSAGE = Buffer.from('message');
const PMESSAGE = Buffer.from('pmessage');
const SMESSAGE = Buffer.from('smessage');

export class PubSub {
  private readonly channels = new Map<ChannelName, Set<Client>>();
  private readonly shardChannels = new Map<ChannelName, Set<Client>>();
  /** Pattern → its bytes (for matching) and subscribers. */
  private readonly patterns = new Map<ChannelName, { bytes: Buffer; clients: Set<Client> }>();
  private readonly toFlush = new Set<Client>();
  private flushScheduled = false;

  constructor(private readonly host: PubSubHost) {}

  /** Distinct channels with at least one subscriber (INFO pubsub_channels). */
  get channelCount(): number {
    return this.channels.size;
  }

  get patternCount(): number {
    return this.patterns.size;
  }

  get shardChannelCount(): number {
    return this.shardChannels.size;
  }

  private registry(kind: 'channel' | 'shard'): Map<ChannelName, Set<Client>> {
    return kind === 'channel' ? this.channels : this.shardChannels;
  }

  /** Subscribes `c` and sends the confirmation push; subscribing twice only confirms again. */
  subscribe(c: Client, kind: SubscriptionKind, name: Buffer): void {
    const key = name.toString('latin1');
    const mine = c.subscriptions.of(kind);
    if (!mine.has(key)) {
      mine.add(key);
      if (kind === 'pattern') {
        let entry = this.patterns.get(key);
        if (!entry) {
          entry = { bytes: Buffer.from(name), clients: new Set() };
          this.patterns.set(key, entry);
        }
        entry.clients.add(c);
      } else {
        const reg = this.registry(kind);
        let set = reg.get(key);
        if (!set) {
          set = new Set();
          reg.set(key, set);
        }
        set.add(c);
      }
    }
    this.confirm(c, SUBSCRIBE_WORD[kind], name, c.subscriptions.countFor(kind));
  }

  /**
   * Unsubscribes `c` from the named channels or patterns, or from all of its own of that kind when
   * `names` is empty. Each one gets a confirmation push; with nothing to unsubscribe from, one
   * confirmation with a null name is still sent, as Redis does.
   */
  unsubscribe(c: Client, kind: SubscriptionKind, names: readonly Buffer[]): void {
    if (names.length > 0) {
      for (const n of names) {
        this.remove(c, kind, n.toString('latin1'));
        this.confirm(c, UNSUBSCRIBE_WORD[kind], n, c.subscriptions.countFor(kind));
      }
      return;
    }
    const mine = [...c.subscriptions.of(kind)];
    for (const key of mine) {
      this.remove(c, kind, key);
      this.confirm(c, UNSUBSCRIBE_WORD[kind], Buffer.from(key, 'latin1'), c.subscriptions.countFor(kind));
    }
    if (mine.length === 0) this.confirm(c, UNSUBSCRIBE_WORD[kind], null, c.subscriptions.countFor(kind));
  }

  /** Drops every subscription of `c` without telling it (RESET, disconnect, CLIENT KILL). */
  dropAll(c: Client): void {
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      for (const key of [...c.subscriptions.of(kind)]) this.remove(c, kind, key);
    }
    this.toFlush.delete(c);
  }

  private remove(c: Client, kind: SubscriptionKind, key: ChannelName): void {
    if (!c.subscriptions.of(kind).delete(key)) return;
    if (kind === 'pattern') {
      const entry = this.patterns.get(key)!;
      entry.clients.delete(c);
      // An entry per name only while someone listens: PUBSUB CHANNELS and memory stay bounded.
      if (entry.clients.size === 0) this.patterns.delete(key);
      return;
    }
    const reg = this.registry(kind);
    const set = reg.get(key)!;
    set.delete(c);
    if (set.size === 0) reg.delete(key);
  }

  private confirm(c: Client, word: Buffer, name: Buffer | null, count: number): void {
    const r = c.reply;
    r.push(3);
    r.bulk(word);
    if (name === null) r.null();
    else r.bulk(name);
    r.integer(count);
  }

  /**
   * Delivers a message and returns the number of receivers: subscribers of the channel plus, for
   * a classic channel, one per matching pattern subscription (a client matching twice counts and
   * receives twice, as in Redis).
   */
  publish(channel: Buffer, message: Buffer, shard: boolean): number {
    const key = channel.toString('latin1');
    let receivers = 0;
    const subscribers = (shard ? this.shardChannels : this.channels).get(key);
    if (subscribers) {
      const frames = new Frames([shard ? SMESSAGE : MESSAGE, channel, message]);
      for (const c of subscribers) {
        this.deliver(c, frames);
        receivers++;
      }
    }
    if (shard) return receivers;
    for (const entry of this.patterns.values()) {
      if (!globMatch(entry.bytes, channel)) continue;
      const frames = new Frames([PMESSAGE, entry.bytes, channel, message]);
      for (const c of entry.clients) {
        this.deliver(c, frames);
        receivers++;
      }
    }
    return receivers;
  }

  private deliver(c: Client, frames: Frames): void {
    // A client that is closing still counts as a receiver (it is subscribed until it is gone),
    // but gets no more bytes.
    if (c.closing || c.closed) return;
    c.reply.raw(frames.for(c.protocol), 0);
    this.toFlush.add(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPending());
    }
    this.host.afterPush(c);
  }

  private flushPending(): void {
    this.flushScheduled = false;
    const clients = [...this.toFlush];
    this.toFlush.clear();
    for (const c of clients) if (!c.closed) c.flush();
  }

  /** Channel (or shard channel) names, optionally only those matching a glob pattern. */
  channelNames(shard: boolean, pattern: Buffer | null): Buffer[] {
    const out: Buffer[] = [];
    for (const key of (shard ? this.shardChannels : this.channels).keys()) {
      const name = Buffer.from(key, 'latin1');
      if (pattern === null || globMatch(pattern, name)) out.push(name);
    }
    return out;
  }

  subscriberCount(shard: boolean, channel: Buffer): number {
    return (shard ? this.shardChannels : this.channels).get(channel.toString('latin1'))?.size ?? 0;
  }
}
