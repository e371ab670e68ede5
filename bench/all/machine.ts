/** What the report says about the machine: every chart and table carries it (issue 20). */
import { cpus, hostname, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { MachineInfo } from './types.js';

export function machineInfo(name?: string): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() has it
  }
  const slug = (name ?? hostname()).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'machine';
  return {
    cpu,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    slug,
  };
}

/** The one-line label under every chart and table: machine, cores, Node, and the data. */
export function label(m: MachineInfo, data: string): string {
  return `${m.cpu} · ${m.cores} cores · Node ${m.node} · ${data}`;
}

/**
 * The code a run measured (rule (e) of issue 20: every committed result is regenerated from the
 * code it describes): the checkout's commit, and whether tracked files differed from it when the
 * run started; null outside a git checkout.
 */
export function codeVersion(dir: string): string | null {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? `commit ${commit}` : `commit ${commit} with uncommitted changes`;
  } catch {
    return null;
  }
}
