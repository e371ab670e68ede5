// Checksums of a records image that is read in pieces (a streamed snapshot load, see streamed-load.ts,
// streamLinkCheck): the load's helper thread takes the checksum of each piece once it is read
// (the image digest of image-digest.ts, or the CRC-32 for a file in the format before it),
// between its chunks of node checks, so the loading thread only reads. Either thread may take a
// piece (a compare-and-swap on its state), so a helper that stops early or never starts costs
// nothing but the time the loading thread then spends on those pieces itself. The file's
// checksums are still compared where they were (the reader folds the pieces' CRCs in order),
// before anything from the record is used.

import zlib from 'node:zlib';
import { digestInMemory, IMAGE_RECORDS } from './image-digest.js';
import type { WasmMemory } from '../hnsw/platform.js';

/** A piece's state after 0, not read yet: read, being checksummed, done. */
const READ = 1;
const TAKEN = 2;
const DONE = 3;

/** How long the loading thread waits for a piece the helper took before checksumming it itself. */
const WAIT_MS = 60_000;

/** Shared between the two threads (posted with the helper's job). */
export interface PieceCrcs {
  /** Per piece: its state, then (DONE) its CRC-32 in `crcs`, or its two digest words at 2k. */
  state: Int32Array;
  crcs: Int32Array;
  /** The image, and the bytes per piece (the last one may be shorter). */
  image: Uint8Array;
  pieceBytes: number;
  /**
   * Digest the pieces (image-digest.ts) instead: `image` lies in `memory`, and its first byte is
   * byte `at` of the records image (pieceBytes and `at` multiples of DIGEST_BLOCK).
   */
  digest?: { memory: WasmMemory; at: number };
}

export function pieceCrcs(image: Uint8Array, pieceBytes: number, digest?: PieceCrcs['digest']): PieceCrcs {
  const n = Math.ceil(image.byteLength / pieceBytes);
  const words = digest === undefined ? n : 2 * n;
  return { state: new Int32Array(new SharedArrayBuffer(n * 4)), crcs: new Int32Array(new SharedArrayBuffer(words * 4)), image, pieceBytes, digest };
}

/** Piece k's checksum into its words of `out` (`crcs`, or a copy of it). */
function checksum(p: PieceCrcs, k: number, out: Int32Array): void {
  const bytes = piece(p, k);
  if (p.digest === undefined) {
    out[k] = zlib.crc32(bytes);
    return;
  }
  const words = out.subarray(2 * k, 2 * k + 2);
  words.fill(0);
  digestInMemory(p.digest.memory, bytes.byteOffset, bytes.byteLength, p.digest.at + k * p.pieceBytes, IMAGE_RECORDS, words);
}

function piece(p: PieceCrcs, k: number): Uint8Array {
  return p.image.subarray(k * p.pieceBytes, Math.min(p.image.byteLength, (k + 1) * p.pieceBytes));
}

/** The loading thread read the first `n` pieces (those it reported before keep their state). */
export function piecesRead(p: PieceCrcs, n: number): void {
  for (let k = 0; k < n && k < p.state.length; k++) Atomics.compareExchange(p.state, k, 0, READ);
}

/** Checksums every piece read and not taken (either thread). */
export function takeReadPieces(p: PieceCrcs): void {
  const { state } = p;
  for (let k = 0; k < state.length; k++) {
    if (Atomics.load(state, k) !== READ || Atomics.compareExchange(state, k, READ, TAKEN) !== READ) continue;
    checksum(p, k, p.crcs);
    Atomics.store(state, k, DONE);
    Atomics.notify(state, k);
  }
}

/**
 * On the loading thread once every piece is read: checksums what the helper has not taken, waits
 * for what it has (or, when `helperGone` says it will not finish, checksums those too) and
 * returns each piece's CRC-32 and length in order.
 */
export function collectPieces(p: PieceCrcs, helperGone: () => boolean): Array<[crc: number, bytes: number]> {
  if (p.digest !== undefined) throw new Error('digested pieces are collected with collectDigest');
  const crcs = awaitPieces(p, helperGone);
  return Array.from(p.state, (_, k) => [crcs[k] >>> 0, piece(p, k).byteLength]);
}

/** collectPieces for digested pieces: the sum of their digests, added to `sum`. */
export function collectDigest(p: PieceCrcs, helperGone: () => boolean, sum: Int32Array): void {
  if (p.digest === undefined) throw new Error('CRC-32 pieces are collected with collectPieces');
  const words = awaitPieces(p, helperGone);
  for (let k = 0; k < p.state.length; k++) {
    sum[0] = (sum[0] + words[2 * k]) | 0;
    sum[1] = (sum[1] + words[2 * k + 1]) | 0;
  }
}

/**
 * The pieces' checksums once each is DONE: checksums those not taken, waits for those taken, and
 * redoes (into the copy returned, which a late helper cannot write) any the helper left unfinished.
 */
function awaitPieces(p: PieceCrcs, helperGone: () => boolean): Int32Array {
  takeReadPieces(p);
  const { state } = p;
  const out = new Int32Array(p.crcs.length);
  const w = p.digest === undefined ? 1 : 2;
  for (let k = 0; k < state.length; k++) {
    const deadline = Date.now() + WAIT_MS;
    while (Atomics.load(state, k) === TAKEN && !helperGone() && Date.now() < deadline) Atomics.wait(state, k, TAKEN, 5);
    // DONE is stored after the words, so they are complete here.
    if (Atomics.load(state, k) === DONE) out.set(p.crcs.subarray(w * k, w * k + w), w * k);
    else checksum(p, k, out);
  }
  return out;
}
