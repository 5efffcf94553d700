// The spool's newest records in memory (ARCHITECTURE §The runner), so most uploads and acks
// never read the disk. Bounded in bytes; the oldest go first.
import { recordBytes, recordIsFinal, recordPayload, type SpoolRecord } from './record-codec.js';

/** What a cached record costs: its payload plus the JS objects around it (counted as before the cache held bare buffers). */
const CACHED_RECORD_OVERHEAD_BYTES = 160;

function cachedSize(bytes: Buffer): number {
  return bytes.length - recordBytes(0) + CACHED_RECORD_OVERHEAD_BYTES;
}

/**
 * Records with consecutive seqs from `first`, as encoded (seq and flags inside): no object per
 * cached record besides its buffer view, since thousands of them outlive the young generation.
 * A queue by index (`#records[#head…]`), because `shift()` on an array this long copies it (V8
 * cannot trim large arrays in place): evicting per emit made `emit` 42 % eviction.
 */
export class SpoolCache {
  readonly #maxBytes: number;
  #records: Array<Buffer | undefined> = [];
  #head = 0;
  #first = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** True when the cache holds records from `seq` on (it holds the newest ones, consecutively). */
  holdsFrom(seq: number): boolean {
    return this.#count > 0 && seq >= this.#first;
  }

  /** Adds the record of `seq` (the next after the newest), evicting the oldest past the byte bound. */
  add(seq: number, bytes: Buffer): void {
    this.#records.push(bytes);
    if (this.#count === 1) this.#first = seq;
    this.#bytes += cachedSize(bytes);
    while (this.#bytes > this.#maxBytes && this.#count > 0) this.#evictOne();
  }

  /** Records `seq`…`min(to, newest)`; empty when `seq` is past the newest. */
  run(seq: number, to: number): SpoolRecord[] {
    const last = Math.min(to, this.#first + this.#count - 1);
    const run: SpoolRecord[] = [];
    for (let i = this.#head + seq - this.#first; seq <= last; i++, seq++) {
      const bytes = this.#records[i]!;
      run.push({ seq, final: recordIsFinal(bytes), payload: recordPayload(bytes) });
    }
    return run;
  }

  /** Drops the records up to `seq`. */
  dropThrough(seq: number): void {
    while (this.#count > 0 && this.#first <= seq) this.#evictOne();
  }

  clear(): void {
    this.#records = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  get #count(): number {
    return this.#records.length - this.#head;
  }

  #evictOne(): void {
    const dropped = this.#records[this.#head]!;
    this.#records[this.#head++] = undefined;
    this.#bytes -= cachedSize(dropped);
    this.#first++;
    // Compact once the dead front outweighs the live part: amortised O(1) per record.
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }
}
