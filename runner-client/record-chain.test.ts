import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canonicalJson } from '../protocol/canonical-json.js';
import { chainDigest } from '../protocol/hash-chain.js';
import { encodeEvent } from './event-input.js';
import { canonicalJsonText, chainRecord } from './record-chain.js';

const LIMITS = { maxEventDataBytes: 1024 * 1024, maxEventDataDepth: 1000 };
const TIME = '2026-01-02T03:04:05.678Z';

describe('chainRecord', () => {
  afterEach(() => vi.restoreAllMocks());

  it('digests any event exactly as chainDigest does over the parsed event', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary' })), fc.constantFrom(TIME, null), fc.integer({ min: 1, max: 2 ** 40 }), (data, time, seq) => {
        const payload = Buffer.from(encodeEvent('log', data, time, LIMITS));
        const event = JSON.parse(payload.toString()) as { type: string; data: unknown; time: string | null };
        expect(chainRecord('prev', seq, payload)).toBe(chainDigest('prev', { seq, ...event }));
      }),
      { numRuns: 2000 },
    );
  });

  it('builds canonical JSON from JSON.stringify text, or declines', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary' })), (value) => {
        const text = JSON.stringify(value);
        const built = canonicalJsonText(text);
        if (built !== undefined) expect(built).toBe(canonicalJson(JSON.parse(text)));
      }),
      { numRuns: 5000 },
    );
  });

  it('declines what it cannot be sure prints back unchanged', () => {
    for (const text of ['1.5', '1e3', '-0', '1234567890123456', '"\\u0041"', '{"a":1,"a":2}', '{"\\n":1}', ' 1', '[1, 2]', '{"a":1', 'nul']) {
      expect(canonicalJsonText(text), text).toBeUndefined();
    }
    expect(canonicalJsonText('{"t":0,"stream":"stdout","line":"a\\"b","n":[{"b":1,"a":null}]}')).toBe('{"line":"a\\"b","n":[{"a":null,"b":1}],"stream":"stdout","t":0}');
  });

  it('parses no JSON for the records of ordinary events: 1000 records, 0 JSON.parse calls', () => {
    const payloads = Array.from({ length: 1000 }, (_, i) =>
      Buffer.from(encodeEvent('log', { t: i, stream: 'stdout', line: `line ${i}`, tags: ['a', 'b'], ok: true }, TIME, LIMITS)),
    );
    const parse = vi.spyOn(JSON, 'parse');
    let digest = '';
    payloads.forEach((payload, i) => (digest = chainRecord(digest, i + 1, payload)));
    expect(parse).toHaveBeenCalledTimes(0);
    parse.mockRestore();
    const events = payloads.map((p) => JSON.parse(p.toString()) as { type: string; data: unknown; time: string | null });
    expect(digest).toBe(events.reduce((d, e, i) => chainDigest(d, { seq: i + 1, ...e }), ''));
  });
});
