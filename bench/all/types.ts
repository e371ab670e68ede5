/**
 * The shape of bench/results/<date>-<machine>.json, written by `npm run bench` (issue 20) and read
 * back by the report writer (bench/report/markdown.ts), so a report can be rebuilt from a JSON.
 */
import type { DatasetResult } from '../engine/core.js';
import type { SnapshotRow } from '../persistence/snapshot.js';
import type { EqualRecallRow } from '../report/ratio.js';
import type { Cell } from '../server/cells.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  platform: string;
  /** File-name-safe label, from the host name unless --machine NAME is given. */
  slug: string;
}

export interface EngineDataset extends DatasetResult {
  source: { generator: string; seed: number | string; params: Record<string, number | string> };
  /** Rule (b): µs per searchKnn call on a tiny index at this dimension (the query copy). */
  hnswlibCallUs: number;
  /** vsetd / hnswlib at equal recall, hnswlib as measured (its copy cost included). */
  equal: EqualRecallRow[];
  /** The same with hnswlib's per-call copy cost subtracted from its QPS. */
  equalNoCopy: EqualRecallRow[];
  /** Rule (a): vsetd's recall against its own Q8 exact scan — the graph alone; not like for like. */
  graphAlone: EqualRecallRow[];
}

export interface Skip {
  what: string;
  why: string;
}

export interface VsimRow extends Cell {
  /** "0", "1", "2" (vsetd search threads), "default" or "other". */
  config: string;
  dim: number;
  round: number;
  /** Rule (d): a pool configuration whose lone query ran inline on the main thread. */
  mainThreadPath: boolean;
}

export interface InsertFigure {
  dim: number;
  n: number;
  perSec: number;
  cpuUsPerVadd: number;
  errors: number;
}

export interface ServerResult {
  server: string;
  features: { vset: boolean; ft: boolean };
  inserts: InsertFigure[];
  vsim: VsimRow[];
  ft: { n: number; hsetPerSec: number; rows: Cell[] } | null;
  smallSets: { sets: number; per: number; dim: number; vaddPerSec: number; vsimQps: number; errors: number } | null;
  snapshot: SnapshotRow[];
  skips: Skip[];
}

export interface Target {
  target: string;
  measured: string;
  /** null: not measured in this run (the note says why). */
  met: boolean | null;
  note: string;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  wallSeconds: number;
  machine: MachineInfo;
  command: string;
  /** The code measured (machine.ts codeVersion); absent in results written before it was recorded. */
  code?: string;
  settings: Record<string, number | string | number[]>;
  engine: EngineDataset[];
  server: ServerResult | null;
  against: { url: string; result: ServerResult } | null;
  targets: Target[];
  skips: Skip[];
}
