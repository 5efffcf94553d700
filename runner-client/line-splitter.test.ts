// exec's line reading: `\n` ends a line, `\r` rewrites stay inside it, long lines are cut safely.
import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

const split = (chunks: Array<string | Buffer>, maxChars = 1000, maxJsonBytes = 6000) => {
  const lines: string[] = [];
  const splitter = new LineSplitter(maxChars, maxJsonBytes, (l) => lines.push(l));
  for (const chunk of chunks) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
};

describe('LineSplitter', () => {
  it('keeps a carriage-return rewrite as one line and ends lines at \\n or \\r\\n only', () => {
    expect(split(['progress 33%\rprogress 66%\r', 'progress 100%\ndone\r\n', 'tail'])).toEqual(['progress 33%\rprogress 66%\rprogress 100%', 'done', 'tail']);
    expect(split(['a\r', '\nb\n\n'])).toEqual(['a', 'b', '']);
    expect(split(['\r\r\r\n'])).toEqual(['\r\r']);
  });

  it('decodes UTF-8 split across chunks and replaces invalid bytes', () => {
    const euro = Buffer.from('€');
    expect(split([euro.subarray(0, 1), Buffer.concat([euro.subarray(1), Buffer.from('\n')]), Buffer.from([0xff, 0x41, 0x0a])])).toEqual(['€', '\ufffdA']);
  });

  it('keeps an escape sequence cut by a chunk boundary whole', () => {
    expect(split(['\x1b[3', '1mred\x1b', '[0m\n'])).toEqual(['\x1b[31mred\x1b[0m']);
  });

  it('cuts a long line into pieces, never inside an escape sequence or a surrogate pair', () => {
    const line = `${'x'.repeat(995)}\x1b[38;2;10;20;30mcolour${'y'.repeat(1500)}`;
    const pieces = split([`${line}\n`]);
    expect(pieces.join('')).toBe(line);
    expect(pieces[0]).toBe('x'.repeat(995));
    expect(pieces.every((p) => p.length <= 1000)).toBe(true);
    const emoji = `${'z'.repeat(999)}😀end`;
    const cut = split([emoji]);
    expect(cut).toEqual(['z'.repeat(999), '😀end']);
  });

  it('cuts a line whose JSON would pass the byte limit, though it has few characters', () => {
    const escapes = '\x1b'.repeat(900); // 900 characters, 5 400 bytes of JSON
    const pieces = split([`${escapes}\n`], 1000, 3000);
    expect(pieces.join('')).toBe(escapes);
    expect(pieces.every((p) => Buffer.byteLength(JSON.stringify(p)) <= 3000)).toBe(true);
  });

  it('sends the front of a line that grows without end instead of holding it all', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(100, 600, (l) => lines.push(l));
    for (let i = 0; i < 50; i++) splitter.write(Buffer.from('0123456789\r'));
    expect(lines.length).toBe(5);
    expect(lines.every((l) => l.length === 100)).toBe(true);
  });
});
