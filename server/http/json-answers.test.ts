import { describe, expect, it } from 'vitest';
import type { JsonPage, PageBounds } from '../log/event-json.js';
import type { LogEngine } from '../log/log-engine.js';
import { JsonAnswers } from './json-answers.js';

/** An engine whose events are `{"seq":n}` padded to `eventBytes`; counts its reads. */
function fakeEngine(eventBytes: number) {
  const engine = {
    reads: 0,
    async readJson(_buildId: string, after: number, upTo: number, bounds: PageBounds): Promise<JsonPage> {
      engine.reads++;
      const last = Math.min(upTo, after + bounds.limit);
      const parts = Array.from({ length: last - after }, (_, i) => `{"seq":${after + i + 1},"pad":"${'x'.repeat(eventBytes)}"}`);
      return { last, count: last - after, parts };
    },
  };
  return engine;
}
const bounds: PageBounds = { limit: 100, maxBytes: 1 << 20 };

describe('JsonAnswers', () => {
  it('answers a repeated read from the one it kept, and polls asking meanwhile share its read', async () => {
    const engine = fakeEngine(10);
    const answers = new JsonAnswers(engine as unknown as LogEngine);
    const [a, b] = await Promise.all([answers.read('b', 'g1', 0, 3, null, bounds), answers.read('b', 'g1', 0, 3, null, bounds)]);
    const c = await answers.read('b', 'g1', 0, 3, null, bounds);
    expect(engine.reads).toBe(1);
    expect(b!.body).toBe(a!.body);
    expect(c.body).toBe(a!.body);
    expect(JSON.parse(Buffer.from(a!.body).toString())).toMatchObject({ ack: 3, final: null, next: 3, events: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] });
    // Another generation, ack, final or bound is another answer.
    await answers.read('b', 'g2', 0, 3, null, bounds);
    await answers.read('b', 'g1', 0, 4, null, bounds);
    await answers.read('b', 'g1', 0, 3, 3, bounds);
    await answers.read('b', 'g1', 0, 3, null, { ...bounds, limit: 2 });
    expect(engine.reads).toBe(5);
  });

  it('keeps at most 64 answers, and no answer larger than 64 KiB', async () => {
    const engine = fakeEngine(10);
    const answers = new JsonAnswers(engine as unknown as LogEngine);
    for (let after = 0; after < 200; after++) await answers.read('b', 'g', after, after + 1, null, bounds);
    expect(answers.size).toBe(64);
    const large = new JsonAnswers(fakeEngine(4096) as unknown as LogEngine);
    const page = await large.read('b', 'g', 0, 100, null, bounds);
    expect(page.body.length).toBeGreaterThan(64 * 1024);
    expect(large.size).toBe(0);
  });

  it('forgets a failed read, so the next poll reads again', async () => {
    let fail = true;
    const engine = {
      reads: 0,
      async readJson(): Promise<JsonPage> {
        engine.reads++;
        if (fail) throw new Error('database gone');
        return { last: 1, count: 1, parts: ['{"seq":1}'] };
      },
    };
    const answers = new JsonAnswers(engine as unknown as LogEngine);
    await expect(answers.read('b', 'g', 0, 1, null, bounds)).rejects.toThrow('database gone');
    fail = false;
    expect((await answers.read('b', 'g', 0, 1, null, bounds)).count).toBe(1);
    expect(engine.reads).toBe(2);
  });
});
