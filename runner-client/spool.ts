// The runner's durable spool for one build (PROTOCOL §Runner obligations): every emitted event
// is a record in `<spoolDir>/<buildId>/seg-*.log` before `emit` returns, until an ack passes it.
// It also keeps the build's epoch and the runner's hash chain in `meta.json`.
//
// Invariants:
// - records are consecutive seqs across segments; the first unacked one is `trimmedTo + 1`;
// - `meta.json` (trimmedTo, digest) is written durably before any segment it lets go is deleted,
//   so a reopened spool always holds every record above its meta's `trimmedTo`;
// - only the last record can be torn (one writer, appending); reopening truncates it.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EMPTY_DIGEST } from '../protocol/index.js';
import { SpoolError } from './errors.js';
import type { Durability } from './options.js';
import { chainRecord } from './record-chain.js';
import { encodeRecord, recordBytes, type SpoolRecord } from './record-codec.js';
import { SpoolCache } from './spool-cache.js';
import { acquireLock, readMeta, writeMeta, type SpoolMeta } from './spool-files.js';
import { recoverSegments, type ScanSummary } from './spool-recovery.js';
import { findSegment, scanFile, seekOffset, type Segment } from './spool-segments.js';
import { SpoolWriter, type PendingWrite } from './spool-writer.js';

export interface SpoolOptions {
  /** The root holding one directory per build. */
  readonly spoolDir: string;
  readonly buildId: string;
  readonly durability: Durability;
  readonly groupCommitMs: number;
  readonly segmentBytes: number;
  readonly cacheBytes: number;
  /** Unacked bytes past which `append` waits. */
  readonly maxSpoolBytes: number;
}

/** What a spool looks like from outside. */
export interface SpoolState {
  readonly epoch: number;
  /** Every seq ≤ this is acked (as far as this spool knows) and never sent again. */
  readonly trimmedTo: number;
  /** The hash chain at `trimmedTo`. */
  readonly digest: string;
  /** The highest seq appended (durable or not). */
  readonly lastSeq: number;
  /** The highest seq whose record is durable: the uploader sends nothing above it. */
  readonly durableSeq: number;
  /** The seq of the build's final record, once appended. */
  readonly finalSeq: number | null;
  /** Bytes of the records above `trimmedTo`, waiting ones included. */
  readonly unackedBytes: number;
}

export class Spool {
  readonly #dir: string;
  readonly #options: SpoolOptions;
  readonly #segments: Segment[];
  readonly #writer: SpoolWriter;
  readonly #unlock: () => Promise<void>;
  #meta: SpoolMeta;
  #lastSeq: number;
  #durableSeq: number;
  #finalSeq: number | null;
  #unackedBytes: number;
  /** The newest records, so most uploads never read the disk. */
  readonly #cache: SpoolCache;
  /**
   * The runs of records `read` last took from disk (consecutive seqs each, newest last): once
   * the server acks them, `advance` needs them again for the hash chain, and a backlog larger
   * than the cache would otherwise be read from disk twice. At most READ_BACK_RUNS runs, each at
   * most one batch; dropped once acked.
   */
  #readBack: SpoolRecord[][] = [];
  /** Appends held back by `maxSpoolBytes`, in seq order. */
  #waiting: PendingWrite[] = [];
  #advancing: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Called when more records became durable (the uploader may send them). */
  onDurable: (durableSeq: number) => void = () => {};
  /** Called once if the spool can no longer be written. */
  onFailure: (error: SpoolError) => void = () => {};

  private constructor(dir: string, options: SpoolOptions, meta: SpoolMeta, segments: Segment[], scan: ScanSummary, unlock: () => Promise<void>) {
    this.#dir = dir;
    this.#options = options;
    this.#cache = new SpoolCache(options.cacheBytes);
    this.#meta = meta;
    this.#segments = segments;
    this.#unlock = unlock;
    this.#lastSeq = Math.max(meta.trimmedTo, scan.lastSeq);
    this.#durableSeq = this.#lastSeq;
    this.#finalSeq = scan.finalSeq ?? meta.final;
    this.#unackedBytes = scan.unackedBytes;
    this.#writer = new SpoolWriter(segments, {
      dir,
      durability: options.durability,
      groupCommitMs: options.groupCommitMs,
      segmentBytes: options.segmentBytes,
      onDurable: (seq) => {
        this.#durableSeq = seq;
        this.onDurable(seq);
      },
      onFailure: (error) => {
        for (const w of this.#waiting.splice(0)) w.reject(error);
        this.onFailure(error);
      },
    });
  }

  /** Opens (or creates) the spool of `buildId`: takes its lock, checks every record, cuts a torn tail. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const dir = join(options.spoolDir, options.buildId);
    await mkdir(dir, { recursive: true });
    const unlock = await acquireLock(dir);
    try {
      const meta = (await readMeta(dir)) ?? { version: 1, buildId: options.buildId, epoch: 0, trimmedTo: 0, digest: EMPTY_DIGEST, final: null };
      if (meta.buildId !== options.buildId) throw new SpoolError('spool_corrupt', `${dir} holds the spool of build ${meta.buildId}`);
      const { segments, summary } = await recoverSegments(dir, meta);
      return new Spool(dir, options, meta, segments, summary, unlock);
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  get dir(): string {
    return this.#dir;
  }

  state(): SpoolState {
    return {
      epoch: this.#meta.epoch,
      trimmedTo: this.#meta.trimmedTo,
      digest: this.#meta.digest,
      lastSeq: this.#lastSeq,
      durableSeq: this.#durableSeq,
      finalSeq: this.#finalSeq,
      unackedBytes: this.#unackedBytes,
    };
  }

  /** The highest seq appended (durable or not): `state().lastSeq` without building the state. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The seq of the build's final record once appended: `state().finalSeq` without building the state. */
  get finalSeq(): number | null {
    return this.#finalSeq;
  }

  /**
   * Appends the record of `seq` (which must be `lastSeq + 1`) holding the event whose wire JSON
   * is `payload` (a string is encoded straight into the record); resolves with `seq` once it is
   * durable. Waits first while the unacked bytes exceed `maxSpoolBytes` — backpressure, never a
   * drop. One promise per append: `emit` returns it as it is.
   */
  append(seq: number, final: boolean, payload: Buffer | string): Promise<number> {
    if (this.#closed) return Promise.reject(new SpoolError('runner_closed', 'The spool is closed'));
    if (this.#writer.failed !== undefined) return Promise.reject(this.#writer.failed);
    if (seq !== this.#lastSeq + 1) return Promise.reject(new SpoolError('spool_corrupt', `Appending seq ${seq} after ${this.#lastSeq}`));
    this.#lastSeq = seq;
    if (final) this.#finalSeq = seq;
    const bytes = encodeRecord(seq, final, payload);
    return new Promise<number>((resolve, reject) => {
      const item: PendingWrite = { seq, bytes, resolve, reject };
      // A lone record larger than the limit still goes in when nothing else is unacked.
      if (this.#waiting.length > 0 || (this.#unackedBytes > 0 && this.#unackedBytes + bytes.length > this.#options.maxSpoolBytes)) {
        this.#waiting.push(item);
      } else {
        this.#admit(item);
      }
    });
  }

  #admit(item: PendingWrite): void {
    this.#unackedBytes += item.bytes.length;
    this.#cache.add(item.seq, item.bytes);
    this.#writer.enqueue(item);
  }

  #admitWaiting(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]!;
      if (this.#unackedBytes > 0 && this.#unackedBytes + next.bytes.length > this.#options.maxSpoolBytes) return;
      this.#waiting.shift();
      this.#admit(next);
    }
  }

  /** Bytes waiting for space (backpressure), for stats. */
  get waitingAppends(): number {
    return this.#waiting.length;
  }

  /**
   * Up to `maxEvents` consecutive durable records from `fromSeq` through `toSeq` (≤ durableSeq),
   * stopping before `maxBytes` of payload — but always at least one.
   */
  async read(fromSeq: number, toSeq: number, maxEvents: number, maxBytes: number): Promise<SpoolRecord[]> {
    const out: SpoolRecord[] = [];
    let bytes = 0;
    read: for await (const run of this.#runs(fromSeq, Math.min(toSeq, this.#durableSeq, fromSeq + maxEvents - 1))) {
      for (const record of run) {
        if (out.length > 0 && bytes + record.payload.length > maxBytes) break read;
        out.push(record);
        bytes += record.payload.length;
      }
    }
    if (out.length > 0 && !this.#cache.holdsFrom(out[0]!.seq)) {
      this.#readBack.push(out);
      if (this.#readBack.length > READ_BACK_RUNS) this.#readBack.shift();
    }
    return out;
  }

  /** The run of `#readBack` holding `seq`, if any. */
  #readBackRun(seq: number): SpoolRecord[] | undefined {
    for (const run of this.#readBack) if (run[0]!.seq <= seq && seq <= run.at(-1)!.seq) return run;
    return undefined;
  }

  /**
   * Records `from`…`to` in order, from the cache when they are still there, else from the
   * segments, in runs of consecutive records: a run from memory is taken in one step, so an
   * upload or an ack costs the async generator a step per run, not per record.
   */
  async *#runs(from: number, to: number): AsyncGenerator<readonly SpoolRecord[]> {
    let seq = from;
    while (seq <= to) {
      if (this.#cache.holdsFrom(seq)) {
        const run = this.#cache.run(seq, to);
        if (run.length === 0) throw new SpoolError('spool_corrupt', `Seq ${seq} is not in the spool (last ${this.#lastSeq})`);
        seq += run.length;
        yield run;
        continue;
      }
      const readBack = this.#readBackRun(seq);
      if (readBack !== undefined) {
        const first = readBack[0]!.seq;
        const last = Math.min(to, readBack.at(-1)!.seq);
        yield readBack.slice(seq - first, last - first + 1);
        seq = last + 1;
        continue;
      }
      const segment = findSegment(this.#segments, seq);
      if (segment === undefined) throw new SpoolError('spool_corrupt', `Seq ${seq} is in no segment of ${this.#dir}`);
      const start = seekOffset(segment, seq);
      let at = start.seq;
      let run: SpoolRecord[] = [];
      for await (const item of scanFile(segment.path, start.offset, segment.size)) {
        if (item.kind === 'damaged' || item.record.seq !== at) {
          throw new SpoolError('spool_corrupt', `${segment.path} is damaged near seq ${at}`);
        }
        if (at === seq) {
          run.push(item.record);
          seq++;
        }
        at++;
        if (seq > to || this.#cache.holdsFrom(seq)) break;
        if (run.length >= MAX_DISK_RUN) {
          yield run;
          run = [];
        }
      }
      if (run.length > 0) yield run;
    }
  }

  /**
   * The server acked through `ack`: extends the hash chain over the newly acked records, and
   * deletes the segments it frees. Resolves with the chain at `ack`. Calls run one at a time.
   */
  advance(ack: number): Promise<{ ack: number; digest: string }> {
    const run = this.#advancing.then(() => this.#advance(ack));
    this.#advancing = run.catch(() => {});
    return run;
  }

  async #advance(ack: number): Promise<{ ack: number; digest: string }> {
    const meta = this.#meta;
    if (ack <= meta.trimmedTo) return { ack: meta.trimmedTo, digest: meta.digest };
    if (ack > this.#durableSeq) {
      throw new SpoolError('spool_corrupt', `The server acked seq ${ack}, but this spool holds events only through ${this.#durableSeq}`);
    }
    let digest = meta.digest;
    let freed = 0;
    let final = meta.final;
    for await (const run of this.#runs(meta.trimmedTo + 1, ack)) {
      for (const record of run) {
        digest = chainRecord(digest, record.seq, record.payload);
        freed += recordBytes(record.payload.length);
        if (record.final) final = record.seq;
      }
    }
    this.#meta = { ...meta, trimmedTo: ack, digest, final };
    this.#unackedBytes -= freed;
    this.#cache.dropThrough(ack);
    this.#readBack = this.#readBack.filter((run) => run.at(-1)!.seq > ack);
    // Whole segments behind the ack go; the active (last) one stays for the writer.
    let dead = 0;
    while (dead < this.#segments.length - 1 && this.#segments[dead]!.lastSeq <= ack) dead++;
    const gone = this.#segments.splice(0, dead);
    if (gone.length > 0 || final === ack) await this.#saveMeta();
    await Promise.all(gone.map((segment) => rm(segment.path, { force: true })));
    this.#admitWaiting();
    return { ack, digest };
  }

  async #saveMeta(): Promise<void> {
    await writeMeta(this.#dir, this.#meta, this.#options.durability !== 'none');
  }

  /**
   * Takes the build over at the server's `ack`/`digest` with a new `epoch` (PROTOCOL §Append
   * rule 5): records above the ack stay and will be sent under the new epoch; the chain restarts
   * from the server's digest, since another runner may have written what lies below. Only
   * before the first append.
   */
  async takeOver(ack: number, digest: string, epoch: number): Promise<void> {
    if (ack < this.#meta.trimmedTo) {
      throw new SpoolError('spool_corrupt', `The server's ack ${ack} is behind this spool's acked ${this.#meta.trimmedTo}: is this the same build?`);
    }
    let freed = 0;
    for await (const run of this.#runs(this.#meta.trimmedTo + 1, Math.min(ack, this.#lastSeq))) for (const record of run) freed += recordBytes(record.payload.length);
    this.#unackedBytes -= freed;
    const keep = this.#lastSeq > ack;
    const gone = keep ? this.#segments.filter((s) => s.lastSeq <= ack && s !== this.#segments.at(-1)) : [...this.#segments];
    this.#segments.splice(0, gone.length);
    if (!keep) {
      this.#lastSeq = ack;
      this.#durableSeq = ack;
      this.#finalSeq = null;
      this.#unackedBytes = 0;
    } else if (this.#finalSeq !== null && this.#finalSeq <= ack) {
      this.#finalSeq = null;
    }
    this.#cache.clear();
    this.#readBack = [];
    this.#meta = { ...this.#meta, epoch, trimmedTo: ack, digest, final: null };
    await this.#saveMeta();
    await Promise.all(gone.map((segment) => rm(segment.path, { force: true })));
  }

  /**
   * Makes every admitted record durable, saves the meta and lets go of the lock. Appends still
   * waiting for space are refused. A spool whose every record is acked is left as meta only.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new SpoolError('runner_closed', 'The runner was closed while this emit waited for spool space');
    for (const w of this.#waiting.splice(0)) w.reject(error);
    await this.#writer.close();
    await this.#advancing;
    try {
      if (this.#writer.failed === undefined) {
        if (this.#meta.trimmedTo >= this.#lastSeq) {
          const gone = this.#segments.splice(0);
          await this.#saveMeta();
          await Promise.all(gone.map((segment) => rm(segment.path, { force: true })));
        } else {
          await this.#saveMeta();
        }
      }
    } finally {
      await this.#unlock();
    }
  }
}

/** Records a run read from disk holds at most, so a long range (a takeover) is not all in memory at once. */
const MAX_DISK_RUN = 1024;

/** Runs `#readBack` keeps: the batches in flight (4 by default) and as many read after them. */
const READ_BACK_RUNS = 8;
