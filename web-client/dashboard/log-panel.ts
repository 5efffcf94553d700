// The build's whole log (PROTOCOL §Log lines): every line from 1, virtualized, loaded by page
// around the viewport, coloured as a terminal shows it, grouped under steps and tool runs,
// searchable across the whole log, linkable by line, following a live build while the reader
// is at the bottom, and opening a failed build at its first error.
import type { BuildState, LogSection } from '../../protocol/build-state.js';
import { visibleText } from '../../protocol/ansi-text.js';
import type { LogEvent } from '../../protocol/wire-types.js';
import { LogLines, toLogLineEntry } from '../log-lines.js';
import { VirtualRows } from '../virtual-rows.js';
import { h, setAttr, setText } from './dom.js';
import { formatCount } from './format.js';
import { copyText, formatLineHash, parseLineHash, replaceHash, type LineRange } from './line-links.js';
import { renderRow, type RowContext } from './log-row-view.js';
import { firstErrorTarget, sectionsAround, type LogTarget } from './log-landmarks.js';
import { LogRows, sectionKey } from './log-rows.js';
import { LogSearch } from './log-search.js';

export interface LogPanelContext {
  readonly origin: string;
  readonly token: string;
  readonly buildId: string;
}

/** Lines loaded beyond each edge of what the rows show. */
const LOAD_MARGIN_LINES = 100;

export class LogPanel {
  readonly el: HTMLElement;
  readonly #ctx: LogPanelContext;
  readonly #lines: LogLines;
  readonly #rows = new LogRows();
  readonly #view: VirtualRows;
  readonly #search: LogSearch;
  readonly #scroller: HTMLElement;
  readonly #note: HTMLElement;
  readonly #newLines: HTMLButtonElement;
  readonly #jumpError: HTMLButtonElement;
  readonly #timeToggle: HTMLButtonElement;
  readonly #selectionTools: HTMLElement;
  readonly #feedback: HTMLElement;
  /** Which step and tool run the top of the viewport is in: the context a jump lands without. */
  readonly #context: HTMLElement;
  #state: BuildState | undefined;
  /** Lines numbered from the stream (after the snapshot), PROTOCOL §Log lines. */
  #liveCount: number | undefined;
  readonly #collapsed = new Set<string>();
  #built: { count: number; sections: readonly LogSection[]; errors: unknown; collapsed: number } | undefined;
  #selection: LineRange | undefined;
  #anchor: number | undefined;
  #target: LogTarget | undefined;
  #follow = true;
  #unseen = 0;
  #opened = false;
  #awaitingReady = false;
  #showTime = false;
  /** Lines the rows were last built for: growth since then is what follow mode scrolls to. */
  #shownCount = 0;
  readonly #onDocumentKey = (event: KeyboardEvent) => this.#documentKey(event);
  readonly #onHashChange = () => this.#applyHash();

  constructor(ctx: LogPanelContext) {
    this.#ctx = ctx;
    this.#lines = new LogLines({ url: ctx.origin, token: ctx.token, buildId: ctx.buildId, onChange: () => this.#onLinesLoaded() });
    this.#scroller = h('div', {
      class: 'log-scroll',
      attrs: { tabindex: 0, role: 'log', 'aria-label': 'Build output, every line', 'data-testid': 'log-scroll' },
      on: {
        scroll: () => this.#onScroll(),
        click: (event) => this.#onClick(event as MouseEvent),
        keydown: (event) => this.#onKey(event as KeyboardEvent),
      },
    });
    this.#view = new VirtualRows({
      scroller: this.#scroller,
      rowHeight: 20,
      render: (index, row) => renderRow(this.#rows.row(index), row, this.#rowContext()),
      onRange: (first, last) => this.#want(first, last),
    });
    this.#search = new LogSearch(this.#lines, {
      topLine: () => this.#rows.lineAtOrAfter(this.#view.visibleRange().first) ?? 1,
      show: (n) => this.#goToLine(n, 'center'),
      changed: () => this.#view.invalidate(),
    });
    this.#note = h('span', { class: 'muted log-note', attrs: { 'data-testid': 'log-count' } });
    this.#newLines = h('button', { class: 'new-lines', attrs: { type: 'button', 'data-testid': 'new-lines' }, on: { click: () => this.#resumeFollow() } });
    this.#newLines.hidden = true;
    this.#jumpError = h('button', { class: 'btn btn-bad', attrs: { type: 'button', 'data-testid': 'jump-error' }, on: { click: () => this.#jumpToError() } }, 'Jump to error');
    this.#jumpError.hidden = true;
    this.#timeToggle = h('button', { class: 'btn', attrs: { type: 'button', 'aria-pressed': 'false', title: 'Show each line’s time and the time since the build started' }, on: { click: () => this.#toggleTime() } }, 'Time');
    this.#feedback = h('span', { class: 'muted log-feedback', attrs: { 'aria-live': 'polite' } });
    this.#context = h('div', { class: 'log-context', attrs: { 'data-testid': 'log-context' } });
    this.#selectionTools = h(
      'span',
      { class: 'selection-tools' },
      h('button', { class: 'btn', attrs: { type: 'button', 'data-testid': 'copy-link' }, on: { click: () => void this.#copyLink() } }, 'Copy link'),
      h('button', { class: 'btn', attrs: { type: 'button', 'data-testid': 'copy-lines' }, on: { click: () => void this.#copyLines() } }, 'Copy lines'),
    );
    this.#selectionTools.hidden = true;
    const raw = h('a', { class: 'btn', attrs: { href: this.#lines.rawUrl(), target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'raw-link' } }, 'Raw');
    const download = h('a', { class: 'btn', attrs: { href: this.#lines.rawUrl(), download: `${ctx.buildId}.log`, 'data-testid': 'download-link' } }, 'Download');
    this.el = h(
      'section',
      { class: 'panel log-panel', attrs: { 'aria-labelledby': 'log-title' } },
      h('div', { class: 'panel-head' }, h('h2', { attrs: { id: 'log-title' } }, 'Output'), this.#note, h('span', { class: 'head-links' }, raw, download)),
      h('div', { class: 'log-toolbar' }, this.#search.el, h('span', { class: 'log-actions' }, this.#jumpError, this.#timeToggle, this.#selectionTools, this.#feedback)),
      h('div', { class: 'log-wrap' }, this.#context, this.#scroller, this.#newLines),
    );
    document.addEventListener('keydown', this.#onDocumentKey);
    window.addEventListener('hashchange', this.#onHashChange);
    // A box that changes size (a phone turned) keeps following the bottom.
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => (this.#follow ? this.#view.scrollToEnd() : this.#view.update())).observe(this.#scroller);
  }

  /** Each event applied after the snapshot, in seq order: live lines get their numbers here. */
  onEvent(event: LogEvent): void {
    if (event.type !== 'log' || this.#liveCount === undefined) return;
    const entry = toLogLineEntry(this.#liveCount + 1, event);
    if (entry === undefined) return;
    this.#liveCount = entry.n;
    this.#lines.push(entry);
  }

  render(state: BuildState): void {
    this.#state = state;
    const logs = state.logs;
    this.#liveCount ??= logs.count;
    const before = this.#shownCount;
    this.#shownCount = logs.count;
    this.#lines.setTotal(logs.count);
    this.#rebuildIfChanged();
    setText(this.#note, logs.count === 0 ? 'no output yet' : `${formatCount(logs.count)} line${logs.count === 1 ? '' : 's'}`);
    setAttr(this.el, 'data-lines', logs.count);
    const digits = String(Math.max(3, String(logs.count).length));
    if (this.el.style.getPropertyValue('--ln-digits') !== digits) this.el.style.setProperty('--ln-digits', digits);
    this.#jumpError.hidden = this.#errorTarget() === undefined;
    if (!this.#opened) {
      this.#opened = true;
      this.#open();
    } else if (logs.count > before) {
      if (this.#follow) this.#view.scrollToEnd();
      else {
        this.#unseen += logs.count - before;
        setText(this.#newLines, `↓ ${formatCount(this.#unseen)} new line${this.#unseen === 1 ? '' : 's'}`);
        this.#newLines.hidden = false;
      }
    }
    this.#view.update();
    this.#showContext();
  }

  close(): void {
    document.removeEventListener('keydown', this.#onDocumentKey);
    window.removeEventListener('hashchange', this.#onHashChange);
    this.#lines.close();
  }

  // ── rows ──────────────────────────────────────────────────────────────────────────────

  #rebuildIfChanged(force = false): void {
    const state = this.#state;
    if (state === undefined) return;
    const b = this.#built;
    const { count, sections } = state.logs;
    if (!force && b && b.count === count && b.sections === sections && b.errors === state.errors && b.collapsed === this.#collapsed.size) return;
    this.#rows.build(count, sections, state.errors, this.#collapsed);
    this.#built = { count, sections, errors: state.errors, collapsed: this.#collapsed.size };
    const structural = !b || b.sections !== sections || b.errors !== state.errors || b.collapsed !== this.#collapsed.size || force;
    this.#view.setCount(this.#rows.count);
    // Sections and errors move rows; only a longer log leaves the rows on screen as they are.
    if (structural) this.#view.invalidate();
  }

  #rowContext(): RowContext {
    const state = this.#state!;
    const start = state.startedAt ? Date.parse(state.startedAt) : NaN;
    const selection = this.#selection;
    return {
      line: (n) => this.#lines.get(n),
      state,
      selected: (n) => selection !== undefined && n >= selection.from && n <= selection.to,
      isMatch: (n) => this.#search.isMatch(n),
      currentMatch: this.#search.current,
      target: this.#target,
      query: this.#search.query,
      showTime: this.#showTime,
      startMs: Number.isFinite(start) ? start : undefined,
    };
  }

  /** Loads the lines rows `first..last` show, with a margin. */
  #want(first: number, last: number): void {
    if (!this.#opened) return; // the rows at the top before the page is placed: not what it will show
    let lo = Infinity;
    let hi = 0;
    for (let i = first; i <= last; i++) {
      const row = this.#rows.row(i);
      if (row?.kind !== 'line') continue;
      lo = Math.min(lo, row.n);
      hi = Math.max(hi, row.n);
    }
    if (hi === 0) return;
    this.#lines.want(lo - LOAD_MARGIN_LINES, hi + LOAD_MARGIN_LINES);
  }

  #onLinesLoaded(): void {
    this.#view.invalidate();
    this.#checkReady();
  }

  /** Marks the panel ready once the rows the page opened at show their text (tests measure this). */
  #checkReady(): void {
    if (!this.#awaitingReady) return;
    const { first, last } = this.#view.visibleRange();
    for (let i = first; i <= last; i++) {
      const row = this.#rows.row(i);
      if (row?.kind === 'line' && this.#lines.get(row.n) === undefined) return;
    }
    this.#awaitingReady = false;
    this.el.dataset.ready = 'true';
    this.el.dataset.readyMs = String(Math.round(performance.now()));
  }

  // ── where the page opens ──────────────────────────────────────────────────────────────

  #open(): void {
    this.#awaitingReady = true;
    // A failed build opens at its first error of any kind; a build that has not failed but has
    // a failed tool opens at that tool's first error; anything else at its end.
    const failed = this.#state!.status === 'failed';
    const target = failed ? this.#errorTarget() : this.#errorTarget(true);
    if (parseLineHash(window.location.hash)) this.#applyHash();
    else if (target !== undefined) this.#jumpTo(target);
    else this.#view.scrollToEnd();
    const rendered = this.#view.rendered;
    this.#want(rendered.first, rendered.last);
    this.#checkReady();
  }

  #errorTarget(toolsOnly = false): LogTarget | undefined {
    return this.#state === undefined ? undefined : firstErrorTarget(this.#state, toolsOnly);
  }

  #jumpToError(): void {
    const target = this.#errorTarget();
    if (target !== undefined) this.#jumpTo(target);
  }

  #jumpTo(target: LogTarget): void {
    this.#target = target;
    this.#follow = false;
    if (target.kind === 'line') this.#goToLine(target.n, 'center');
    else {
      const row = this.#rows.rowOfError(target.index);
      if (row >= 0) this.#view.scrollToIndex(row, 'center');
      this.#view.invalidate();
    }
  }

  /** Scrolls line `n` into view, opening the sections that hide it. */
  #goToLine(n: number, align: 'center' | 'nearest'): void {
    const state = this.#state;
    if (state === undefined) return;
    if (this.#rows.hiding(n)) {
      for (const s of state.logs.sections) if (n >= s.from && n <= s.to) this.#collapsed.delete(sectionKey(s));
      this.#rebuildIfChanged(true);
    }
    const row = this.#rows.rowOfLine(n);
    if (row < 0) return;
    this.#lines.want(n - LOAD_MARGIN_LINES, n + LOAD_MARGIN_LINES);
    this.#view.scrollToIndex(row, align);
    this.#view.invalidate();
  }

  #showContext(): void {
    const state = this.#state;
    if (state === undefined) return;
    const top = this.#rows.lineAtOrAfter(this.#view.visibleRange().first);
    const { names, failed } = top === undefined ? { names: [], failed: false } : sectionsAround(state, top);
    // Always there, blank outside any section: the log does not jump as sections scroll by.
    const text = names.length > 0 ? `${names.join(' › ')}${failed ? ' · failed' : ''}` : '\u00a0';
    setText(this.#context, text);
    this.#context.classList.toggle('failed', failed);
  }

  // ── following ─────────────────────────────────────────────────────────────────────────

  #onScroll(): void {
    this.#showContext();
    const atEnd = this.#view.atEnd;
    if (atEnd === this.#follow) return;
    this.#follow = atEnd;
    if (atEnd) this.#resumeFollow();
  }

  #resumeFollow(): void {
    this.#follow = true;
    this.#unseen = 0;
    this.#newLines.hidden = true;
    this.#view.scrollToEnd();
  }

  // ── input ─────────────────────────────────────────────────────────────────────────────

  #onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const number = target.closest<HTMLAnchorElement>('a.ln');
    if (number) {
      event.preventDefault();
      const n = Number(number.dataset.n);
      if (event.shiftKey && this.#anchor !== undefined) this.#select({ from: Math.min(this.#anchor, n), to: Math.max(this.#anchor, n) });
      else {
        this.#anchor = n;
        this.#select({ from: n, to: n });
      }
      replaceHash(formatLineHash(this.#selection!));
      return;
    }
    const toggle = target.closest<HTMLButtonElement>('button.sec-toggle');
    if (toggle) {
      const key = toggle.dataset.section!;
      if (this.#collapsed.has(key)) this.#collapsed.delete(key);
      else this.#collapsed.add(key);
      this.#rebuildIfChanged(true);
      this.el.querySelector<HTMLButtonElement>(`button.sec-toggle[data-section="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
    }
  }

  #onKey(event: KeyboardEvent): void {
    if (event.key === 'End' && !event.shiftKey) {
      event.preventDefault();
      this.#resumeFollow();
    } else if (event.key === 'Home' && !event.shiftKey) {
      event.preventDefault();
      this.#view.scrollToIndex(0, 'start');
    }
  }

  /** `/` anywhere but a text field, and Ctrl/Cmd+F inside the log, go to the search field. */
  #documentKey(event: KeyboardEvent): void {
    const active = document.activeElement as HTMLElement | null;
    const typing = active !== null && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA' || active.isContentEditable);
    if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      this.#search.focus();
    } else if (event.key.toLowerCase() === 'f' && (event.ctrlKey || event.metaKey) && active !== null && this.el.contains(active)) {
      event.preventDefault();
      this.#search.focus();
    }
  }

  #select(range: LineRange | undefined): void {
    this.#selection = range;
    this.#selectionTools.hidden = range === undefined;
    setText(this.#feedback, '');
    this.#view.invalidate();
  }

  #applyHash(): void {
    const range = parseLineHash(window.location.hash);
    if (range === undefined || this.#state === undefined) return;
    const total = this.#state.logs.count;
    const clamped = { from: Math.min(range.from, Math.max(total, 1)), to: Math.min(range.to, Math.max(total, 1)) };
    this.#anchor = clamped.from;
    this.#follow = false;
    this.#target = { kind: 'line', n: clamped.from };
    this.#select(clamped);
    this.#goToLine(clamped.from, 'center');
  }

  async #copyLink(): Promise<void> {
    const ok = await copyText(window.location.href);
    setText(this.#feedback, ok ? 'link copied' : 'could not copy');
  }

  async #copyLines(): Promise<void> {
    const range = this.#selection;
    if (range === undefined) return;
    try {
      const lines = await this.#lines.range(range.from, range.to);
      const ok = await copyText(lines.map((l) => visibleText(l.line)).join('\n'));
      setText(this.#feedback, ok ? `${formatCount(lines.length)} line${lines.length === 1 ? '' : 's'} copied` : 'could not copy');
    } catch (error) {
      setText(this.#feedback, `could not copy: ${(error as Error).message}`);
    }
  }

  #toggleTime(): void {
    this.#showTime = !this.#showTime;
    this.#timeToggle.setAttribute('aria-pressed', String(this.#showTime));
    this.el.classList.toggle('with-time', this.#showTime);
    this.#view.invalidate();
  }
}
