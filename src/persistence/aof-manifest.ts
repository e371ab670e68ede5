/**
 * The AOF manifest's format (aof.ts): one line per file, `file NAME seq N type b|i`. Its own
 * module, without the AOF's dependencies, so that start-up can find the base file before the
 * server's modules are loaded (startup-image.ts).
 */
import path from 'node:path';
import type { Config } from '../server/config.js';

export interface ManifestEntry {
  file: string;
  seq: number;
  type: 'b' | 'i';
}

export class AofLoadError extends Error {}

export function parseManifest(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const words = t.split(/\s+/);
    const entry: Partial<ManifestEntry> = {};
    for (let i = 0; i + 1 < words.length; i += 2) {
      const k = words[i];
      const v = words[i + 1]!;
      if (k === 'file') entry.file = v;
      else if (k === 'seq') entry.seq = Number(v);
      else if (k === 'type') {
        if (v !== 'b' && v !== 'i') throw new AofLoadError(`Invalid AOF manifest line: '${t}' (unknown file type ${v})`);
        entry.type = v;
      }
    }
    if (!entry.file || entry.file.includes('/') || !Number.isInteger(entry.seq) || !entry.type) {
      throw new AofLoadError(`Invalid AOF manifest line: '${t}'`);
    }
    out.push(entry as ManifestEntry);
  }
  if (out.filter((e) => e.type === 'b').length > 1) throw new AofLoadError('Invalid AOF manifest: more than one base file');
  return out;
}

/** The AOF's directory (appenddirname inside dir). */
export function aofDir(config: Config): string {
  return path.resolve(config.get('dir'), config.get('appenddirname'));
}

export function manifestPath(config: Config): string {
  return path.join(aofDir(config), `${config.get('appendfilename')}.manifest`);
}
