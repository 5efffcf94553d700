// A terminal line as DOM (PROTOCOL §Log lines, "What a line shows"): styled spans and safe
// links, built with text nodes only — log content is never parsed as HTML. Colours of the 16
// base entries are classes (`ansi-fg-0` … `ansi-fg-15`, `ansi-bg-…`) so a page themes them;
// 256-colour and 24-bit colours are set through CSSOM, which a strict CSP (no `style=`
// attributes) allows.
import { ansiColorHex, type AnsiStyle } from '../protocol/ansi-style.js';
import { parseTerminalLine, type AnsiRun } from '../protocol/ansi-text.js';

export interface RenderLineOptions {
  /** Columns shown; a longer line ends with a note of what was cut. @default 4000 */
  readonly maxColumns?: number;
  /** Text to mark (`<mark>`) wherever it occurs, ignoring case. */
  readonly highlight?: string | undefined;
  /** Link plain http(s) URLs as well as OSC 8 links. @default true */
  readonly linkUrls?: boolean;
}

export const RenderLineDefaults = {
  maxColumns: 4000, // a row does not wrap; past this a reader wants the raw download anyway
} as const;

/** Plain http(s) URLs in text, without the punctuation that usually follows one. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/g;

/** `href` when it is an absolute http(s) URL, else null: never `javascript:`, `data:` or relative. */
export function safeHref(href: string): string | null {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** `line` rendered into a fragment of spans, links and marks. */
export function renderTerminalLine(doc: Document, line: string, options: RenderLineOptions = {}): DocumentFragment {
  const maxColumns = options.maxColumns ?? RenderLineDefaults.maxColumns;
  const parsed = parseTerminalLine(line, { maxColumns });
  const fragment = doc.createDocumentFragment();
  const needle = options.highlight ? options.highlight.toLowerCase() : '';
  // Marks are found on the whole shown text, so a match that spans two styles is still marked.
  const shown = parsed.runs.map((r) => r.text).join('');
  const marks = needle ? findAll(shown.toLowerCase(), needle) : [];
  let offset = 0;
  for (const run of parsed.runs) {
    const target = styled(doc, run.style);
    const href = run.href === null ? null : safeHref(run.href);
    if (href !== null) {
      const a = link(doc, href);
      appendMarked(doc, a, run.text, offset, marks, needle.length);
      target.appendChild(a);
    } else if (options.linkUrls !== false && run.text.includes('http')) {
      let at = 0;
      for (const m of run.text.matchAll(URL_PATTERN)) {
        const url = safeHref(m[0]);
        if (url === null) continue;
        appendMarked(doc, target, run.text.slice(at, m.index), offset + at, marks, needle.length);
        const a = link(doc, url);
        appendMarked(doc, a, m[0], offset + m.index, marks, needle.length);
        target.appendChild(a);
        at = m.index + m[0].length;
      }
      appendMarked(doc, target, run.text.slice(at), offset + at, marks, needle.length);
    } else {
      appendMarked(doc, target, run.text, offset, marks, needle.length);
    }
    fragment.appendChild(target);
    offset += run.text.length;
  }
  if (parsed.cut > 0) {
    const note = doc.createElement('span');
    note.className = 'ansi-cut';
    note.textContent = ` … ${parsed.cut.toLocaleString('en-US')} more characters`;
    fragment.appendChild(note);
  }
  return fragment;
}

function link(doc: Document, href: string): HTMLAnchorElement {
  const a = doc.createElement('a');
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}

/** A span for the style (a bare text container when the style is plain). */
function styled(doc: Document, style: AnsiStyle): HTMLElement {
  const span = doc.createElement('span');
  let fg = style.fg;
  let bg = style.bg;
  const classes: string[] = [];
  if (style.inverse) {
    [fg, bg] = [bg, fg];
    if (fg < 0) classes.push('ansi-inverse-fg');
    if (bg < 0) classes.push('ansi-inverse-bg');
  }
  if (fg >= 0 && fg < 16) classes.push(`ansi-fg-${fg}`);
  else if (fg >= 16) span.style.color = ansiColorHex(fg)!;
  if (bg >= 0 && bg < 16) classes.push(`ansi-bg-${bg}`);
  else if (bg >= 16) span.style.backgroundColor = ansiColorHex(bg)!;
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  if (style.strike) classes.push('ansi-strike');
  if (style.hidden) classes.push('ansi-hidden');
  if (classes.length > 0) span.className = classes.join(' ');
  return span;
}

function findAll(haystack: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) at.push(i);
  return at;
}

/** Appends `text` (starting at `offset` of the shown line) with the parts inside marks wrapped. */
function appendMarked(doc: Document, parent: Node, text: string, offset: number, marks: readonly number[], length: number): void {
  if (text === '') return;
  if (marks.length === 0) {
    parent.appendChild(doc.createTextNode(text));
    return;
  }
  let at = 0;
  for (const start of marks) {
    const from = Math.max(start - offset, at);
    const to = Math.min(start + length - offset, text.length);
    if (to <= from) continue;
    if (from > at) parent.appendChild(doc.createTextNode(text.slice(at, from)));
    const mark = doc.createElement('mark');
    mark.textContent = text.slice(from, to);
    parent.appendChild(mark);
    at = to;
  }
  if (at < text.length) parent.appendChild(doc.createTextNode(text.slice(at)));
}

export type { AnsiRun, AnsiStyle };
