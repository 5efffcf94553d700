import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, BackoffDefaults, parseRetryAfter } from './backoff.js';

describe('Backoff', () => {
  it('draws every delay within [0, min(cap, base·2^n)] for the n-th consecutive failure', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1000, max: 60_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 80 }),
        (base, cap, draws) => {
          let i = 0;
          const backoff = new Backoff({ baseDelayMs: base, maxDelayMs: cap, random: () => draws[i++ % draws.length]! });
          for (let n = 0; n < draws.length; n++) {
            const ceiling = Math.min(cap, base * 2 ** n);
            expect(backoff.ceilingMs()).toBe(ceiling);
            const delay = backoff.next();
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(ceiling);
          }
        },
      ),
    );
  });

  it('uses the PROTOCOL defaults: base 100 ms, cap 10 s', () => {
    const backoff = new Backoff({ random: () => 0.999_999 });
    const delays = Array.from({ length: 12 }, () => backoff.next());
    expect(delays.slice(0, 4)).toEqual([99, 199, 399, 799]);
    expect(Math.max(...delays)).toBe(9_999);
    expect(delays.at(-1)).toBe(9_999);
  });

  it('respects the cap after any number of failures, without overflowing', () => {
    const backoff = new Backoff({ baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0.5 });
    for (let n = 0; n < 5_000; n++) backoff.next();
    expect(backoff.ceilingMs()).toBe(10_000);
    expect(backoff.next()).toBe(5_000);
  });

  it('starts again at base after a success', () => {
    const backoff = new Backoff({ random: () => 0.999 });
    for (let n = 0; n < 6; n++) backoff.next();
    expect(backoff.attempt).toBe(6);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.ceilingMs()).toBe(100);
    expect(backoff.next()).toBeLessThan(100);
  });

  it('never waits less than Retry-After, and clamps an absurd one', () => {
    const backoff = new Backoff({ random: () => 0 });
    expect(backoff.next(5_000)).toBe(5_000);
    const jittery = new Backoff({ random: () => 0.999, maxDelayMs: 10_000 });
    for (let n = 0; n < 10; n++) jittery.next();
    expect(jittery.next(1_000)).toBeGreaterThan(1_000);
    expect(new Backoff().next(86_400_000)).toBe(BackoffDefaults.maxRetryAfterMs);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates, and ignores anything else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
