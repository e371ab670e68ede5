/**
 * Waiting on a condition instead of sleeping: polls `check` until it returns a value other than
 * undefined/false, and fails loudly, naming what was awaited, if that takes longer than `limitMs`
 * (a bound for a hung server, not a performance target).
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, limitMs = 30_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One `field:value` line of an INFO reply. */
export function infoField(info: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  if (!m) throw new Error(`INFO has no field ${field}`);
  return m[1]!.trim();
}
