// pipeUIMessageStream: each chunk an event in order, no more than `maxPending` emits waiting for
// durability before the next read, and the first refused emit cancels the stream.
import { describe, expect, it } from 'vitest';
import { pipeUIMessageStream } from './ui-message-pipe.js';

type Chunk = { type: string; [field: string]: unknown };

/** A pull stream of `n` chunks that counts how many were read. */
function counted(n: number): { stream: ReadableStream<Chunk>; read: () => number; canceled: () => unknown } {
  let i = 0;
  let reason: unknown;
  const stream = new ReadableStream<Chunk>(
    {
      pull(controller) {
        if (i === n) controller.close();
        else controller.enqueue({ type: 'text-delta', id: 't', delta: String(i++) });
      },
      cancel(r) {
        reason = r;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, read: () => i, canceled: () => reason };
}

describe('pipeUIMessageStream', () => {
  it('emits each chunk as {type, data: rest}, in order, and resolves with the count and the last seq', async () => {
    const emitted: Array<[string, unknown]> = [];
    const stream = new ReadableStream<Chunk>({
      start(c) {
        c.enqueue({ type: 'start', messageId: 'm1' });
        c.enqueue({ type: 'text-start', id: 't' });
        c.enqueue({ type: 'finish-step' });
        c.close();
      },
    });
    const result = await pipeUIMessageStream(async (type, data) => emitted.push([type, data]), stream);
    expect(emitted).toEqual([['start', { messageId: 'm1' }], ['text-start', { id: 't' }], ['finish-step', {}]]);
    expect(result).toEqual({ events: 3, lastSeq: 3 });
  });

  it('stops reading while maxPending emits are not durable, and goes on as they become durable', async () => {
    const { stream, read } = counted(50);
    const waiting: Array<() => void> = [];
    let seq = 0;
    const emit = () => new Promise<number>((resolve) => { const s = ++seq; waiting.push(() => resolve(s)); });
    const done = pipeUIMessageStream(emit, stream, { maxPending: 4 });
    await new Promise((r) => setTimeout(r, 30));
    expect(seq).toBe(4);
    expect(read()).toBeLessThanOrEqual(5); // the stream itself may hold one more
    waiting.shift()!();
    await new Promise((r) => setTimeout(r, 30));
    expect(seq).toBe(5);
    for (;;) {
      const next = waiting.shift();
      if (next === undefined) {
        if (seq === 50) break;
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      next();
      await Promise.resolve();
    }
    expect(await done).toEqual({ events: 50, lastSeq: 50 });
  });

  it('rejects with the first refused emit and cancels the stream', async () => {
    const { stream, canceled } = counted(100);
    let seq = 0;
    const refusal = new Error('event too large');
    const emit = (): Promise<number> => (++seq === 3 ? Promise.reject(refusal) : Promise.resolve(seq));
    await expect(pipeUIMessageStream(emit, stream, { maxPending: 2 })).rejects.toBe(refusal);
    expect(canceled()).toBe(refusal);
    expect(seq).toBeLessThan(10);
  });

  it('refuses a bad maxPending and a value that is not a stream, naming them', async () => {
    const emit = async () => 1;
    await expect(pipeUIMessageStream(emit, counted(1).stream, { maxPending: 0 })).rejects.toThrow(/`maxPending`/);
    await expect(pipeUIMessageStream(emit, [] as never)).rejects.toThrow(/`stream`/);
  });
});
