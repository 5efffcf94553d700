// The terminal-line grammar: styles, links, rewrites, and hostile lines that must neither show
// garbage nor take more than linear time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PLAIN_STYLE, TRUECOLOR, ansiColorHex } from './ansi-style.js';
import { parseTerminalLine, stripAnsi, visibleText } from './ansi-text.js';

const ESC = '\x1b';
const text = (line: string) => parseTerminalLine(line).runs.map((r) => r.text).join('');

describe('parseTerminalLine', () => {
  it('keeps a plain line as one plain run', () => {
    expect(parseTerminalLine('hello\tworld')).toEqual({ runs: [{ text: 'hello\tworld', style: PLAIN_STYLE, href: null }], cut: 0 });
    expect(parseTerminalLine('').runs).toEqual([]);
  });

  it('reads SGR colours in 16, 256 and 24-bit forms, with bold, dim, italic, underline, inverse and reset', () => {
    const runs = parseTerminalLine(`${ESC}[1;31mred${ESC}[0m plain ${ESC}[38;5;208mor${ESC}[38;2;1;2;3mtc${ESC}[48:2::9:8:7mbg${ESC}[2;3;4;7mall${ESC}[22;23;24;27;39;49mnone`).runs;
    expect(runs.map((r) => r.text)).toEqual(['red', ' plain ', 'or', 'tc', 'bg', 'all', 'none']);
    expect(runs[0]!.style).toMatchObject({ fg: 1, bold: true });
    expect(runs[1]!.style).toBe(PLAIN_STYLE);
    expect(runs[2]!.style.fg).toBe(208);
    expect(runs[3]!.style.fg).toBe(TRUECOLOR + 0x010203);
    expect(runs[4]!.style).toMatchObject({ fg: TRUECOLOR + 0x010203, bg: TRUECOLOR + 0x090807 });
    expect(runs[5]!.style).toMatchObject({ dim: true, italic: true, underline: true, inverse: true });
    expect(runs[6]!.style).toEqual(PLAIN_STYLE);
    expect(ansiColorHex(208)).toBe('#ff8700');
    expect(ansiColorHex(TRUECOLOR + 0x010203)).toBe('#010203');
    expect(ansiColorHex(-1)).toBeNull();
  });

  it('shows a line rewritten with \\r as its last state, overwriting like a terminal', () => {
    expect(text('progress 33%\rprogress 66%\rprogress 100%')).toBe('progress 100%');
    expect(text('downloading...\rdone')).toBe('doneloading...');
    expect(text(`downloading...\r${ESC}[2Kdone`)).toBe('done');
    expect(text(`abc\r${ESC}[Kx`)).toBe('x');
    expect(text('\r\r\r\r')).toBe('');
    expect(text('ab\bc')).toBe('ac');
    expect(text(`${ESC}[5Gx`)).toBe('    x');
  });

  it('turns OSC 8 into links, closed by an empty URI, with BEL or ST', () => {
    const runs = parseTerminalLine(`see ${ESC}]8;;https://example.com/a${ESC}\\docs${ESC}]8;;${ESC}\\ and ${ESC}]8;id=1;javascript:alert(1)\x07x${ESC}]8;;\x07.`).runs;
    expect(runs.map((r) => [r.text, r.href])).toEqual([
      ['see ', null],
      ['docs', 'https://example.com/a'],
      [' and ', null],
      ['x', 'javascript:alert(1)'], // the grammar reports it; the renderer refuses it
      ['.', null],
    ]);
  });

  it('shows no trace of other sequences, controls, or sequences cut off by the end of the line', () => {
    const hostile = [
      `a${ESC}[?25lb${ESC}[2Jc${ESC}]0;title\x07d${ESC}Pdcs${ESC}\\e${ESC}(Bf\x07g\x00h\x9b31mi${ESC}[1 qj`,
      `abcdefghij${ESC}[38;2;1`,
      `abcdefghij${ESC}]8;;https://x`,
      `abcdefghij${ESC}`,
    ];
    expect(text(hostile[0]!)).toBe('abcdefghij');
    for (const line of hostile.slice(1)) expect(text(line)).toBe('abcdefghij');
  });

  it('stays linear on 10 000 nested SGR codes and a megabyte line, and cuts at maxColumns', () => {
    const nested = `${`${ESC}[1m${ESC}[31m`.repeat(10_000)}deep${`${ESC}[0m`.repeat(10_000)}`;
    expect(text(nested)).toBe('deep');
    const oneParam = `${ESC}[${'1;'.repeat(10_000)}31mx`;
    expect(parseTerminalLine(oneParam).runs[0]!.style).toMatchObject({ bold: true, fg: 1 });
    const huge = `${ESC}[32m${'x'.repeat(1024 * 1024)}`;
    const parsed = parseTerminalLine(huge, { maxColumns: 5000 });
    expect(parsed.runs[0]!.text).toHaveLength(5000);
    expect(parsed.cut).toBe(1024 * 1024 - 5000);
  });

  it('never throws and never shows an ESC byte, whatever the line', () => {
    const piece = fc.oneof(fc.string(), fc.constantFrom(ESC, `${ESC}[`, `${ESC}]`, '\r', '\b', ';', 'm', 'K', '8;;', '\x07', '\x9b', '\x9c', `${ESC}\\`, '38;2;', '\u00ff'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const line = pieces.join('');
        const shown = text(line);
        expect(shown).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
        expect(visibleText(line)).toBe(shown);
        expect(stripAnsi(line)).not.toContain(ESC);
      }),
    );
  });
});

describe('stripAnsi', () => {
  it('removes escape sequences and keeps text, \\r and tabs as stored', () => {
    expect(stripAnsi(`${ESC}[31mred${ESC}[0m\tx\rprogress ${ESC}]8;;https://a${ESC}\\link${ESC}]8;;${ESC}\\`)).toBe('red\tx\rprogress link');
    expect(stripAnsi('plain \u00e9 \ufffd')).toBe('plain \u00e9 \ufffd');
  });
});
