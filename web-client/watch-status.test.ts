import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReconnectClock, reconnectDelayMs } from './watch-status.js';

describe('ReconnectClock', () => {
  afterEach(() => vi.useRealTimers());

  it('counts failures in a row from when the trouble began, and starts over after reset', () => {
    vi.useFakeTimers({ now: 1000 });
    const clock = new ReconnectClock({});
    expect(clock.fail()).toEqual({ kind: 'reconnecting', attempt: 1, since: 1000 });
    vi.setSystemTime(5000);
    expect(clock.fail()).toEqual({ kind: 'reconnecting', attempt: 2, since: 1000 });
    clock.reset();
    expect(clock.fail()).toEqual({ kind: 'reconnecting', attempt: 1, since: 5000 });
  });

  it('runs one scheduled retry after the backoff delay; a new schedule or cancel replaces it', () => {
    vi.useFakeTimers();
    const clock = new ReconnectClock({ reconnectBaseMs: 100, reconnectMaxMs: 100 });
    clock.fail();
    const first = vi.fn();
    const second = vi.fn();
    clock.schedule(first);
    clock.schedule(second);
    vi.advanceTimersByTime(100);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
    clock.schedule(first);
    clock.cancel();
    vi.advanceTimersByTime(1000);
    expect(first).not.toHaveBeenCalled();
  });

  it('draws delays within [base/2, min(cap, base·2^attempt)]', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      for (const r of [0, 0.5, 0.999]) {
        const delay = reconnectDelayMs(attempt, { reconnectBaseMs: 1000, reconnectMaxMs: 15_000 }, () => r);
        expect(delay).toBeGreaterThanOrEqual(500);
        expect(delay).toBeLessThanOrEqual(Math.min(15_000, 1000 * 2 ** attempt));
      }
    }
  });
});
