// Reopening a spool after whatever ended its last process: every record is checked, the index
// rebuilt, a torn tail cut off, fully acked segments deleted (PROTOCOL §Runner obligations).
import { rm, truncate } from 'node:fs/promises';
import { SpoolError } from './errors.js';
import type { SpoolMeta } from './spool-files.js';
import { listSegmentFiles, newSegment, noteRecord, scanFile, type Segment } from './spool-segments.js';

export interface ScanSummary {
  readonly lastSeq: number;
  readonly finalSeq: number | null;
  readonly unackedBytes: number;
}

/**
 * Reads every segment once: checks each record and the seq order, rebuilds the index, cuts a
 * torn tail off the last segment, and deletes segments the meta says are fully acked.
 */
export async function recoverSegments(dir: string, meta: SpoolMeta): Promise<{ segments: Segment[]; summary: ScanSummary }> {
  const files = await listSegmentFiles(dir);
  const segments: Segment[] = [];
  let expected: number | undefined;
  let finalSeq: number | null = null;
  let unackedBytes = 0;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const last = i === files.length - 1;
    const segment = newSegment(dir, file.firstSeq);
    if (expected !== undefined && file.firstSeq !== expected) {
      throw new SpoolError('spool_corrupt', `${file.path} starts at seq ${file.firstSeq}, expected ${expected}`);
    }
    let seq = file.firstSeq;
    for await (const item of scanFile(file.path, 0)) {
      if (item.kind === 'damaged' || item.record.seq !== seq) {
        const reason = item.kind === 'damaged' ? item.reason : `seq ${item.record.seq} where ${seq} belongs`;
        if (!last) throw new SpoolError('spool_corrupt', `${file.path} is damaged at byte ${item.offset} (${reason}) and is not the last segment`);
        // A torn last record: it never became durable, so its emit never returned. Cut it off.
        await truncate(file.path, item.offset);
        break;
      }
      noteRecord(segment, seq, item.offset, item.bytes);
      if (item.record.final) finalSeq = seq;
      if (seq > meta.trimmedTo) unackedBytes += item.bytes;
      seq++;
    }
    expected = segment.lastSeq + 1;
    segments.push(segment);
  }
  const first = segments[0];
  if (first !== undefined && first.firstSeq > meta.trimmedTo + 1) {
    throw new SpoolError('spool_corrupt', `${dir} lacks seqs ${meta.trimmedTo + 1}–${first.firstSeq - 1}`);
  }
  const lastSeq = segments.at(-1)?.lastSeq ?? meta.trimmedTo;
  // Fully acked segments whose deletion a crash interrupted (or that close() left): the writer
  // starts a new segment at `trimmedTo + 1` when none is left.
  let dead = 0;
  while (dead < segments.length && segments[dead]!.lastSeq <= meta.trimmedTo) dead++;
  for (const segment of segments.splice(0, dead)) await rm(segment.path, { force: true });
  return { segments, summary: { lastSeq, finalSeq, unackedBytes } };
}
