import { describe, expect, it } from 'vitest';
import { WAKE_GROUP, Waker } from './waker.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Waker', () => {
  it('wakes a thousand sleepers a group per turn of the event loop, none where the wake was asked for', async () => {
    let woken = 0;
    const wakers = Array.from({ length: 1000 }, () => new Waker());
    for (const w of wakers) void w.sleep(60_000).then(() => woken++);
    for (const w of wakers) w.wake();
    await Promise.resolve();
    expect(woken).toBe(0);
    await turn();
    expect(woken).toBe(WAKE_GROUP);
    await turn();
    expect(woken).toBe(2 * WAKE_GROUP);
    for (let i = 0; i < 1000 / WAKE_GROUP; i++) await turn();
    expect(woken).toBe(1000);
  });

  it('still ends a sleep by its timeout or its signal, and a wake without a sleeper does nothing', async () => {
    const w = new Waker();
    w.wake();
    const started = Date.now();
    await w.sleep(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4);
    const controller = new AbortController();
    const sleeping = w.sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
  });

  it('ends a sleep in the same turn on wakeNow, however many wakes are queued', async () => {
    const queued = Array.from({ length: 3 * WAKE_GROUP }, () => new Waker());
    for (const w of queued) void w.sleep(60_000);
    for (const w of queued) w.wake();
    const closing = new Waker();
    let ended = false;
    void closing.sleep(60_000).then(() => (ended = true));
    closing.wakeNow();
    await Promise.resolve();
    expect(ended).toBe(true);
    await new Promise((r) => setTimeout(r, 10)); // let the queued groups run
  });
});
