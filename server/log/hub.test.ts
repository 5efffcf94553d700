import { describe, expect, it } from 'vitest';
import { HUB_DELIVERY_GROUP, Hub } from './hub.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Hub', () => {
  it('wakes a thousand listeners of one build a group at a time, yielding to the event loop between groups', async () => {
    const hub = new Hub({ channel: 'c', origin: 'o' });
    let called = 0;
    for (let i = 0; i < 1000; i++) hub.subscribe('b', () => called++);
    hub.publish({ kind: 'advanced', buildId: 'b', ack: 1, final: null });
    expect(called).toBe(HUB_DELIVERY_GROUP);
    await turn();
    expect(called).toBe(2 * HUB_DELIVERY_GROUP);
    for (let i = 0; i < 1000 / HUB_DELIVERY_GROUP; i++) await turn();
    expect(called).toBe(1000);
  });

  it('calls every listener of the build and every build-list listener exactly once per notice', async () => {
    const hub = new Hub({ channel: 'c', origin: 'o' });
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) hub.subscribe('b', () => seen.push(`b${i}`));
    hub.subscribe('other', () => seen.push('other'));
    hub.subscribeAll(() => seen.push('all'));
    hub.publish({ kind: 'advanced', buildId: 'b', ack: 1, final: null });
    for (let i = 0; i < 5; i++) await turn();
    expect(seen).toHaveLength(101);
    expect(new Set(seen).size).toBe(101);
    expect(seen).not.toContain('other');
  });
});
