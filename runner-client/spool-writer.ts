// Writes spool records to the active segment and makes them durable: one write per burst,
// then an fsync per record (`fsync-each`), one for everything written while the last one ran
// (`group`, at most one per `groupCommitMs` when that is above 0), or none.
//
//   enqueue ──► pending ──write──► unsynced ──fsync──► durable (emit resolves, uploader may send)
//                                  (`none`: durable right after the write)
//
// Records become durable strictly in seq order; a failed write or fsync fails the writer for
// good, because a later record written after a lost one would leave a hole in the spool.
import { open, type FileHandle } from 'node:fs/promises';
import type { Durability } from './options.js';
import { SpoolError } from './errors.js';
import { newSegment, noteRecord, type Segment } from './spool-segments.js';
import { syncDirectory } from './spool-files.js';

export interface PendingWrite {
  readonly seq: number;
  /** The encoded record. */
  readonly bytes: Buffer;
  /** Called with `seq` once the record is durable. */
  resolve(seq: number): void;
  reject(error: Error): void;
}

export interface SpoolWriterOptions {
  readonly dir: string;
  readonly durability: Durability;
  readonly groupCommitMs: number;
  readonly segmentBytes: number;
  /** Called with the highest durable seq after each step that made records durable. */
  readonly onDurable: (seq: number) => void;
  /** Called once if a write or fsync fails. */
  readonly onFailure: (error: SpoolError) => void;
}

export class SpoolWriter {
  readonly #options: SpoolWriterOptions;
  /** Shared with the spool: the last one is the active segment. */
  readonly #segments: Segment[];
  #pending: PendingWrite[] = [];
  #unsynced: PendingWrite[] = [];
  #handle: FileHandle | undefined;
  #running: Promise<void> = Promise.resolve();
  /** True while `#run` loops; it clears this itself in the same tick it finds nothing to do, so an enqueue never goes unseen. */
  #active = false;
  #lastSyncAt = Number.NEGATIVE_INFINITY;
  /** Set by `close()`: sync now instead of waiting for the group window. */
  #hurry = false;
  #failed: SpoolError | undefined;

  constructor(segments: Segment[], options: SpoolWriterOptions) {
    this.#segments = segments;
    this.#options = options;
  }

  get failed(): SpoolError | undefined {
    return this.#failed;
  }

  enqueue(write: PendingWrite): void {
    if (this.#failed !== undefined) {
      write.reject(this.#failed);
      return;
    }
    this.#pending.push(write);
    if (!this.#active) {
      this.#active = true;
      this.#running = this.#run();
    }
  }

  /** Writes and syncs everything enqueued, then closes the segment file. */
  async close(): Promise<void> {
    this.#hurry = true;
    while (this.#active) await this.#running;
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
  }

  async #run(): Promise<void> {
    const { durability, groupCommitMs } = this.#options;
    try {
      for (;;) {
        if (this.#pending.length > 0) {
          const take = durability === 'fsync-each' ? this.#pending.splice(0, 1) : this.#pending.splice(0);
          await this.#write(take);
          if (durability === 'fsync-each') await this.#sync();
          continue;
        }
        if (this.#unsynced.length > 0) {
          const wait = this.#lastSyncAt + groupCommitMs - performance.now();
          if (durability === 'group' && wait > 0 && !this.#hurry) {
            // Records emitted while we wait are written first and ride on the same fsync.
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
          }
          await this.#sync();
          continue;
        }
        this.#active = false;
        return;
      }
    } catch (error) {
      this.#active = false;
      this.#fail(error);
    }
  }

  async #write(items: PendingWrite[]): Promise<void> {
    const { segmentBytes, durability } = this.#options;
    let i = 0;
    while (i < items.length) {
      let segment = this.#segments.at(-1);
      const first = items[i]!;
      if (segment === undefined || this.#handle === undefined || (segment.size > 0 && segment.size + first.bytes.length > segmentBytes)) {
        segment = await this.#activate(segment, first.seq, first.bytes.length);
      }
      const chunk: PendingWrite[] = [];
      let size = segment.size;
      while (i < items.length && (chunk.length === 0 || size + items[i]!.bytes.length <= segmentBytes)) {
        chunk.push(items[i]!);
        size += items[i]!.bytes.length;
        i++;
      }
      await writeFully(this.#handle!, contiguousRuns(chunk), segment.size);
      let offset = segment.size;
      for (const c of chunk) {
        noteRecord(segment, c.seq, offset, c.bytes.length);
        offset += c.bytes.length;
      }
      if (durability === 'none') this.#durable(chunk);
      else for (const c of chunk) this.#unsynced.push(c); // (a spread of a long chunk could overflow the stack)
    }
  }

  /** Opens the active segment for appending, or starts a new one at `firstSeq` when it is full or missing. */
  async #activate(current: Segment | undefined, firstSeq: number, bytes: number): Promise<Segment> {
    const fits = current !== undefined && (current.size === 0 || current.size + bytes <= this.#options.segmentBytes);
    if (current !== undefined && this.#handle === undefined && fits && current.lastSeq === firstSeq - 1) {
      this.#handle = await open(current.path, 'r+');
      return current;
    }
    if (this.#handle !== undefined) {
      if (this.#unsynced.length > 0) await this.#sync();
      await this.#handle.close();
      this.#handle = undefined;
    }
    const segment = newSegment(this.#options.dir, firstSeq);
    // 'w': no valid record ≥ firstSeq exists anywhere, so whatever a file of this name holds is garbage.
    this.#handle = await open(segment.path, 'w');
    this.#segments.push(segment);
    // The new file's directory entry must be durable before any record in it counts as durable.
    if (this.#options.durability !== 'none') await syncDirectory(this.#options.dir);
    return segment;
  }

  async #sync(): Promise<void> {
    const items = this.#unsynced.splice(0);
    this.#lastSyncAt = performance.now();
    await this.#handle!.sync();
    this.#durable(items);
  }

  #durable(items: PendingWrite[]): void {
    if (items.length === 0) return;
    for (const item of items) item.resolve(item.seq);
    this.#options.onDurable(items.at(-1)!.seq);
  }

  #fail(cause: unknown): void {
    const error = new SpoolError('spool_corrupt', `Writing the spool failed: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.#failed = error;
    for (const item of [...this.#unsynced.splice(0), ...this.#pending.splice(0)]) item.reject(error);
    this.#options.onFailure(error);
  }
}

/**
 * The records' bytes as few buffers as possible: records encoded back to back into one slab
 * (record-codec) are one view of it, so a burst goes to the file without being copied first.
 */
export function contiguousRuns(items: readonly PendingWrite[]): Buffer[] {
  const runs: Buffer[] = [];
  let run = items[0]?.bytes;
  let runLength = run?.length ?? 0;
  for (let i = 1; i < items.length; i++) {
    const bytes = items[i]!.bytes;
    if (bytes.buffer === run!.buffer && bytes.byteOffset === run!.byteOffset + runLength) {
      runLength += bytes.length;
      continue;
    }
    runs.push(runLength === run!.length ? run! : Buffer.from(run!.buffer, run!.byteOffset, runLength));
    run = bytes;
    runLength = bytes.length;
  }
  if (run !== undefined) runs.push(runLength === run.length ? run : Buffer.from(run.buffer, run.byteOffset, runLength));
  return runs;
}

/** Writes `buffers` one after the other at `position`, in one write (or writev) unless the kernel takes less. */
async function writeFully(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let i = 0;
  while (i < buffers.length) {
    const { bytesWritten } =
      i === buffers.length - 1 ? await handle.write(buffers[i]!, 0, buffers[i]!.length, position) : await handle.writev(i === 0 ? buffers : buffers.slice(i), position);
    if (bytesWritten === 0) throw new Error('write wrote nothing');
    position += bytesWritten;
    // Skip what was written; a buffer written in part continues from where the kernel stopped.
    let left = bytesWritten;
    while (left > 0) {
      const head = buffers[i]!;
      if (head.length <= left) {
        left -= head.length;
        i++;
      } else {
        buffers[i] = head.subarray(left);
        left = 0;
      }
    }
  }
}
