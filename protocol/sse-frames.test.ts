import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SSE_PING_FRAME, SseFrameParser, formatSseFrame } from './sse-frames.js';

describe('SSE frames', () => {
  it('parses what it formats, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.nat(), data: fc.json().map((j) => j.replace(/\n/g, ' ')) }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        (events, cuts) => {
          const text = 'retry: 1500\n\n' + events.map((e) => formatSseFrame(e)).join(SSE_PING_FRAME) + formatSseFrame({ event: 'end', data: '{"final":1}' });
          const parser = new SseFrameParser();
          const frames = [];
          let at = 0;
          for (let i = 0; at < text.length; i++) {
            const size = cuts[i % cuts.length]!;
            frames.push(...parser.push(text.slice(at, at + size)));
            at += size;
          }
          expect(frames[0]).toEqual({ retry: 1500 });
          const parsedEvents = frames.filter((f) => f.id !== undefined).map((f) => ({ id: Number(f.id), data: f.data }));
          expect(parsedEvents).toEqual(events);
          expect(frames.filter((f) => f.comment === 'ping')).toHaveLength(Math.max(0, events.length - 1));
          expect(frames.at(-1)).toEqual({ event: 'end', data: '{"final":1}' });
        },
      ),
    );
  });

  it('keeps a frame cut before its blank line out', () => {
    const parser = new SseFrameParser();
    expect(parser.push('id: 1\ndata: {"seq":1}\n\nid: 2\ndata: {"se')).toEqual([{ id: '1', data: '{"seq":1}' }]);
  });

  it('accepts CRLF line ends and joins multi-line data', () => {
    expect(new SseFrameParser().push('data: a\r\ndata: b\r\n\r\n')).toEqual([{ data: 'a\nb' }]);
  });
});
