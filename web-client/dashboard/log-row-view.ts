// One row of the log panel as DOM: a line (number link, optional time, the terminal text), a
// section header (toggle, name, line range), or an error where an `error` event fell.
import type { BuildState, Tool } from '../../protocol/build-state.js';
import { renderTerminalLine } from '../ansi-dom.js';
import type { LogLineEntry } from '../log-lines.js';
import { append, h } from './dom.js';
import { formatCount } from './format.js';
import type { LogTarget } from './log-landmarks.js';
import type { Row } from './log-rows.js';

export interface RowContext {
  readonly line: (n: number) => LogLineEntry | undefined;
  readonly state: BuildState;
  readonly selected: (n: number) => boolean;
  readonly isMatch: (n: number) => boolean;
  readonly currentMatch: number | undefined;
  /** The line or error row the page opened at or jumped to. */
  readonly target: LogTarget | undefined;
  readonly query: string;
  readonly showTime: boolean;
  /** Build start, for elapsed times (ms since the epoch). */
  readonly startMs: number | undefined;
}

export function renderRow(row: Row | undefined, el: HTMLElement, ctx: RowContext): void {
  if (row === undefined) return;
  if (row.kind === 'line') renderLine(row.n, el, ctx);
  else if (row.kind === 'section') renderSection(row, el, ctx);
  else {
    el.className = 'lrow error-row';
    if (ctx.target?.kind === 'error' && ctx.target.index === row.index) el.classList.add('target');
    el.dataset.error = String(row.index);
    el.append(h('span', { class: 'ln' }, '✖'), h('span', { class: 'lc' }, h('strong', null, 'error '), row.error.errorText.split('\n', 1)[0] ?? ''));
    el.title = row.error.errorText;
  }
}

function renderLine(n: number, el: HTMLElement, ctx: RowContext): void {
  const entry = ctx.line(n);
  const classes = ['lrow', 'line'];
  if (entry?.stream === 'stderr') classes.push('stderr');
  if (entry === undefined) classes.push('loading');
  if (ctx.selected(n)) classes.push('selected');
  if (ctx.isMatch(n)) classes.push('match');
  if (ctx.currentMatch === n) classes.push('current');
  if (ctx.target?.kind === 'line' && ctx.target.n === n) classes.push('target');
  el.className = classes.join(' ');
  el.dataset.n = String(n);
  if (entry) el.dataset.seq = String(entry.seq);
  const number = h('a', { class: 'ln', attrs: { href: `#L${n}`, 'aria-label': `Line ${n}`, 'data-n': n } }, String(n));
  el.appendChild(number);
  if (ctx.showTime) el.appendChild(h('span', { class: 'lt' }, entry ? formatLineTime(entry.at, ctx.startMs) : ''));
  const content = h('span', { class: 'lc' });
  if (entry) content.appendChild(renderTerminalLine(document, entry.line, { highlight: ctx.isMatch(n) ? ctx.query : undefined }));
  el.appendChild(content);
}

function renderSection(row: Extract<Row, { kind: 'section' }>, el: HTMLElement, ctx: RowContext): void {
  const s = row.section;
  const tool: Tool | undefined = s.kind === 'tool' ? ctx.state.tools.find((t) => t.toolCallId === s.id) : undefined;
  const failed = tool?.state === 'error';
  el.className = `lrow section ${s.kind}${row.depth > 0 ? ' nested' : ''}${failed ? ' failed' : ''}`;
  el.dataset.section = row.key;
  const name = s.kind === 'step' ? `Step ${s.id}` : `${tool?.toolName || 'tool'} `;
  const lines = s.to - s.from + 1;
  append(el, [
    h(
      'button',
      { class: 'sec-toggle', attrs: { type: 'button', 'aria-expanded': String(!row.collapsed), 'data-section': row.key } },
      h('span', { class: 'chev', attrs: { 'aria-hidden': 'true' } }, row.collapsed ? '▸' : '▾'),
      h('span', { class: 'sec-name' }, name),
      s.kind === 'tool' ? h('code', { class: 'sec-id' }, s.id) : null,
    ),
    h('span', { class: 'sec-meta' }, `${formatCount(lines)} line${lines === 1 ? '' : 's'}${s.open ? ' · running' : ''}`),
    failed ? h('span', { class: 'badge', attrs: { 'data-state': 'error' } }, 'failed') : s.firstStderr !== null ? h('span', { class: 'sec-warn' }, 'stderr') : null,
  ]);
}

/** `14:03:22` and the time since the build started, `+1:02`. */
export function formatLineTime(at: string, startMs: number | undefined): string {
  const t = Date.parse(at);
  if (!Number.isFinite(t)) return '';
  const clock = new Date(t).toLocaleTimeString('en-GB');
  if (startMs === undefined) return clock;
  const s = Math.max(0, Math.floor((t - startMs) / 1000));
  const elapsed = s >= 3600 ? `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${clock} +${elapsed}`;
}
