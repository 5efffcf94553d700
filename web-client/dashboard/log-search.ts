// The log panel's search: the server finds the text in the whole log (PROTOCOL §Log lines,
// `/log/search`), not just in the rows on screen; next and previous walk the matches, each
// scrolled into view and marked.
import type { LogLines } from '../log-lines.js';
import { h, setText } from './dom.js';
import { formatCount } from './format.js';

/** Quiet time after typing before the search is sent. */
const TYPE_DELAY_MS = 200;

export interface LogSearchHooks {
  /** The line at the top of the viewport: the first match shown is the first at or after it. */
  readonly topLine: () => number;
  /** Show match `n` (scroll, mark). */
  readonly show: (n: number) => void;
  /** Matches changed (rows need their marks again). */
  readonly changed: () => void;
}

export class LogSearch {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  readonly #lines: LogLines;
  readonly #hooks: LogSearchHooks;
  readonly #status: HTMLElement;
  readonly #prev: HTMLButtonElement;
  readonly #next: HTMLButtonElement;
  #query = '';
  #matches: readonly number[] = [];
  #set: ReadonlySet<number> = new Set();
  #count = 0;
  #index = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort: AbortController | undefined;

  constructor(lines: LogLines, hooks: LogSearchHooks) {
    this.#lines = lines;
    this.#hooks = hooks;
    this.input = h('input', {
      class: 'log-search-input',
      attrs: { type: 'search', id: 'log-search', placeholder: 'Search the log', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'log-search-status' },
      on: {
        input: () => this.#schedule(),
        keydown: (event) => this.#onKey(event as KeyboardEvent),
      },
    });
    this.#status = h('span', { class: 'log-search-status muted', attrs: { id: 'log-search-status', 'aria-live': 'polite', 'data-testid': 'search-status' } });
    this.#prev = h('button', { class: 'icon-btn', attrs: { type: 'button', 'aria-label': 'Previous match', title: 'Previous match (Shift+Enter)' }, on: { click: () => this.step(-1) } }, '↑');
    this.#next = h('button', { class: 'icon-btn', attrs: { type: 'button', 'aria-label': 'Next match', title: 'Next match (Enter)' }, on: { click: () => this.step(1) } }, '↓');
    this.#prev.disabled = this.#next.disabled = true;
    this.el = h(
      'div',
      { class: 'log-search', attrs: { role: 'search' } },
      h('label', { class: 'offscreen', attrs: { for: 'log-search' } }, 'Search the log'),
      this.input,
      this.#status,
      this.#prev,
      this.#next,
    );
  }

  /** The text the current matches are for ('' when none). */
  get query(): string {
    return this.#count > 0 ? this.#query : '';
  }

  isMatch(n: number): boolean {
    return this.#set.has(n);
  }

  get current(): number | undefined {
    return this.#index >= 0 ? this.#matches[this.#index] : undefined;
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }

  /** Moves to the next (1) or previous (-1) match, wrapping around. */
  step(direction: 1 | -1): void {
    if (this.#matches.length === 0) return;
    this.#index = (this.#index + direction + this.#matches.length) % this.#matches.length;
    this.#announce();
    this.#hooks.show(this.#matches[this.#index]!);
  }

  #onKey(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      if (this.#timer !== undefined || this.input.value !== this.#query) void this.#run();
      else this.step(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape' && this.input.value !== '') {
      event.preventDefault();
      this.input.value = '';
      void this.#run();
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), TYPE_DELAY_MS);
  }

  async #run(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    const query = this.input.value;
    this.#query = query;
    if (query.trim() === '') {
      this.#set = new Set();
      this.#matches = [];
      this.#count = 0;
      this.#index = -1;
      setText(this.#status, '');
      this.#prev.disabled = this.#next.disabled = true;
      this.#hooks.changed();
      return;
    }
    const abort = new AbortController();
    this.#abort = abort;
    setText(this.#status, 'searching…');
    this.el.dataset.state = 'searching';
    try {
      const result = await this.#lines.search(query.slice(0, 256), abort.signal);
      if (abort.signal.aborted) return;
      this.#matches = result.matches;
      this.#set = new Set(result.matches);
      this.#count = result.count;
      const top = this.#hooks.topLine();
      const at = result.matches.findIndex((n) => n >= top);
      this.#index = result.matches.length === 0 ? -1 : at < 0 ? 0 : at;
      this.#prev.disabled = this.#next.disabled = result.matches.length === 0;
      this.el.dataset.state = 'done';
      this.#announce();
      this.#hooks.changed();
      if (this.#index >= 0) this.#hooks.show(this.#matches[this.#index]!);
    } catch (error) {
      if (abort.signal.aborted) return;
      this.el.dataset.state = 'error';
      setText(this.#status, `search failed: ${(error as Error).message}`);
    }
  }

  #announce(): void {
    if (this.#count === 0) {
      setText(this.#status, 'no matches');
      return;
    }
    const more = this.#count > this.#matches.length ? ` (first ${formatCount(this.#matches.length)} listed)` : '';
    setText(this.#status, `${formatCount(this.#index + 1)} of ${formatCount(this.#count)}${more}`);
    this.el.dataset.count = String(this.#count);
  }
}
