// The server that tests spawn and users run (dist/src/main.js) is the bundle scripts/bundle.mjs
// writes: its entry and worker files import only Node's built-in modules and the entry's own
// chunks (the command-line tools' chunk, and the experimental piscina pool's, also the runtime
// dependencies, which npm ci installs and a default server start never loads), and running the
// bundler again (without tsc in between) leaves them as they are.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const runtimeDeps = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});

/** The specifiers of a bundle's static and dynamic imports. */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)|^import\s*"([^"]+)"/gm)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

describe('bundled server', () => {
  test('main.js imports only built-ins and its own chunks, which exist', () => {
    const main = path.join(dist, 'src/main.js');
    const specs = imports(main);
    const local = specs.filter((s) => !s.startsWith('node:'));
    expect(local.length).toBeGreaterThan(0);
    for (const s of local) {
      expect(s).toMatch(/^\.\/(chunk|serve|cli|metrics|search-pool-piscina)-[A-Z0-9]+\.js$/);
      expect(fs.existsSync(path.join(dist, 'src', s))).toBe(true);
      const tools = s.startsWith('./cli-') || s.startsWith('./search-pool-piscina-');
      for (const inner of imports(path.join(dist, 'src', s))) {
        if (tools && runtimeDeps.includes(inner)) continue;
        expect(inner).toMatch(/^(node:|\.\/(chunk|serve|cli|metrics|search-pool-piscina)-[A-Z0-9]+\.js$)/);
      }
    }
  });

  test('each worker is one file that imports only built-ins', () => {
    for (const w of ['search-worker.js', 'check-worker.js']) {
      const specs = imports(path.join(dist, 'workers', w));
      expect(specs.length).toBeGreaterThan(0);
      for (const s of specs) expect(s).toMatch(/^node:/);
    }
  });

  test('bundling again without a fresh tsc output changes nothing', () => {
    const files = ['src/main.js', 'workers/search-worker.js', 'workers/check-worker.js'].map((f) => path.join(dist, f));
    const before = files.map((f) => fs.readFileSync(f));
    execFileSync(process.execPath, [path.join(root, 'scripts/bundle.mjs')], { cwd: root });
    files.forEach((f, i) => expect(fs.readFileSync(f).equals(before[i]!)).toBe(true));
    for (const s of imports(files[0]!).filter((x) => !x.startsWith('node:'))) expect(fs.existsSync(path.join(dist, 'src', s))).toBe(true);
  });
});
