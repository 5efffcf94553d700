// PROTOCOL §Integrity: the hash chain against an independent sha256, and its sensitivity properties.
import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.js';
import { EMPTY_DIGEST, chainDigest, chainDigests, eventContentKey, portableSha256Hex, type ChainEvent } from './hash-chain.js';

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const EVENTS: ChainEvent[] = [
  { seq: 1, type: 'start', data: {}, time: '2026-11-27T18:00:00.000Z' },
  { seq: 2, type: 'log', data: { stream: 'stdout', line: 'héllo €' }, time: null },
  { seq: 3, type: 'finish' }, // data and time absent → null
];
// The canonical forms, written out by hand so the vector does not lean on canonicalJson.
const CANONICAL = [
  '{"data":{},"seq":1,"time":"2026-11-27T18:00:00.000Z","type":"start"}',
  '{"data":{"line":"héllo €","stream":"stdout"},"seq":2,"time":null,"type":"log"}',
  '{"data":null,"seq":3,"time":null,"type":"finish"}',
];
// d_3 as computed by coreutils: printf '%s\n%s' "$d_prev" "$canonical" | sha256sum, chained.
const D3 = '71cedf4d83714e0c9f8c1cbe032171a658098061e0de81a6f6d41d7ccf8f92e8';

const eventArb: fc.Arbitrary<ChainEvent> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  type: fc.string({ minLength: 1 }),
  data: fc.jsonValue(),
  time: fc.option(fc.string()),
});
const sameContent = (a: ChainEvent, b: ChainEvent): boolean =>
  canonicalJson({ ...a, data: a.data ?? null, time: a.time ?? null }) === canonicalJson({ ...b, data: b.data ?? null, time: b.time ?? null });

describe('chainDigest', () => {
  it('matches sha256 of previous + "\\n" + canonical JSON, computed with node:crypto', () => {
    let expected = '';
    for (const [i, text] of CANONICAL.entries()) {
      expected = sha256Hex(`${expected}\n${text}`);
      expect(chainDigests(EMPTY_DIGEST, EVENTS.slice(0, i + 1))).toBe(expected);
    }
    expect(expected).toBe(D3);
  });

  it('starts from the empty string for an empty log', () => {
    expect(EMPTY_DIGEST).toBe('');
    expect(chainDigests(EMPTY_DIGEST, [])).toBe('');
    expect(chainDigest(EMPTY_DIGEST, EVENTS[0]!)).toBe(sha256Hex(`\n${CANONICAL[0]}`));
  });

  it('treats absent data and time as null', () => {
    expect(chainDigest('x', { seq: 3, type: 'finish' })).toBe(chainDigest('x', { seq: 3, type: 'finish', data: null, time: null }));
    expect(chainDigest('x', { seq: 3, type: 'finish', data: undefined, time: undefined })).toBe(
      chainDigest('x', { seq: 3, type: 'finish', data: null, time: null }),
    );
  });

  it('ignores fields outside {seq, type, data, time}, such as receivedAt', () => {
    const withReceivedAt = { ...EVENTS[1]!, receivedAt: '2026-11-27T18:00:01.000Z' };
    expect(chainDigest('', withReceivedAt)).toBe(chainDigest('', EVENTS[1]!));
  });

  it('folds like repeated chainDigest and is deterministic', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(eventArb, { maxLength: 8 }), (start, events) => {
        const folded = events.reduce((d, e) => chainDigest(d, e), start);
        expect(chainDigests(start, events)).toBe(folded);
        expect(chainDigests(start, events)).toBe(chainDigests(start, structuredClone(events)));
      }),
      { numRuns: 200 },
    );
  });

  it('changes when two events with different content swap places', () => {
    fc.assert(
      fc.property(eventArb, eventArb, (a, b) => {
        fc.pre(!sameContent(a, b));
        expect(chainDigests('', [a, b])).not.toBe(chainDigests('', [b, a]));
      }),
      { numRuns: 200 },
    );
  });

  it('changes when any one field, or the previous digest, changes', () => {
    const fieldChange = fc.oneof(
      fc.record({ field: fc.constant('seq' as const), value: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
      fc.record({ field: fc.constant('type' as const), value: fc.string({ minLength: 1 }) }),
      fc.record({ field: fc.constant('data' as const), value: fc.jsonValue() }),
      fc.record({ field: fc.constant('time' as const), value: fc.option(fc.string()) }),
    );
    fc.assert(
      fc.property(fc.string(), eventArb, fieldChange, (previous, event, { field, value }) => {
        const changed = { ...event, [field]: value } as ChainEvent;
        fc.pre(!sameContent(event, changed));
        expect(chainDigest(previous, changed)).not.toBe(chainDigest(previous, event));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), eventArb, (p1, p2, event) => {
        fc.pre(p1 !== p2);
        expect(chainDigest(p1, event)).not.toBe(chainDigest(p2, event));
      }),
      { numRuns: 100 },
    );
  });
});

describe('eventContentKey', () => {
  it('is the canonical JSON of {type, data, time} with absent values as null', () => {
    expect(eventContentKey({ type: 'log', data: { stream: 'stdout', line: 'a' } })).toBe(
      '{"data":{"line":"a","stream":"stdout"},"time":null,"type":"log"}',
    );
    expect(eventContentKey({ type: 'start' })).toBe('{"data":null,"time":null,"type":"start"}');
  });

  it('calls retried events identical whatever their key order, and different ones different', () => {
    expect(eventContentKey({ type: 't', data: { a: 1, b: [1, 2] }, time: null })).toBe(
      eventContentKey({ time: null, data: { b: [1, 2], a: 1 }, type: 't' }),
    );
    expect(eventContentKey({ type: 't', data: { a: 1 } })).not.toBe(eventContentKey({ type: 't', data: { a: 2 } }));
    expect(eventContentKey({ type: 't', data: null })).not.toBe(eventContentKey({ type: 't', data: 'null' }));
    expect(eventContentKey({ type: 't', time: '2026-11-27T18:00:00Z' })).not.toBe(eventContentKey({ type: 't', time: '2026-11-27T18:00:00.000Z' }));
  });
});

describe('portableSha256Hex', () => {
  it('agrees with node:crypto on ASCII, multi-byte and astral text', () => {
    for (const text of ['', 'abc', 'é – ✓', '𝄞 \u0000 \n', 'x'.repeat(10_000)]) {
      expect(portableSha256Hex(text)).toBe(sha256Hex(text));
    }
  });
});
