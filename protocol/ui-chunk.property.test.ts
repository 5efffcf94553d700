// The chunk shapes runlog accepts are the ones AI SDK 7.x's own `uiMessageChunkSchema` accepts:
// valid chunks, and valid chunks with one field deleted or replaced by a value of another kind.
import { asSchema, uiMessageChunkSchema } from 'ai';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkToEvent, type Chunk } from '../test/support/ai-sdk-reference.js';
import { validChunk } from '../test/support/ui-chunk-arbitraries.js';
import { UI_CHUNK_TYPES, isUIChunkType, readUIChunk } from './ui-chunk.js';

const oddValue = fc.constantFrom<unknown>(null, 0, -1, 1.5, '', 'x', true, [], [1], {}, { a: {} }, { a: 1 }, { a: [] }, { type: 'source' });

/** A valid chunk, or one with a field deleted or replaced. */
const nearlyValidChunk = fc.tuple(validChunk, fc.nat(), oddValue, fc.boolean()).map(([chunk, n, value, remove]) => {
  const keys = Object.keys(chunk).filter((k) => k !== 'type');
  if (n % 4 === 0 || keys.length === 0) return chunk;
  const key = keys[n % keys.length]!;
  const next: Chunk = { ...chunk };
  if (remove) delete next[key];
  else next[key] = value;
  return next;
});

async function sdkAccepts(chunk: Chunk): Promise<boolean> {
  const result = await asSchema(uiMessageChunkSchema).validate?.(chunk);
  if (result === undefined) throw new Error('the SDK\'s chunk schema cannot validate');
  return result.success;
}

describe('readUIChunk', () => {
  it('accepts a chunk exactly when the SDK\'s schema does', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(nearlyValidChunk, async (chunk) => {
        const { type, data } = chunkToEvent(chunk);
        const ours = readUIChunk(type, data) !== undefined;
        expect(ours).toBe(await sdkAccepts(chunk));
        if (ours) accepted += 1;
        else refused += 1;
      }),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('knows every chunk type of the SDK\'s schema, and only those', async () => {
    for (const type of UI_CHUNK_TYPES) expect(isUIChunkType(type)).toBe(true);
    expect(isUIChunkType('data-anything')).toBe(true);
    for (const type of ['log', 'status', 'tool-input-end', 'ping', 'constructor', '__proto__']) expect(isUIChunkType(type)).toBe(false);
    // A type the schema knows but runlog does not would be accepted by the SDK with only `type`
    // set when it has no required fields; probe with that and with every other name of the union.
    expect(await sdkAccepts({ type: 'tool-input-end', toolCallId: 'c' })).toBe(false);
  });

  it('reads `{type, ...data}` back, the event type winning over a `type` in data, and never throws', () => {
    expect(readUIChunk('text-start', { id: 't', type: 'other' })).toEqual({ id: 't', type: 'text-start' });
    expect(readUIChunk('start-step', null)).toEqual({ type: 'start-step' });
    expect(readUIChunk('text-start', null)).toBeUndefined();
    expect(readUIChunk('text-start', ['t'])).toBeUndefined();
    const hostile = Object.defineProperty({}, 'id', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(readUIChunk('text-start', hostile)).toBeUndefined();
  });
});
