// PROTOCOL §UI messages against the real AI SDK: arbitrary sequences of chunks its schema
// accepts give the same UIMessages from runlog's fold as from readUIMessageStream — or both
// refuse the same chunk, which runlog then counts as malformed and skips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkToEvent, firstRejected, referenceMessages, type Chunk } from '../test/support/ai-sdk-reference.js';
import { chunkSequence } from '../test/support/ui-chunk-arbitraries.js';
import { initialMessagesState, reduceMessages, type MessagesState } from './ui-messages.js';

const fold = (chunks: readonly Chunk[], from: MessagesState = initialMessagesState()): MessagesState => reduceMessages(from, chunks.map(chunkToEvent));
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('reduceMessages against readUIMessageStream', () => {
  it('gives the SDK\'s UIMessages for every sequence of valid chunks, or refuses the same chunk', async () => {
    let agreed = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(chunkSequence(24), async (chunks) => {
        const rejectedAt = await firstRejected(chunks);
        if (rejectedAt === -1) {
          const ours = fold(chunks);
          expect(json(ours.messages)).toEqual((await referenceMessages(chunks)).messages);
          expect(ours.malformed).toBe(0);
          agreed += 1;
          return;
        }
        // Both refuse chunk k: runlog agrees with the SDK up to it, counts it, and changes nothing for it.
        const before = fold(chunks.slice(0, rejectedAt));
        expect(before.malformed).toBe(0);
        expect(json(before.messages)).toEqual((await referenceMessages(chunks.slice(0, rejectedAt))).messages);
        const at = fold(chunks.slice(rejectedAt, rejectedAt + 1), before);
        expect(at.malformed).toBe(1);
        expect(json(at.messages)).toEqual(json(before.messages));
        refused += 1;
      }),
      { numRuns: 300 },
    );
    console.log(`ui-messages property: ${agreed} sequences agreed whole, ${refused} refused at the same chunk`);
    // Both sides of the property ran, not just the refusals.
    expect(agreed).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(30);
  });

  it('folds the same in any chunking, and from a snapshot that went through JSON', () => {
    fc.assert(
      fc.property(chunkSequence(30), fc.nat(), (chunks, cut) => {
        const events = chunks.map(chunkToEvent);
        const at = cut % (events.length + 1);
        const whole = reduceMessages(initialMessagesState(), events);
        const split = reduceMessages(reduceMessages(initialMessagesState(), events.slice(0, at)), events.slice(at));
        expect(split).toEqual(whole);
        const served = json(reduceMessages(initialMessagesState(), events.slice(0, at))) as MessagesState;
        expect(json(reduceMessages(served, events.slice(at)))).toEqual(json(whole));
      }),
      { numRuns: 300 },
    );
  });

  it('never mutates the state it folds from', () => {
    fc.assert(
      fc.property(chunkSequence(30), fc.nat(), (chunks, cut) => {
        const events = chunks.map(chunkToEvent);
        const at = cut % (events.length + 1);
        const base = reduceMessages(initialMessagesState(), events.slice(0, at));
        const copy = structuredClone(base);
        reduceMessages(base, events.slice(at));
        expect(base).toEqual(copy);
      }),
      { numRuns: 200 },
    );
  });
});
