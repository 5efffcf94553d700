import { describe, expect, it } from 'vitest';
import { TailCache } from './tail-cache.js';

const records = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, json: `{"seq":${from + i}}` }));
const seqs = (r: Array<{ seq: number }> | undefined) => r?.map((x) => x.seq);

describe('TailCache', () => {
  it('serves ranges it holds and defers to the store for the rest', () => {
    const cache = new TailCache(5);
    cache.append('b', records(1, 3));
    cache.append('b', records(4, 8));
    expect(seqs(cache.read('b', 3, 8, 100))).toEqual([4, 5, 6, 7, 8]);
    expect(seqs(cache.read('b', 5, 7, 100))).toEqual([6, 7]);
    expect(seqs(cache.read('b', 4, 8, 2))).toEqual([5, 6]);
    expect(cache.read('b', 2, 8, 100)).toBeUndefined(); // seq 3 was evicted
    expect(cache.read('b', 8, 8, 100)).toEqual([]);
    expect(cache.read('b', 9, 12, 100)).toBeUndefined();
    expect(cache.read('other', 0, 8, 100)).toBeUndefined();
  });

  it('keeps store reads that continue the tail or start one at the live edge, never replacing a tail with older events', () => {
    const cache = new TailCache(10);
    cache.extend('b', records(1, 4), false); // a catch-up page: no tail started
    expect(cache.read('b', 0, 4, 100)).toBeUndefined();
    cache.extend('b', records(5, 6), true); // reached the reader's edge: kept
    expect(seqs(cache.read('b', 4, 6, 100))).toEqual([5, 6]);
    cache.extend('b', records(7, 9), false); // continues the tail: kept
    expect(seqs(cache.read('b', 4, 9, 100))).toEqual([5, 6, 7, 8, 9]);
    cache.extend('b', records(1, 3), true); // older: the live tail stays
    expect(seqs(cache.read('b', 6, 9, 100))).toEqual([7, 8, 9]);
  });

  it('starts over when appended records do not continue the tail', () => {
    const cache = new TailCache(10);
    cache.append('b', records(1, 3));
    cache.append('b', records(7, 8));
    expect(cache.read('b', 0, 8, 100)).toBeUndefined();
    expect(seqs(cache.read('b', 6, 8, 100))).toEqual([7, 8]);
  });

  it('evicts the least recently appended build past its build limit, and drops on request', () => {
    const cache = new TailCache(10, 2);
    cache.append('a', records(1, 1));
    cache.append('b', records(1, 1));
    cache.append('a', records(2, 2));
    cache.append('c', records(1, 1));
    expect(cache.read('b', 0, 1, 10)).toBeUndefined();
    expect(seqs(cache.read('a', 0, 2, 10))).toEqual([1, 2]);
    cache.drop('a');
    expect(cache.read('a', 0, 2, 10)).toBeUndefined();
  });

  it('holds nothing when sized zero', () => {
    const cache = new TailCache(0);
    cache.append('b', records(1, 3));
    expect(cache.read('b', 0, 3, 10)).toBeUndefined();
  });
});
