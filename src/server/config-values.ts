/**
 * The value syntax shared by the config table (config.ts) and the options with a syntax of their
 * own (output-limits.ts): kept apart so those modules need not import each other.
 */

/** A bad option value or config line; the message is what CONFIG SET or start-up reports. */
export class ConfigError extends Error {}

/** Parses a redis.conf memory value (`100mb`, `1gb`, `512k`, `1024`) into bytes, or NaN. */
export function parseMemory(text: string): number {
  const m = /^(-?\d+)([a-z]*)$/i.exec(text.trim());
  if (!m) return NaN;
  const units: Record<string, number> = {
    '': 1, b: 1, k: 1000, kb: 1024, m: 1000 * 1000, mb: 1024 * 1024, g: 1000 ** 3, gb: 1024 ** 3,
  };
  const mul = units[m[2]!.toLowerCase()];
  if (mul === undefined) return NaN;
  return Number(m[1]) * mul;
}
