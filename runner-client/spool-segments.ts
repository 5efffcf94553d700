// Segment files of a spool: `seg-<firstSeq>.log`, each a run of consecutive records. This
// module names them, finds records in them through a sparse in-memory index, and scans them.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, type SpoolRecord } from './record-codec.js';

/** Every this many records a segment remembers the record's byte offset: ~0.1 byte of memory per event. */
export const CHECKPOINT_EVERY = 256;
/** Bytes read per disk read while scanning; a larger record grows the buffer. */
const READ_CHUNK_BYTES = 256 * 1024;

export interface Segment {
  readonly firstSeq: number;
  readonly path: string;
  /** `firstSeq - 1` while empty. */
  lastSeq: number;
  /** Bytes of valid records: the write position. */
  size: number;
  /** Byte offset of record `firstSeq + i·CHECKPOINT_EVERY` at index i. */
  readonly checkpoints: number[];
}

const SEGMENT_NAME = /^seg-(\d{16})\.log$/;

export function segmentPath(dir: string, firstSeq: number): string {
  return join(dir, `seg-${String(firstSeq).padStart(16, '0')}.log`);
}

export function newSegment(dir: string, firstSeq: number): Segment {
  return { firstSeq, path: segmentPath(dir, firstSeq), lastSeq: firstSeq - 1, size: 0, checkpoints: [] };
}

/** Records the index entry of a record just placed at `offset`. */
export function noteRecord(segment: Segment, seq: number, offset: number, bytes: number): void {
  if ((seq - segment.firstSeq) % CHECKPOINT_EVERY === 0) segment.checkpoints.push(offset);
  segment.lastSeq = seq;
  segment.size = offset + bytes;
}

/** The segment files of `dir`, oldest first (their first seqs, from their names). */
export async function listSegmentFiles(dir: string): Promise<Array<{ firstSeq: number; path: string }>> {
  const names = await readdir(dir);
  return names
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ firstSeq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

export type ScanItem =
  | { readonly kind: 'record'; readonly record: SpoolRecord; readonly offset: number; readonly bytes: number }
  /** The file ends inside a record, or holds bytes that are not one, at `offset`. */
  | { readonly kind: 'damaged'; readonly offset: number; readonly reason: string };

/**
 * Reads the records of the file at `path` from byte `offset` on, in chunks. Ends after the
 * last whole record, or with one `damaged` item where the bytes stop being records.
 */
export async function* scanFile(path: string, offset: number, endOffset = Number.POSITIVE_INFINITY): AsyncGenerator<ScanItem> {
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.alloc(0);
    let bufferStart = offset; // file offset of buffer[0]
    let eof = false;
    let position = offset;
    for (;;) {
      const result = decodeRecord(buffer, position - bufferStart);
      if (result.kind === 'record') {
        yield { kind: 'record', record: result.record, offset: position, bytes: result.bytes };
        position += result.bytes;
        if (position >= endOffset) return;
        continue;
      }
      if (result.kind === 'invalid') {
        yield { kind: 'damaged', offset: position, reason: result.reason };
        return;
      }
      if (eof) {
        if (position - bufferStart < buffer.length) yield { kind: 'damaged', offset: position, reason: 'the file ends inside a record' };
        return;
      }
      // Keep the unread tail, read the next chunk after it (at least enough for a large record).
      const rest = buffer.subarray(position - bufferStart);
      const want = Math.max(READ_CHUNK_BYTES, rest.length >= 4 ? rest.readUInt32LE(0) + 8 : 0);
      const next = Buffer.allocUnsafe(rest.length + want);
      rest.copy(next, 0);
      const { bytesRead } = await handle.read(next, rest.length, want, position + rest.length);
      if (bytesRead === 0) eof = true;
      buffer = next.subarray(0, rest.length + bytesRead);
      bufferStart = position;
      if (bytesRead < want) eof = true;
    }
  } finally {
    await handle.close();
  }
}

/** Byte offset to start scanning from to reach `seq` in `segment`, and the seq found there. */
export function seekOffset(segment: Segment, seq: number): { offset: number; seq: number } {
  const index = Math.min(Math.floor((seq - segment.firstSeq) / CHECKPOINT_EVERY), segment.checkpoints.length - 1);
  if (index < 0) return { offset: 0, seq: segment.firstSeq };
  return { offset: segment.checkpoints[index]!, seq: segment.firstSeq + index * CHECKPOINT_EVERY };
}

/** The segment holding `seq` (binary search over segments sorted by first seq), or undefined. */
export function findSegment(segments: readonly Segment[], seq: number): Segment | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const segment = segments[mid]!;
    if (seq < segment.firstSeq) hi = mid - 1;
    else if (seq > segment.lastSeq) lo = mid + 1;
    else return segment;
  }
  return undefined;
}
