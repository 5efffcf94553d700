import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresenceThrottle, type ThrottleClock, type WriteOutcome } from './presence-throttle.js';

/** A clock whose time moves only when the test says, firing due timers in order. */
class FakeClock implements ThrottleClock {
  time = 0;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #nextId = 0;

  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#nextId;
    this.#timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (next === undefined || next.at > until) break;
      this.#timers.shift();
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = until;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Offer {
  readonly key: string;
  readonly n: number;
  readonly at: number;
}

function harness(outcome: (offer: Offer) => WriteOutcome = () => 'written') {
  const clock = new FakeClock();
  const writes: Array<{ offer: Offer; at: number; slot: number }> = [];
  const throttle = new PresenceThrottle<Offer>(
    async (_key, offer, slot) => {
      writes.push({ offer, at: clock.time, slot });
      return outcome(offer);
    },
    (error) => {
      throw error;
    },
    clock,
  );
  return { clock, writes, throttle };
}

describe('PresenceThrottle', () => {
  it('writes the first report of a quiet build at once and holds the rest of the window', async () => {
    const { clock, writes, throttle } = harness();
    expect(await throttle.offer('b', { key: 'b', n: 1, at: 0 }, 1000)).toBe('written');
    for (let n = 2; n <= 20; n++) {
      await clock.advance(40);
      expect(await throttle.offer('b', { key: 'b', n, at: clock.time }, 1000)).toBe('deferred');
    }
    expect(writes.map((w) => w.offer.n)).toEqual([1]);
    await clock.advance(1000);
    // Only the newest held report is written, when the window ends.
    expect(writes.map((w) => [w.offer.n, w.at])).toEqual([
      [1, 0],
      [20, 1000],
    ]);
    await clock.advance(5000);
    expect(writes).toHaveLength(2);
    expect(throttle.size).toBe(0); // a quiet build is forgotten one window after its last write
  });

  it('keeps a report another instance was first to write, and writes it when the window ends', async () => {
    let refuse = true;
    const { clock, writes, throttle } = harness(() => (refuse ? ((refuse = false), 'throttled') : 'written'));
    expect(await throttle.offer('b', { key: 'b', n: 1, at: 0 }, 500)).toBe('throttled');
    await clock.advance(500);
    expect(writes.map((w) => [w.offer.n, w.at])).toEqual([
      [1, 0],
      [1, 500],
    ]);
  });

  it('drops a report of a build that is gone or already has a newer one stored', async () => {
    for (const refusal of ['gone', 'superseded'] as const) {
      const { clock, writes, throttle } = harness(() => refusal);
      await throttle.offer('b', { key: 'b', n: 1, at: 0 }, 500);
      await clock.advance(2000);
      expect(writes).toHaveLength(1);
      expect(throttle.size).toBe(0);
    }
  });

  it('writes a report that comes once per window, or a little later, at once every time', async () => {
    const { clock, writes, throttle } = harness();
    for (let n = 0; n < 10; n++) {
      expect(await throttle.offer('b', { key: 'b', n, at: clock.time }, 300)).toBe('written');
      await clock.advance(300 + (n % 3));
    }
    expect(writes.every((w) => w.at === w.offer.at)).toBe(true);
  });

  it('keeps held reports on the grid of slots when the timer fires late', async () => {
    const { clock, writes, throttle } = harness();
    await throttle.offer('b', { key: 'b', n: 1, at: 0 }, 100);
    await clock.advance(10);
    await throttle.offer('b', { key: 'b', n: 2, at: 10 }, 100);
    await clock.advance(90);
    expect(writes.map((w) => w.slot)).toEqual([0, 100]);
  });

  it('drops a held report when its build is deleted', async () => {
    const { clock, writes, throttle } = harness();
    await throttle.offer('b', { key: 'b', n: 1, at: 0 }, 500);
    await throttle.offer('b', { key: 'b', n: 2, at: 0 }, 500);
    throttle.drop('b');
    await clock.advance(2000);
    expect(writes.map((w) => w.offer.n)).toEqual([1]);
  });

  it('never writes a build twice within a window, never writes an older report after a newer, and writes the newest within one window', async () => {
    const WINDOW = 100;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), dt: fc.integer({ min: 0, max: 2 * WINDOW }) }), { minLength: 1, maxLength: 60 }),
        async (steps) => {
          const { clock, writes, throttle } = harness();
          const offers: Offer[] = [];
          for (const [n, step] of steps.entries()) {
            await clock.advance(step.dt);
            const offer = { key: step.key, n, at: clock.time };
            offers.push(offer);
            await throttle.offer(step.key, offer, WINDOW);
          }
          await clock.advance(3 * WINDOW);
          for (const key of ['a', 'b', 'c']) {
            const mine = writes.filter((w) => w.offer.key === key);
            for (let i = 1; i < mine.length; i++) {
              expect(mine[i]!.at - mine[i - 1]!.at).toBeGreaterThanOrEqual(WINDOW);
              expect(mine[i]!.slot - mine[i - 1]!.slot).toBeGreaterThanOrEqual(WINDOW);
              expect(mine[i]!.offer.n).toBeGreaterThan(mine[i - 1]!.offer.n);
            }
            const last = offers.filter((o) => o.key === key).at(-1);
            if (last === undefined) continue;
            const written = mine.find((w) => w.offer === last);
            expect(written, `the last report of ${key} is written`).toBeDefined();
            expect(written!.at - last.at).toBeLessThanOrEqual(WINDOW);
          }
          expect(throttle.size).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
