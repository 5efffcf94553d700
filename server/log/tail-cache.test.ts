import { describe, expect, it } from 'vitest';
import type { StoredEvent } from './append-plan.js';
import { eventFrame, eventJson, frameSegment } from './event-json.js';
import { TailCache } from './tail-cache.js';

const at = new Date(0);
const events = (from: number, to: number, bytes = 10): StoredEvent[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, type: 'log', data: JSON.stringify('x'.repeat(bytes)), time: null, receivedAt: at }));
const segment = (from: number, to: number, bytes?: number) => frameSegment(events(from, to, bytes));
const ALL = { limit: 1000, maxBytes: 1 << 30 };

/** The seqs of a frame page, read back from its bytes. */
function seqsOf(page: { chunks: readonly Uint8Array[] } | undefined): number[] | undefined {
  if (!page) return undefined;
  const text = Buffer.concat(page.chunks).toString();
  return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}

describe('TailCache', () => {
  it('serves ranges it holds and defers to the store for the rest', () => {
    const cache = new TailCache(5, 1 << 20);
    cache.append('b', segment(1, 3));
    cache.append('b', segment(4, 8));
    expect(seqsOf(cache.readFrames('b', 3, 8, ALL))).toEqual([4, 5, 6, 7, 8]);
    expect(seqsOf(cache.readFrames('b', 5, 7, ALL))).toEqual([6, 7]);
    expect(seqsOf(cache.readFrames('b', 4, 8, { limit: 2, maxBytes: 1 << 20 }))).toEqual([5, 6]);
    expect(cache.readFrames('b', 2, 8, ALL)).toBeUndefined(); // the segment 1–3 was evicted
    expect(cache.readFrames('b', 8, 8, ALL)?.count).toBe(0);
    expect(cache.readFrames('b', 9, 12, ALL)).toBeUndefined();
    expect(cache.readFrames('other', 0, 8, ALL)).toBeUndefined();
  });

  it('lets the frames of a build with no commit for idleMs go, and serves its next commit at the edge', () => {
    const cache = new TailCache(100, 1 << 20);
    const now = Date.now();
    cache.append('finished', { ...segment(1, 3), committedAtMs: now - 20_000 });
    cache.append('live', { ...segment(1, 3), committedAtMs: now - 1_000 });
    const liveBytes = segment(1, 3).bytes.length;
    cache.sweep(10_000, now);
    expect(cache.readFrames('finished', 0, 3, ALL)).toBeUndefined();
    expect(seqsOf(cache.readFrames('live', 0, 3, ALL))).toEqual([1, 2, 3]);
    expect(cache.bytes).toBe(liveBytes);
    // A viewer at the edge of the swept build (after = 3) is served from the cache again at its next commit.
    cache.append('finished', segment(4, 5));
    expect(seqsOf(cache.readFrames('finished', 3, 5, ALL))).toEqual([4, 5]);
    cache.sweep(10_000, now + 60_000);
    expect(cache.bytes).toBe(0);
  });

  it('gives the frames and the JSON exactly as encoded at commit', () => {
    const cache = new TailCache(100, 1 << 20);
    const list = events(1, 4);
    cache.append('b', frameSegment(list));
    expect(Buffer.concat(cache.readFrames('b', 1, 4, ALL)!.chunks).toString()).toBe(list.slice(1).map((e) => eventFrame(e.seq, eventJson(e))).join(''));
    expect(cache.readJson('b', 0, 3, ALL)!.parts.join(',')).toBe(list.slice(0, 3).map(eventJson).join(','));
  });

  it('hands every reader of the live edge the same bytes: no copy per reader', () => {
    const cache = new TailCache(100, 1 << 20);
    const seg = segment(1, 50);
    cache.append('b', seg);
    const a = cache.readFrames('b', 0, 50, ALL)!.chunks;
    const b = cache.readFrames('b', 0, 50, ALL)!.chunks;
    expect(a).toHaveLength(1);
    expect(a[0]!.buffer).toBe(seg.bytes.buffer);
    expect(b[0]!.buffer).toBe(seg.bytes.buffer);
  });

  it('starts over when appended events do not continue the tail', () => {
    const cache = new TailCache(10, 1 << 20);
    cache.append('b', segment(1, 3));
    cache.append('b', segment(7, 8));
    expect(cache.readFrames('b', 0, 8, ALL)).toBeUndefined();
    expect(seqsOf(cache.readFrames('b', 6, 8, ALL))).toEqual([7, 8]);
  });

  it('bounds a read in bytes: it stops at the first event that reaches the bound, and holds at least one', () => {
    const cache = new TailCache(100, 1 << 24);
    cache.append('b', segment(1, 10, 100_000));
    const page = cache.readFrames('b', 0, 10, { limit: 100, maxBytes: 250_000 })!;
    expect(seqsOf(page)).toEqual([1, 2, 3]);
    expect(seqsOf(cache.readFrames('b', 0, 10, { limit: 100, maxBytes: 1 }))).toEqual([1]);
  });

  it('holds at most its byte bound over all builds, evicting the least recently appended build first', () => {
    const cache = new TailCache(10_000, 1_000_000);
    for (let i = 0; i < 20; i++) cache.append(`b${i}`, segment(1, 3, 100_000));
    expect(cache.bytes).toBeLessThanOrEqual(1_000_000);
    expect(cache.readFrames('b0', 0, 3, ALL)).toBeUndefined();
    expect(seqsOf(cache.readFrames('b19', 0, 3, ALL))).toEqual([1, 2, 3]);
    // One build alone keeps only its newest segments within the bound.
    for (let from = 1; from < 200; from += 2) cache.append('big', segment(from, from + 1, 100_000));
    expect(cache.bytes).toBeLessThanOrEqual(1_000_000);
    expect(seqsOf(cache.readFrames('big', 198, 200, ALL))).toEqual([199, 200]);
  });

  it('holds at most an eighth of its bytes for one build, beyond its newest commit: a build of large events leaves the others be', () => {
    const cache = new TailCache(10_000, 1_000_000);
    cache.append('small', segment(1, 3));
    for (let from = 1; from < 400; from += 2) cache.append('large', segment(from, from + 1, 20_000));
    expect(seqsOf(cache.readFrames('small', 0, 3, ALL))).toEqual([1, 2, 3]);
    expect(cache.bytes - segment(1, 3).bytes.length).toBeLessThanOrEqual(125_000);
    expect(seqsOf(cache.readFrames('large', 396, 400, ALL))).toEqual([397, 398, 399, 400]);
    // A commit larger than the share stays whole: it is the live edge.
    cache.append('large', segment(401, 404, 50_000));
    expect(seqsOf(cache.readFrames('large', 400, 404, ALL))).toEqual([401, 402, 403, 404]);
    expect(cache.readFrames('large', 398, 404, ALL)).toBeUndefined();
  });

  it('drops a build on request, and holds nothing when sized zero', () => {
    const cache = new TailCache(10, 1 << 20);
    cache.append('a', segment(1, 2));
    cache.drop('a');
    expect(cache.readFrames('a', 0, 2, ALL)).toBeUndefined();
    expect(cache.bytes).toBe(0);
    const none = new TailCache(0, 1 << 20);
    none.append('b', segment(1, 3));
    expect(none.readFrames('b', 0, 3, ALL)).toBeUndefined();
  });
});
