// Recent committed events per live build (ARCHITECTURE §Cursor): many viewers of a live build
// read the newest events from here instead of one query each per commit, and get the very bytes
// encoded at commit — one encoding per event however many viewers. Bounded in events per build,
// in bytes per build (an eighth of the whole, beyond its newest commit) and in bytes over all
// builds; anything older or evicted comes from the store. A build that
// appended nothing for a while (finished, or stalled) has no live edge to serve: `sweep` lets
// its frames go, so a finished 100 MB build does not hold the cache's 64 MiB for ever.
import { jsonInSegment, type FramePage, type FrameSegment, type JsonPage, type PageBounds } from './event-json.js';

interface Tail {
  /** Contiguous segments: segments[i + 1].first === segments[i].last + 1. */
  readonly segments: FrameSegment[];
  bytes: number;
}

/**
 * One build holds at most this share of the cache's bytes (and always its newest commit). Live
 * viewers read the last few commits; without it, one build of 100 KB events filled all 64 MiB,
 * evicting every other build's live edge, and kept it while its readers caught up from the store.
 */
const BUILD_SHARE = 8;

export class TailCache {
  readonly #perBuild: number;
  readonly #maxBytes: number;
  readonly #maxBuildBytes: number;
  #bytes = 0;
  /** Map order is recency: a touched build moves to the end, the first one is evicted. */
  readonly #tails = new Map<string, Tail>();

  /** `perBuild` events at most per build; `maxBytes` of frames at most over all builds. */
  constructor(perBuild: number, maxBytes: number) {
    this.#perBuild = perBuild;
    this.#maxBytes = maxBytes;
    this.#maxBuildBytes = Math.floor(maxBytes / BUILD_SHARE);
  }

  /** Bytes held, for metrics and the tests that bound it. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Drops the builds whose newest frames were committed `idleMs` or longer before `nowMs`.
   * Viewers at the edge lose nothing: the next commit starts a new tail right after their ack.
   */
  sweep(idleMs: number, nowMs = Date.now()): void {
    // Map order is recency of append: the idle builds are the first ones.
    for (const [buildId, tail] of this.#tails) {
      if (tail.segments.at(-1)!.committedAtMs > nowMs - idleMs) break;
      this.drop(buildId);
    }
  }

  /** Adds the frames of events the ack just passed (ascending, contiguous). */
  append(buildId: string, segment: FrameSegment): void {
    if (this.#perBuild === 0 || this.#maxBytes === 0) return;
    let tail = this.#tails.get(buildId);
    if (tail && tail.segments.at(-1)!.last + 1 !== segment.first) {
      this.drop(buildId);
      tail = undefined;
    }
    tail ??= { segments: [], bytes: 0 };
    this.#tails.delete(buildId);
    this.#tails.set(buildId, tail);
    tail.segments.push(segment);
    tail.bytes += segment.bytes.length;
    this.#bytes += segment.bytes.length;
    // Whole segments go: the newest stay, which is what live viewers read.
    while (tail.segments.length > 1 && tail.segments.at(-1)!.last - tail.segments[1]!.first + 1 >= this.#perBuild) this.#shift(tail);
    while (tail.segments.length > 1 && tail.bytes > this.#maxBuildBytes) this.#shift(tail);
    while (this.#bytes > this.#maxBytes) {
      const [oldestId, oldest] = this.#tails.entries().next().value!;
      if (oldest !== tail) this.drop(oldestId);
      else if (tail.segments.length > 1) this.#shift(tail);
      else {
        this.drop(buildId); // one commit larger than the whole cache: readers go to the store
        break;
      }
    }
  }

  /**
   * Frames with `after < seq ≤ upTo` within `bounds`, when the cache holds seq `after + 1`;
   * undefined when the store must answer. Zero-copy slices of the shared segment buffers.
   */
  readFrames(buildId: string, after: number, upTo: number, bounds: PageBounds): FramePage | undefined {
    const chunks: Uint8Array[] = [];
    let committedAtMs: number | undefined;
    const last = this.#walk(buildId, after, upTo, bounds, (segment, from, to) => {
      chunks.push(segment.bytes.subarray(segment.offsets[from - segment.first]!, segment.offsets[to - segment.first + 1]!));
      committedAtMs = segment.committedAtMs;
    });
    return last === undefined ? undefined : { last, count: last - after, chunks, committedAtMs };
  }

  /** Like `readFrames`, as the events' JSON. */
  readJson(buildId: string, after: number, upTo: number, bounds: PageBounds): JsonPage | undefined {
    const parts: string[] = [];
    const last = this.#walk(buildId, after, upTo, bounds, (segment, from, to) => {
      for (let seq = from; seq <= to; seq++) parts.push(jsonInSegment(segment, seq));
    });
    return last === undefined ? undefined : { last, count: last - after, parts };
  }

  drop(buildId: string): void {
    const tail = this.#tails.get(buildId);
    if (!tail) return;
    this.#bytes -= tail.bytes;
    this.#tails.delete(buildId);
  }

  #shift(tail: Tail): void {
    const gone = tail.segments.shift()!;
    tail.bytes -= gone.bytes.length;
    this.#bytes -= gone.bytes.length;
  }

  /** Visits the runs of seqs a bounded read takes; returns the last seq, or undefined on a miss. */
  #walk(buildId: string, after: number, upTo: number, bounds: PageBounds, visit: (segment: FrameSegment, from: number, to: number) => void): number | undefined {
    const segments = this.#tails.get(buildId)?.segments;
    if (!segments || segments.length === 0 || after + 1 < segments[0]!.first || after > segments.at(-1)!.last) return undefined;
    const end = Math.min(upTo, after + bounds.limit);
    let last = after;
    let bytes = 0;
    // Segments are few per build; a binary search would not pay for itself.
    for (let i = 0; i < segments.length && last < end && bytes < bounds.maxBytes; i++) {
      const segment = segments[i]!;
      if (segment.last <= last) continue;
      const from = last + 1;
      let to = Math.min(segment.last, end);
      // Stop at the first frame that reaches the byte bound (it is included: a page holds at least one event).
      const base = segment.offsets[from - segment.first]!;
      const fits = bytes + segment.offsets[to - segment.first + 1]! - base < bounds.maxBytes;
      for (let seq = from; !fits && seq <= to; seq++) {
        if (bytes + segment.offsets[seq - segment.first + 1]! - base >= bounds.maxBytes) {
          to = seq;
          break;
        }
      }
      bytes += segment.offsets[to - segment.first + 1]! - base;
      visit(segment, from, to);
      last = to;
    }
    return last;
  }
}
