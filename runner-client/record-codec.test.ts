import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32Range, decodeRecord, encodeRecord, jsCrc32, RECORD_SLAB_BYTES } from './record-codec.js';

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
const payloadOf = (i: number) => `{"type":"log","data":{"t":${i},"stream":"stdout","line":"line ${i} ✓"},"time":null}`;

describe('record codec', () => {
  afterEach(() => vi.restoreAllMocks());

  it.runIf(nativeCrc32 !== undefined)('computes the same CRC32 as zlib, in JS and native', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const expected = nativeCrc32!(bytes.subarray(start, end)) >>> 0;
        expect(jsCrc32(bytes, start, end)).toBe(expected);
        expect(crc32Range(bytes, start, end)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes small records back to back in one slab, each decoding as written', () => {
    const records = Array.from({ length: 1000 }, (_, i) => encodeRecord(i + 1, i === 999, payloadOf(i + 1)));
    // A fresh slab at most once: 1000 records of ~90 bytes fit in one.
    expect(new Set(records.map((r) => r.buffer)).size).toBeLessThanOrEqual(2);
    let contiguous = 0;
    for (let i = 1; i < records.length; i++) {
      if (records[i]!.buffer === records[i - 1]!.buffer && records[i]!.byteOffset === records[i - 1]!.byteOffset + records[i - 1]!.length) contiguous++;
    }
    expect(contiguous).toBeGreaterThanOrEqual(998);
    records.forEach((bytes, i) => {
      const decoded = decodeRecord(bytes, 0);
      expect(decoded).toMatchObject({ kind: 'record', bytes: bytes.length, record: { seq: i + 1, final: i === 999 } });
      if (decoded.kind === 'record') expect(decoded.record.payload.toString()).toBe(payloadOf(i + 1));
    });
  });

  it('writes a small payload without counting its bytes first and checksums it without a view: per record 0 byteLength calls, 1 subarray', () => {
    const byteLength = vi.spyOn(Buffer, 'byteLength');
    const subarray = vi.spyOn(Buffer.prototype, 'subarray');
    for (let i = 0; i < 500; i++) encodeRecord(i + 1, false, payloadOf(i));
    expect(byteLength).toHaveBeenCalledTimes(0);
    expect(subarray).toHaveBeenCalledTimes(500);
  });

  it('gives a payload too large for the slab a buffer of its own', () => {
    const big = `{"type":"log","data":"${'é'.repeat(RECORD_SLAB_BYTES / 4)}","time":null}`;
    const bytes = encodeRecord(7, false, big);
    const decoded = decodeRecord(bytes, 0);
    expect(decoded.kind === 'record' && decoded.record.payload.toString()).toBe(big);
    expect(decoded).toMatchObject({ kind: 'record', record: { seq: 7 } });
  });
});
