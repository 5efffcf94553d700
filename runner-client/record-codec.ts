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

/**
 * Records of small events are encoded back to back into a shared slab, like Buffer's own pool
 * but larger and without gaps: no buffer of their own, no `Buffer.byteLength` pass over the
 * payload before it is written, and a burst of records lies contiguous in memory, so the
 * spool writer sends it to the file without copying it into one buffer first.
 */
export const RECORD_SLAB_BYTES = 256 * 1024;
/** Larger payloads get a buffer of their own (a slab holds at least 16 of the largest). */
const SLAB_MAX_PAYLOAD_CHARS = RECORD_SLAB_BYTES / 16 / 3;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/** The record's bytes; a string payload is encoded straight into them (no buffer of its own). */
export function encodeRecord(seq: number, final: boolean, payload: Buffer | string): Buffer {
  let out: Buffer;
  if (typeof payload === 'string' && payload.length <= SLAB_MAX_PAYLOAD_CHARS) {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: reserve that much, keep what was written.
    if (slabUsed + RECORD_HEADER_BYTES + BODY_PREFIX_BYTES + payload.length * 3 > slab.length) {
      slab = Buffer.allocUnsafeSlow(RECORD_SLAB_BYTES);
      slabUsed = 0;
    }
    const start = slabUsed;
    const length = slab.write(payload, start + RECORD_HEADER_BYTES + BODY_PREFIX_BYTES, 'utf8');
    out = slab.subarray(start, start + RECORD_HEADER_BYTES + BODY_PREFIX_BYTES + length);
    slabUsed += out.length;
  } else {
    const length = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
    out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + BODY_PREFIX_BYTES + length);
    if (typeof payload === 'string') out.write(payload, RECORD_HEADER_BYTES + BODY_PREFIX_BYTES, 'utf8');
    else payload.copy(out, RECORD_HEADER_BYTES + BODY_PREFIX_BYTES);
  }
  out.writeUInt32LE(out.length - RECORD_HEADER_BYTES, 0);
  out.writeDoubleLE(seq, 8);
  out[16] = final ? RecordFlags.final : 0;
  out.writeUInt32LE(crc32Range(out, RECORD_HEADER_BYTES, out.length), 4);
  return out;
}

/** Whether a record's bytes say it is the build's final one (the flags byte of its body). */
export function recordIsFinal(bytes: Buffer): boolean {
  return (bytes[RECORD_HEADER_BYTES + 8]! & RecordFlags.final) !== 0;
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
  if (crc32Range(buffer, offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length) !== buffer.readUInt32LE(offset + 4)) return { kind: 'invalid', reason: 'CRC32 mismatch' };
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
/**
 * Below this many bytes the JS slice-by-8 CRC beats a call into zlib: a record of a typical
 * event (~200 bytes) costs about half as much, and needs no Buffer view to hand over.
 */
const JS_CRC_MAX_BYTES = 1024;
/** Slice-by-8 tables: `TABLES[k·256 + b]` is the CRC of byte b followed by k zero bytes. */
let tables: Int32Array | undefined;

export function crc32(data: Uint8Array): number {
  return crc32Range(data, 0, data.length);
}

/** CRC32 (IEEE, as zlib's) of `data[start…end)`. */
export function crc32Range(data: Uint8Array, start: number, end: number): number {
  if (nativeCrc32 !== undefined && end - start > JS_CRC_MAX_BYTES) return nativeCrc32(data.subarray(start, end)) >>> 0;
  return jsCrc32(data, start, end);
}

/** The JS CRC32 (exported for the tests that compare it with zlib's). */
export function jsCrc32(data: Uint8Array, start: number, end: number): number {
  const t = (tables ??= makeTables());
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function makeTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
}
