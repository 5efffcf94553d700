// Recent committed events per live build (ARCHITECTURE §Cursor): many viewers of a live build
// read the newest events from here instead of one query each per commit. Bounded per build
// and in the number of builds; anything older or evicted comes from the store.
import type { EventRecord } from './event-json.js';

interface Tail {
  /** Contiguous records: records[i].seq === records[0].seq + i. */
  records: EventRecord[];
}

export class TailCache {
  readonly #perBuild: number;
  readonly #maxBuilds: number;
  /** Map order is recency: a touched build moves to the end, the first one is evicted. */
  readonly #tails = new Map<string, Tail>();

  constructor(perBuild: number, maxBuilds = 256) {
    this.#perBuild = perBuild;
    this.#maxBuilds = maxBuilds;
  }

  /** Adds records the ack just passed (ascending, contiguous). */
  append(buildId: string, records: readonly EventRecord[]): void {
    if (this.#perBuild === 0 || records.length === 0) return;
    let tail = this.#tails.get(buildId);
    const last = tail?.records.at(-1);
    if (!tail || !last || last.seq + 1 !== records[0]!.seq) tail = { records: [] };
    this.#tails.delete(buildId);
    this.#tails.set(buildId, tail);
    tail.records.push(...records);
    if (tail.records.length > this.#perBuild) tail.records.splice(0, tail.records.length - this.#perBuild);
    if (this.#tails.size > this.#maxBuilds) this.#tails.delete(this.#tails.keys().next().value!);
  }

  /**
   * Records read from the store, kept when they extend the build's tail without a gap, or start
   * one when the build has none and they reach the reader's live edge (`reachedEdge`). Unlike
   * `append` it never replaces a tail, so a catch-up read of old events cannot evict the live edge.
   */
  extend(buildId: string, records: readonly EventRecord[], reachedEdge: boolean): void {
    if (this.#perBuild === 0 || records.length === 0) return;
    const last = this.#tails.get(buildId)?.records.at(-1);
    if (last ? last.seq + 1 === records[0]!.seq : reachedEdge) this.append(buildId, records);
  }

  /**
   * Records with `after < seq ≤ upTo`, at most `limit`, when the cache holds the start of that
   * range; undefined when the store must answer.
   */
  read(buildId: string, after: number, upTo: number, limit: number): EventRecord[] | undefined {
    const records = this.#tails.get(buildId)?.records;
    const first = records?.[0];
    if (!records || !first || after + 1 < first.seq || after >= first.seq + records.length) return undefined;
    const start = after + 1 - first.seq;
    const end = Math.min(records.length, start + limit, upTo - first.seq + 1);
    return records.slice(start, Math.max(start, end));
  }

  drop(buildId: string): void {
    this.#tails.delete(buildId);
  }
}
