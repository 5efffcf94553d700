// The stdout/stderr panel: the reducer's last 500 lines, appended as they come and trimmed
// from the top. It follows the bottom unless the user scrolled up; then a button brings
// them back to the latest line.
import type { LogLine } from '../../protocol/build-state.js';
import { h, setText } from './dom.js';
import { formatCount } from './format.js';

/** Within this many pixels of the bottom counts as "at the bottom". */
const BOTTOM_SLACK_PX = 8;

export class LogPanel {
  readonly el: HTMLElement;
  readonly #box: HTMLElement;
  readonly #note: HTMLElement;
  readonly #jump: HTMLButtonElement;
  #tail: readonly LogLine[] | undefined;
  #lastSeq = 0;
  #follow = true;

  constructor() {
    this.#box = h('div', {
      class: 'log',
      attrs: { tabindex: 0, role: 'log', 'aria-label': 'Build output, stdout and stderr' },
      on: { scroll: () => this.#onScroll() },
    });
    this.#note = h('span', { class: 'muted' });
    this.#jump = h('button', { class: 'jump', attrs: { type: 'button' }, on: { click: () => this.#toBottom() } }, '↓ Latest');
    this.#jump.hidden = true;
    // A box that changes size (a narrower window, a phone turned) keeps following the bottom.
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.#follow && this.#toBottom()).observe(this.#box);
    this.el = h(
      'section',
      { class: 'panel log-panel', attrs: { 'aria-labelledby': 'log-title' } },
      h('div', { class: 'panel-head' }, h('h2', { attrs: { id: 'log-title' } }, 'Output'), this.#note, this.#jump),
      this.#box,
    );
  }

  render(logs: { readonly count: number; readonly tail: readonly LogLine[] }): void {
    if (logs.tail === this.#tail) return;
    this.#tail = logs.tail;
    const tail = logs.tail;
    const first = tail[0]?.seq ?? Infinity;
    // Lines that fell out of the tail leave from the top.
    while (this.#box.firstElementChild && Number((this.#box.firstElementChild as HTMLElement).dataset.seq) < first) {
      this.#box.firstElementChild.remove();
    }
    const fragment = document.createDocumentFragment();
    for (const line of tail) {
      if (line.seq <= this.#lastSeq) continue;
      const row = document.createElement('div');
      row.className = line.stream === 'stderr' ? 'line stderr' : 'line';
      row.dataset.seq = String(line.seq);
      row.textContent = line.line;
      fragment.appendChild(row);
      this.#lastSeq = line.seq;
    }
    this.#box.appendChild(fragment);
    setText(
      this.#note,
      logs.count === 0 ? 'no output yet' : logs.count > tail.length ? `last ${formatCount(tail.length)} of ${formatCount(logs.count)} lines` : `${formatCount(logs.count)} lines`,
    );
    if (this.#follow) this.#box.scrollTop = this.#box.scrollHeight;
  }

  #onScroll(): void {
    const box = this.#box;
    this.#follow = box.scrollTop + box.clientHeight >= box.scrollHeight - BOTTOM_SLACK_PX;
    this.#jump.hidden = this.#follow;
  }

  #toBottom(): void {
    this.#follow = true;
    this.#jump.hidden = true;
    this.#box.scrollTop = this.#box.scrollHeight;
  }
}
