// Checksums of a records image that is read in pieces (a streamed snapshot load, see image.ts
// streamLinkCheck): the load's helper thread takes the CRC-32 of each piece once it is read,
// between its chunks of node checks, so the loading thread only reads. Either thread may take a
// piece (a compare-and-swap on its state), so a helper that stops early or never starts costs
// nothing but the time the loading thread then spends on those pieces itself. The file's
// checksums are still compared where they were (the reader folds the pieces' CRCs in order),
// before anything from the record is used.

import zlib from 'node:zlib';

/** A piece's state after 0, not read yet: read, being checksummed, done. */
const READ = 1;
const TAKEN = 2;
const DONE = 3;

/** How long the loading thread waits for a piece the helper took before checksumming it itself. */
const WAIT_MS = 60_000;

/** Shared between the two threads (posted with the helper's job). */
export interface PieceCrcs {
  /** Per piece: its state, then (DONE) its CRC-32 in `crcs`. */
  state: Int32Array;
  crcs: Int32Array;
  /** The image, and the bytes per piece (the last one may be shorter). */
  image: Uint8Array;
  pieceBytes: number;
}

export function pieceCrcs(image: Uint8Array, pieceBytes: number): PieceCrcs {
  const n = Math.ceil(image.byteLength / pieceBytes);
  return { state: new Int32Array(new SharedArrayBuffer(n * 4)), crcs: new Int32Array(new SharedArrayBuffer(n * 4)), image, pieceBytes };
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
  const { state, crcs } = p;
  for (let k = 0; k < state.length; k++) {
    if (Atomics.load(state, k) !== READ || Atomics.compareExchange(state, k, READ, TAKEN) !== READ) continue;
    crcs[k] = zlib.crc32(piece(p, k));
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
  takeReadPieces(p);
  const { state, crcs } = p;
  const out: Array<[number, number]> = [];
  for (let k = 0; k < state.length; k++) {
    const deadline = Date.now() + WAIT_MS;
    while (Atomics.load(state, k) === TAKEN && !helperGone() && Date.now() < deadline) Atomics.wait(state, k, TAKEN, 5);
    const bytes = piece(p, k);
    const crc = Atomics.load(state, k) === DONE ? crcs[k] >>> 0 : zlib.crc32(bytes);
    out.push([crc, bytes.byteLength]);
  }
  return out;
}
