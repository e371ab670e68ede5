// The complete check of a set's buffers (SetCheck): CheckState (state, scratch, heap claims) ->
// RecordsCheck (header, node records, free lists, projection) -> SetCheck (links, reachability).
// checkGraph (image.ts) runs the passes in order.

import { CheckHelper, HELPER_ALWAYS, HELPER_MIN_NODES, type CheckJobMessage } from './check-helper.js';
import { checkLinks, finishReachability, fmix32, threadScratchBytes } from './link-check.js';
import { loadHelper } from './load-scope.js';
import { combine, RecordsCheck } from './records-check.js';
import { COUNT_MASK, EMPTY_LINK, F, R, randomWords } from '../hnsw/layout.js';

/**
 * The complete check of a set's buffers, as callers make it (vset/index.ts) and the element
 * checks in vset/elements.ts take it: the header, records, free lists and projection of
 * RecordsCheck, and here the links and reachability. `image` mode checks bytes to be loaded (the
 * records must end exactly at the high-water mark); live mode checks a set in use (its buffers
 * are longer than what is used).
 */
export class SetCheck extends RecordsCheck {
  /**
   * Links: bounds, liveness, levels, self links, duplicates, reciprocity. The fast pass decides
   * (link-check.ts, possibly on the helper thread since `startLinks`); only when it finds a fault
   * does the detailed pass (`linksDetailed`) run, to name the culprit.
   */
  links(): boolean {
    if (this.linksFast()) return true;
    if (this.linksDetailed()) this.fail('links are not reciprocated (found by the edge checksum)');
    return false;
  }

  /** Level-0 reachability marks from the fast pass, for `reachability`; null until it passed. */
  private reached: Int32Array | null = null;
  /**
   * The link check shared with the helper thread, if any (startLinks): one job over every level,
   * or a streaming level-0 job (streamLinkCheck) and an upper-level job, each with its cursor.
   */
  private linkJobs: { salt: Uint32Array; parts: Array<{ job: CheckJobMessage; helper: CheckHelper }> } | null = null;

  /**
   * After `records`: starts the load's helper thread on the link check when there is one and the
   * image is large enough (the upper levels only when it has been checking level 0 since the
   * records were read); `links` joins in and collects. The checks run meanwhile only read.
   */
  startLinks(): void {
    const img = this.linkImage();
    const l0 = this.level0;
    const cm = this.checkMemory;
    if (l0 !== null) {
      // Level 0 was checked with the records. Over a check memory the helper has the upper
      // levels already (recordsFast); else it shares them with us.
      if (cm !== null) return;
      const upper = l0.helper.submit(img, this.reachedFor(1), l0.salt, { cursor: new Int32Array(new SharedArrayBuffer(4)), levels: 'upper' });
      this.linkJobs = { salt: l0.salt, parts: [{ job: upper, helper: l0.helper }] };
      return;
    }
    if (loadHelper === null || this.hw < HELPER_MIN_NODES || !CheckHelper.canShare(img)) return;
    const salt = randomWords(4);
    const levels = cm !== null ? 'zero' : 'all';
    const job = loadHelper.submit(img, this.reachedFor(1), salt, { cursor: new Int32Array(new SharedArrayBuffer(4)), levels });
    this.linkJobs = { salt, parts: [{ job, helper: loadHelper }] };
  }

  /** The fast pass (link-check.ts); true when every link holds. */
  private linksFast(): boolean {
    const out = new Int32Array(3);
    const img = this.linkImage();
    const jobs = this.linkJobs;
    this.linkJobs = null;
    const l0 = this.level0;
    this.level0 = null;
    const cm = this.checkMemory;
    const part = new Int32Array(3);
    if (l0 !== null) {
      // Level 0 is done (recordsFast); the upper levels in WebAssembly, with the helper, or alone.
      out.set(l0.out);
      let upperDone = false;
      const upperJob = this.upperJob;
      this.upperJob = null;
      if (upperJob !== null && HELPER_ALWAYS) l0.helper.awaitPickup(upperJob);
      if (upperJob !== null && l0.helper.await(upperJob) && upperJob.status[3] >= 0) {
        part.set(upperJob.status.subarray(1, 4));
        combine(out, part);
        upperDone = true;
      } else if (cm !== null && (upperJob === null || l0.helper.settled(upperJob))) {
        // (Not while a job the helper began and never finished may use the memory's scratch.)
        cm.upperLinks(F.LIVE, l0.salt, part);
        combine(out, part);
        upperDone = true;
      } else if (jobs !== null) {
        const { job, helper } = jobs.parts[0];
        if (HELPER_ALWAYS) helper.awaitFirstShare(job);
        const both = new Int32Array(3);
        checkLinks(img, l0.reached, l0.salt, both, { cursor: job.pass.cursor, levels: 'upper' });
        if (helper.finish(job, part)) {
          combine(both, part);
          combine(out, both);
          upperDone = true;
        }
      }
      if (!upperDone) {
        checkLinks(img, l0.reached, l0.salt, part, { levels: 'upper' });
        combine(out, part);
      }
      if (out[2] !== 1 || (out[0] | out[1]) !== 0) return false;
      this.reached = l0.reached;
      return true;
    }
    // With a check memory the JS passes take level 0 only; its upper levels come after.
    const levels = cm !== null ? 'zero' : 'all';
    let salt = jobs?.salt ?? randomWords(4);
    let reached: Int32Array | null = null;
    if (jobs !== null) {
      // This thread's share of each part (the chunks the helper has not taken), then the helper's.
      const mine = this.reachedFor(0);
      let delivered = true;
      out[2] = 1;
      for (const { job, helper } of jobs.parts) {
        if (HELPER_ALWAYS) helper.awaitFirstShare(job);
        checkLinks(img, mine, jobs.salt, part, { cursor: job.pass.cursor, levels: job.pass.levels });
        combine(out, part);
      }
      for (const { job, helper } of jobs.parts) {
        if (!helper.finish(job, part)) delivered = false;
        combine(out, part);
      }
      if (delivered) {
        const theirs = jobs.parts[0].job.reached;
        for (let i = 0; i < mine.length; i++) mine[i] |= theirs[i];
        reached = mine;
      }
    }
    if (reached === null) {
      // Alone (no helper, or it failed: start over on zeroed scratch).
      reached = this.reachedFor(0);
      reached.fill(0);
      if (this.scratch !== null) new Int32Array(reached.buffer, reached.byteOffset + reached.byteLength, threadScratchBytes(this.hw, this.M) / 4 - reached.length).fill(0);
      salt = randomWords(4);
      checkLinks(img, reached, salt, out, { levels, exact: true });
    }
    if (cm !== null) {
      cm.upperLinks(F.LIVE, salt, part);
      combine(out, part);
    }
    if (out[2] !== 1 || (out[0] | out[1]) !== 0) return false;
    this.reached = reached;
    return true;
  }

  /** The per-node check: slower (a cache miss per link), but it names what is wrong. */
  private linksDetailed(): boolean {
    const { i32, hi32 } = this.v;
    const hw = this.hw;
    const M = this.M;
    const lvl = this.lvl;
    // One 8-word record per node so that a link costs one random memory access:
    // [level or -1, duplicate stamp, D lane 1, D lane 2, f(node, 0) lane 1, f(node, 0) lane 2].
    const info = new Int32Array(hw * 8);
    const salt = randomWords(4);
    const s0 = salt[0] | 0;
    const s1 = salt[1] | 1;
    const s2 = salt[2] | 0;
    const s3 = salt[3] | 0;
    for (let x = 0; x < hw; x++) {
      const o = x << 3;
      info[o] = lvl[x];
      info[o + 4] = fmix32((x + s0) ^ s1);
      info[o + 5] = fmix32(Math.imul(x ^ s2, 0x9e3779b1) + s3);
    }
    let stamp = 0;
    for (let s = 0; s < hw; s++) {
      const level = lvl[s];
      if (level < 0) continue;
      const rec = this.recOff(s);
      const so = s << 3;
      for (let l = 0; l <= level; l++) {
        let words: Int32Array;
        let base: number;
        let n: number;
        let fs1: number;
        let fs2: number;
        if (l === 0) {
          words = i32;
          base = (rec + this.linkOff) >>> 2;
          n = i32[rec >>> 2] & COUNT_MASK;
          fs1 = info[so + 4];
          fs2 = info[so + 5];
        } else {
          words = hi32;
          base = (i32[(rec + R.UPPER) >>> 2] >>> 2) + (l - 1) * M;
          n = 0;
          while (n < M && words[base + n] !== EMPTY_LINK) n++;
          fs1 = fmix32((s + s0) ^ Math.imul(l + 1, s1));
          fs2 = fmix32(Math.imul(s ^ s2, 0x9e3779b1) + l + s3);
        }
        stamp++;
        for (let j = 0; j < n; j++) {
          const t = words[base + j];
          const to = t << 3;
          let bad: string | null = null;
          if (!(t >= 0 && t < hw)) bad = `link to ${t} out of bounds`;
          else if (t === s) bad = 'link to itself';
          else if (info[to] < 0) bad = `link to ${t}, which is not live`;
          else if (info[to] < l) bad = `link to ${t}, which has no level ${l}`;
          else if (info[to + 1] === stamp) bad = `duplicate link to ${t}`;
          if (bad !== null) {
            if (!this.fail(`node ${s} level ${l}: ${bad}`)) return false;
            continue;
          }
          info[to + 1] = stamp;
          if (l === 0) {
            info[so + 2] ^= info[to + 4];
            info[so + 3] ^= info[to + 5];
          } else {
            info[so + 2] ^= fmix32((t + s0) ^ Math.imul(l + 1, s1));
            info[so + 3] ^= fmix32(Math.imul(t ^ s2, 0x9e3779b1) + l + s3);
          }
          info[to + 2] ^= fs1;
          info[to + 3] ^= fs2;
        }
      }
    }
    if (!this.ok) return false;
    let mismatched = 0;
    // Naming the culprits costs O(links²) per node: spend a bounded amount of work on it.
    this.work = 0;
    for (let s = 0; s < hw; s++) {
      if ((info[(s << 3) + 2] | info[(s << 3) + 3]) === 0) continue;
      mismatched++;
      if (this.work > 20_000_000) continue;
      const culprit = this.oneWayLink(s);
      if (culprit !== null && !this.fail(culprit)) return false;
    }
    if (mismatched > 0 && this.ok) this.fail(`links of ${mismatched} node(s) are not reciprocated`);
    return this.ok;
  }

  /** The first link of `s` that is not reciprocated, as a message (slow; error path only). */
  private oneWayLink(s: number): string | null {
    const level = this.lvl[s];
    for (let l = 0; l <= level; l++) {
      for (const t of this.list(s, l)) {
        const back = this.list(t, l);
        this.work += back.length;
        if (!back.includes(s)) return `node ${s} level ${l}: link to ${t} is not reciprocated`;
      }
    }
    return null;
  }
  private work = 0;

  /** A node's links at a level (already checked to be well formed). */
  list(s: number, l: number): number[] {
    const { i32, hi32 } = this.v;
    const rec = this.recOff(s);
    const out: number[] = [];
    if (l === 0) {
      const n = i32[rec >>> 2] & COUNT_MASK;
      const base = (rec + this.linkOff) >>> 2;
      for (let j = 0; j < n; j++) out.push(i32[base + j]);
    } else {
      const base = (i32[(rec + R.UPPER) >>> 2] >>> 2) + (l - 1) * this.M;
      for (let j = 0; j < this.M && hi32[base + j] !== EMPTY_LINK; j++) out.push(hi32[base + j]);
    }
    return out;
  }

  /** Entry point live on the top level; every live node reachable from it on level 0. */
  reachability(): boolean {
    const lvl = this.lvl;
    if (this.count === 0) {
      if (this.entry !== -1 || this.maxLevel !== 0) return !this.fail(`empty set with entry point ${this.entry}, max level ${this.maxLevel}`);
      return true;
    }
    const entry = this.entry;
    if (entry < 0 || lvl[entry] < 0) return !this.fail(`entry point ${entry} is not a live node`);
    if (lvl[entry] !== this.maxLevel) return !this.fail(`max level ${this.maxLevel} but the entry point has level ${lvl[entry]}`);
    const unreachable = this.unreachable(entry);
    if (unreachable !== 0) return !this.fail(`${unreachable} live node(s) unreachable from the entry point on level 0`);
    return true;
  }

  /**
   * Live nodes not reachable from the entry point on level 0: the helper's walk when it ran one,
   * else the walk finishing the link check's marks, else a breadth-first search.
   */
  private unreachable(entry: number): number {
    const walked = this.collectWalk(HELPER_ALWAYS);
    if (walked !== null) return walked;
    if (this.reached !== null) return finishReachability(this.linkImage(), this.reached);
    const i32 = this.v.i32;
    const hw = this.hw;
    const seen = new Uint8Array(hw);
    const queue = new Int32Array(this.count);
    let head = 0;
    let tail = 0;
    seen[entry] = 1;
    queue[tail++] = entry;
    while (head < tail) {
      const rec = this.recOff(queue[head++]);
      const n = i32[rec >>> 2] & COUNT_MASK;
      const base = (rec + this.linkOff) >>> 2;
      for (let j = 0; j < n; j++) {
        const t = i32[base + j];
        if (seen[t]) continue;
        seen[t] = 1;
        queue[tail++] = t;
      }
    }
    return this.count - tail;
  }
}
