// The spool's record format: a length, a CRC32 and the body, so a record torn by a crash in
// the middle of a write is recognised on reopen instead of being uploaded.
//
//   ┌────────────┬────────────┬──────────── body ───────────────────────────┐
//   │ u32 length │ u32 crc32  │ f64 seq │ u8 flags │ payload (UTF-8 JSON)   │
//   └────────────┴────────────┴─────────┴──────────┴────────────────────────┘
//   little-endian; `length` and `crc32` cover the body. The payload is the event exactly as it
//   goes on the wire: {"type":…,"data":…,"time":…}, so a batch is built without re-serialising.
import * as zlib from 'node:zlib';

export const RECORD_HEADER_BYTES = 8;
const BODY_PREFIX_BYTES = 9;
/** No real record comes near this; a larger length is garbage from a torn write. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export const RecordFlags = {
  /** The build's last event (`finish()`): its batch carries `final: true`. */
  final: 1,
} as const;

export interface SpoolRecord {
  readonly seq: number;
  readonly final: boolean;
  /** The event's wire JSON. */
  readonly payload: Buffer;
}

export type DecodeResult =
  | { readonly kind: 'record'; readonly record: SpoolRecord; readonly bytes: number }
  /** Fewer bytes than a whole record: the file ends mid-record, or more must be read. */
  | { readonly kind: 'partial' }
  /** The bytes are there but are not a record: a torn or damaged write. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** The record's bytes; a string payload is encoded straight into them (no buffer of its own). */
export function encodeRecord(seq: number, final: boolean, payload: Buffer | string): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + BODY_PREFIX_BYTES + length);
  out.writeUInt32LE(BODY_PREFIX_BYTES + length, 0);
  out.writeDoubleLE(seq, 8);
  out.writeUInt8(final ? RecordFlags.final : 0, 16);
  if (typeof payload === 'string') out.write(payload, RECORD_HEADER_BYTES + BODY_PREFIX_BYTES, 'utf8');
  else payload.copy(out, RECORD_HEADER_BYTES + BODY_PREFIX_BYTES);
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER_BYTES)), 4);
  return out;
}

/** The payload inside a record's bytes (a view, not a copy). */
export function recordPayload(bytes: Buffer): Buffer {
  return bytes.subarray(RECORD_HEADER_BYTES + BODY_PREFIX_BYTES);
}

/** Decodes the record starting at `offset` of `buffer`. */
export function decodeRecord(buffer: Buffer, offset: number): DecodeResult {
  if (buffer.length - offset < RECORD_HEADER_BYTES) return { kind: 'partial' };
  const length = buffer.readUInt32LE(offset);
  if (length < BODY_PREFIX_BYTES || length > MAX_RECORD_BYTES) return { kind: 'invalid', reason: `impossible record length ${length}` };
  if (buffer.length - offset < RECORD_HEADER_BYTES + length) return { kind: 'partial' };
  const body = buffer.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return { kind: 'invalid', reason: 'CRC32 mismatch' };
  const seq = body.readDoubleLE(0);
  if (!Number.isSafeInteger(seq) || seq < 1) return { kind: 'invalid', reason: `impossible seq ${seq}` };
  const flags = body.readUInt8(8);
  return {
    kind: 'record',
    record: { seq, final: (flags & RecordFlags.final) !== 0, payload: body.subarray(BODY_PREFIX_BYTES) },
    bytes: RECORD_HEADER_BYTES + length,
  };
}

/** Bytes a record of `payloadBytes` takes in a segment. */
export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + BODY_PREFIX_BYTES + payloadBytes;
}

// zlib.crc32 arrived in Node 20.15 / 22.2; the table version keeps older Node 20s working.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
let table: Uint32Array | undefined;

export function crc32(data: Uint8Array): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(data) >>> 0;
  table ??= makeTable();
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
