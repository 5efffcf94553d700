// PROTOCOL §Event vocabulary, `log` lines: what a line of terminal output shows. A `line` may
// hold ANSI escape sequences (colours, OSC 8 links, cursor and erase controls) and `\r`
// rewrites (progress bars). One grammar, shared by the server (the raw download's
// `?ansi=strip`, the search text) and the browser (the log viewer), so search matches what the
// page shows and the stripped download drops exactly what the page hides.
//
// The grammar is ECMA-48's, as terminals parse it (the DEC/xterm parser states): ESC followed by
// `[` (CSI), `]` (OSC), `P` `X` `^` `_` (strings up to ST), or by intermediates and a final byte;
// the 8-bit C1 forms U+0080–U+009F likewise. A sequence cut off by the end of the line is
// dropped, as a terminal would keep waiting for its end. Nothing here ever throws.

import { PLAIN_STYLE, applySgr, type AnsiStyle } from './ansi-style.js';

/** Text in one style, optionally inside an OSC 8 hyperlink (the URL as written: check it before use). */
export interface AnsiRun {
  readonly text: string;
  readonly style: AnsiStyle;
  readonly href: string | null;
}

export interface TerminalLine {
  readonly runs: readonly AnsiRun[];
  /** Characters past `maxColumns` that were not kept. */
  readonly cut: number;
}

const ESC = 0x1b;
/** Any C0 control but tab, DEL, or a C1 control: a line without one is plain text. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CONTROL_G = new RegExp(CONTROL.source, 'g');

/** Receives a line's pieces in order. */
interface Sink {
  text(s: string): void;
  /** A C0 control other than ESC (`\r`, `\b`, BEL, …). */
  control(code: number): void;
  csi(params: string, final: string): void;
  osc(payload: string): void;
}

/**
 * Splits `line` into text, controls and sequences. Linear in the line's length whatever it
 * holds (10 000 SGR codes, a megabyte without a terminator).
 */
function scan(line: string, sink: Sink): void {
  const n = line.length;
  let textStart = 0;
  // Jump from control to control natively: most of a line is text. (Sinks never scan, so one
  // shared global regex is safe.)
  const next = CONTROL_G;
  for (;;) {
    next.lastIndex = textStart;
    const found = next.exec(line);
    const i = found === null ? n : found.index;
    if (i > textStart) sink.text(line.slice(textStart, i));
    if (found === null) return;
    textStart = sequenceEnd(line, i, sink);
  }
}

/** Reads the control or sequence at `i` (reporting it to `sink`); returns where text resumes. */
function sequenceEnd(line: string, i: number, sink: Sink): number {
  const n = line.length;
  const c = line.charCodeAt(i);
  let at = i + 1;
  let kind: 'csi' | 'osc' | 'string' | 'esc';
  if (c === ESC) {
    if (at >= n) return n;
    const b = line.charCodeAt(at);
    if (b === 0x5b) kind = 'csi';
    else if (b === 0x5d) kind = 'osc';
    else if (b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) kind = 'string';
    else kind = 'esc';
    if (kind !== 'esc') at++;
  } else if (c === 0x9b) kind = 'csi';
  else if (c === 0x9d) kind = 'osc';
  else if (c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) kind = 'string';
  else {
    if (c < 0x20) sink.control(c); // DEL and other C1 controls show nothing
    return at;
  }

  if (kind === 'csi') {
    // Parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, one final byte 0x40–0x7E.
    const start = at;
    while (at < n && line.charCodeAt(at) >= 0x30 && line.charCodeAt(at) <= 0x3f) at++;
    const paramsEnd = at;
    while (at < n && line.charCodeAt(at) >= 0x20 && line.charCodeAt(at) <= 0x2f) at++;
    if (at >= n) return n; // cut off: dropped
    const f = line.charCodeAt(at);
    if (f < 0x40 || f > 0x7e) return at; // malformed: ends here, the odd byte is read again
    if (paramsEnd === at) sink.csi(line.slice(start, paramsEnd), line[at]!);
    return at + 1;
  }
  if (kind === 'osc' || kind === 'string') {
    // Up to BEL (OSC only), ST (ESC \) or the 8-bit ST; a line that ends first drops the rest.
    const start = at;
    for (; at < n; at++) {
      const b = line.charCodeAt(at);
      let after = -1;
      if (b === 0x07 && kind === 'osc') after = at + 1;
      else if (b === 0x9c) after = at + 1;
      else if (b === ESC && line.charCodeAt(at + 1) === 0x5c) after = at + 2;
      if (after < 0) continue;
      if (kind === 'osc') sink.osc(line.slice(start, at));
      return after;
    }
    return n;
  }
  // ESC, intermediates 0x20–0x2F, a final byte 0x30–0x7E (charset selection, keypad modes, …).
  while (at < n && line.charCodeAt(at) >= 0x20 && line.charCodeAt(at) <= 0x2f) at++;
  const f = line.charCodeAt(at);
  return at < n && f >= 0x30 && f <= 0x7e ? at + 1 : at;
}

/** How far back `safeCut` looks for an escape sequence that a cut would split. */
const CUT_LOOKBACK = 4096;

/**
 * Where to cut `text` into pieces of at most `max` characters without splitting an escape
 * sequence or a surrogate pair: `max`, or the start of the sequence (or pair) that straddles it.
 */
export function safeCut(text: string, max: number): number {
  if (text.length <= max) return text.length;
  let cut = max;
  const ignore: Sink = { text: () => {}, control: () => {}, csi: () => {}, osc: () => {} };
  const next = CONTROL_G;
  for (let from = Math.max(0, max - CUT_LOOKBACK); ; ) {
    next.lastIndex = from;
    const found = next.exec(text);
    if (found === null || found.index >= max) break;
    const end = sequenceEnd(text, found.index, ignore);
    if (end > max && found.index > 0) {
      cut = found.index;
      break;
    }
    from = end;
  }
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff && cut > 1) cut--;
  return cut;
}

/** `line` without its escape sequences; text and plain controls (`\r`, `\t`, BEL) stay as stored. */
export function stripAnsi(line: string): string {
  if (!CONTROL.test(line)) return line;
  let out = '';
  scan(line, {
    text: (s) => (out += s),
    control: (code) => (out += String.fromCharCode(code)),
    csi: () => {},
    osc: () => {},
  });
  return out;
}

/** What a terminal shows for `line`, as plain text: the search text of a log line. */
export function visibleText(line: string, maxColumns = Number.POSITIVE_INFINITY): string {
  if (!CONTROL.test(line)) return line.length > maxColumns ? line.slice(0, maxColumns) : line;
  let out = '';
  for (const run of parseTerminalLine(line, { maxColumns }).runs) out += run.text;
  return out;
}

export interface ParseOptions {
  /** Columns kept; the rest is counted in `cut`. @default unbounded */
  readonly maxColumns?: number;
}

/**
 * The line as a terminal leaves it: styled runs after SGR, OSC 8 links, `\r` and backspace,
 * cursor moves along the line (CSI G, C, D) and erases (CSI K). Other sequences and controls
 * show nothing.
 */
export function parseTerminalLine(line: string, options: ParseOptions = {}): TerminalLine {
  const maxColumns = options.maxColumns ?? Number.POSITIVE_INFINITY;
  if (!CONTROL.test(line)) {
    const kept = line.length > maxColumns ? line.slice(0, maxColumns) : line;
    return { runs: kept.length > 0 ? [{ text: kept, style: PLAIN_STYLE, href: null }] : [], cut: line.length - kept.length };
  }
  const screen = new ScreenLine(maxColumns);
  let style = PLAIN_STYLE;
  let href: string | null = null;
  scan(line, {
    text: (s) => screen.write(s, style, href),
    control: (code) => {
      if (code === 0x0d) screen.column = 0;
      else if (code === 0x08) screen.column = Math.max(0, screen.column - 1);
    },
    csi: (params, final) => {
      if (final === 'm') style = applySgr(style, params);
      else if (final === 'K') screen.erase(firstParam(params, 0));
      else if (final === 'G') screen.column = Math.max(0, firstParam(params, 1) - 1);
      else if (final === 'C') screen.column += Math.max(1, firstParam(params, 1));
      else if (final === 'D') screen.column = Math.max(0, screen.column - Math.max(1, firstParam(params, 1)));
    },
    osc: (payload) => {
      // OSC 8 ; params ; URI — an empty URI closes the link.
      if (!payload.startsWith('8;')) return;
      const uri = payload.slice(payload.indexOf(';', 2) + 1);
      href = payload.indexOf(';', 2) < 0 || uri === '' ? null : uri;
    },
  });
  return screen.finish();
}

function firstParam(params: string, fallback: number): number {
  const first = params.split(';', 1)[0] ?? '';
  const value = /^[0-9]{1,6}$/.test(first) ? Number(first) : fallback;
  return first === '' ? fallback : value;
}

/** Code points in `s` (a column each). */
function columnsOf(s: string): number {
  if (!/[\ud800-\udbff]/.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * One terminal row. While the cursor only moves forward, text is kept as runs (cheap for a
 * megabyte line); the first move back (a progress bar's `\r`) turns the row into cells that
 * later text overwrites, as a terminal does.
 */
class ScreenLine {
  column = 0;
  readonly #max: number;
  /** Append mode: the runs so far, `#length` columns in all. Null once in cell mode. */
  #runs: AnsiRun[] | null = [];
  #length = 0;
  #chars: string[] = [];
  #styles: AnsiStyle[] = [];
  #hrefs: Array<string | null> = [];
  #cut = 0;

  constructor(maxColumns: number) {
    this.#max = maxColumns;
  }

  write(text: string, style: AnsiStyle, href: string | null): void {
    if (this.#runs !== null && this.column === this.#length) {
      const room = this.#max - this.#length;
      let kept = text;
      let width = columnsOf(text);
      if (width > room) {
        kept = width === text.length ? text.slice(0, Math.max(0, room)) : [...text].slice(0, Math.max(0, room)).join('');
        this.#cut += text.length - kept.length;
        width = Math.max(0, room);
      }
      if (kept !== '') {
        const last = this.#runs.at(-1);
        if (last && last.style === style && last.href === href) this.#runs[this.#runs.length - 1] = { text: last.text + kept, style, href };
        else this.#runs.push({ text: kept, style, href });
      }
      this.#length += width;
      this.column = this.#length + (kept.length < text.length ? columnsOf(text) - width : 0);
      return;
    }
    this.#toCells();
    for (const ch of text) {
      if (this.column >= this.#max) {
        this.#cut += ch.length;
        this.column++;
        continue;
      }
      // Writing past the end (after a cursor move right) pads with blanks.
      while (this.#chars.length < this.column) this.#push(' ', PLAIN_STYLE, null);
      if (this.column === this.#chars.length) this.#push(ch, style, href);
      else {
        this.#chars[this.column] = ch;
        this.#styles[this.column] = style;
        this.#hrefs[this.column] = href;
      }
      this.column++;
    }
  }

  #toCells(): void {
    if (this.#runs === null) return;
    for (const run of this.#runs) for (const ch of run.text) this.#push(ch, run.style, run.href);
    this.#runs = null;
  }

  #push(ch: string, style: AnsiStyle, href: string | null): void {
    this.#chars.push(ch);
    this.#styles.push(style);
    this.#hrefs.push(href);
  }

  /** CSI K: 0 from the cursor to the end, 1 from the start to the cursor, 2 the whole line. */
  erase(mode: number): void {
    if (mode !== 0 && mode !== 1 && mode !== 2) return;
    this.#toCells();
    const at = Math.min(this.column, this.#chars.length);
    if (mode === 0) {
      this.#chars.length = this.#styles.length = this.#hrefs.length = at;
    } else if (mode === 1) {
      for (let i = 0; i <= at && i < this.#chars.length; i++) (this.#chars[i] = ' '), (this.#styles[i] = PLAIN_STYLE), (this.#hrefs[i] = null);
    } else {
      this.#chars = [];
      this.#styles = [];
      this.#hrefs = [];
    }
  }

  finish(): TerminalLine {
    if (this.#runs !== null) return { runs: this.#runs, cut: this.#cut };
    const runs: AnsiRun[] = [];
    let start = 0;
    for (let i = 1; i <= this.#chars.length; i++) {
      if (i < this.#chars.length && this.#styles[i] === this.#styles[start] && this.#hrefs[i] === this.#hrefs[start]) continue;
      runs.push({ text: this.#chars.slice(start, i).join(''), style: this.#styles[start]!, href: this.#hrefs[start]! });
      start = i;
    }
    return { runs, cut: this.#cut };
  }
}
