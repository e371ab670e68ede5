/**
 * The snapshot-format file a start-up load reads first (Persistence.loadAtStartup): the AOF's base
 * file when the AOF is on and has a manifest, else the snapshot. Found from the config alone,
 * before the server's modules are loaded, so that main.ts can boot the load's helper thread while
 * they load (see image/check-helper.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../server/config.js';
import { aofDir, manifestPath, parseManifest } from './aof-manifest.js';

/** The file and its size; null when there is none (or the manifest cannot be read: the load will say why). */
export function startupImage(config: Config): { file: string; bytes: number } | null {
  try {
    let file: string;
    if (config.bool('appendonly') && fs.existsSync(manifestPath(config))) {
      const base = parseManifest(fs.readFileSync(manifestPath(config), 'utf8')).find((e) => e.type === 'b');
      if (base === undefined) return null;
      file = path.join(aofDir(config), base.file);
    } else {
      file = path.resolve(config.get('dir'), config.get('dbfilename'));
    }
    return { file, bytes: fs.statSync(file).size };
  } catch {
    return null;
  }
}
