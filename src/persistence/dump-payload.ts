// DUMP / RESTORE payloads: one value in the codecs' formats, as snapshot records hold it, with a
// check of their own (snapshot.ts writes and reads whole datasets).
import type { KeyValue } from '../keyspace/value.js';
import { BinaryReader, BinaryWriter, CorruptDataError, crc32 } from './binary.js';
import { codecForId, decodeValue, type CapturedValue } from './codecs.js';

/**
 * DUMP payload: u8 type, value bytes, u16 format version, u64 CRC-64-like check (here: two CRC-32s
 * over the body and its reverse, which detect the same damage for our purposes). Redis clients
 * treat the payload as opaque bytes; only vsetd reads it back.
 */
const DUMP_VERSION = 1;

export function encodeDump(captured: CapturedValue, typeId: number): Buffer {
  // The value in a writer of its own: a vector set's digested images end it (see digested).
  const value = new BinaryWriter();
  captured.encode(value);
  const body = Buffer.concat([Buffer.from([typeId]), ...value.finish(), new BinaryWriter().u32(DUMP_VERSION).toBuffer()]);
  const check = Buffer.alloc(8);
  check.writeUInt32LE(crc32(body), 0);
  check.writeUInt32LE(crc32(Buffer.from(body).reverse()), 4);
  return Buffer.concat([body, check]);
}

export class DumpPayloadError extends Error {}

export function decodeDump(payload: Uint8Array, skipChecksum = false): KeyValue {
  if (payload.length < 1 + 4 + 8) throw new DumpPayloadError('ERR DUMP payload version or checksum are wrong');
  const body = payload.subarray(0, payload.length - 8);
  const check = Buffer.from(payload.buffer, payload.byteOffset + payload.length - 8, 8);
  const version = Buffer.from(body.buffer, body.byteOffset + body.length - 4, 4).readUInt32LE(0);
  const checksumOk = skipChecksum || (check.readUInt32LE(0) === crc32(body) && check.readUInt32LE(4) === crc32(Buffer.from(body).reverse()));
  if (version !== DUMP_VERSION || !checksumOk) {
    throw new DumpPayloadError('ERR DUMP payload version or checksum are wrong');
  }
  const r = new BinaryReader(body, 0, body.length - 4);
  const codec = codecForId(r.u8('type'));
  if (!codec) throw new DumpPayloadError('ERR Bad data format');
  let value: KeyValue;
  try {
    value = decodeValue(codec, r);
  } catch (e) {
    if (e instanceof CorruptDataError) throw new DumpPayloadError('ERR Bad data format');
    throw e;
  }
  if (r.remaining !== 0) {
    value.release?.();
    throw new DumpPayloadError('ERR Bad data format');
  }
  return value;
}
