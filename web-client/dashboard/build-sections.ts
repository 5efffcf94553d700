// The build page's smaller sections: assistant text and reasoning as they stream, errors,
// counts by event type, and the latest `data-*` values. Each re-renders only when its part
// of the (copy-on-write) state changed.
import type { BuildState } from '../../protocol/build-state.js';
import { h, replaceChildren, setText } from './dom.js';
import { formatCount, prettyJson } from './format.js';

/** A keyed list of text blocks (texts or reasoning), patched in place as deltas arrive. */
export class TextSection {
  readonly el: HTMLElement;
  readonly #body: HTMLElement;
  readonly #blocks = new Map<string, HTMLElement>();
  #texts: Record<string, string> | undefined;

  constructor(title: string, readonly kind: 'text' | 'reasoning') {
    const id = `${kind}-title`;
    this.#body = h('div');
    this.el = h('section', { class: `panel ${kind}`, attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, title), this.#body);
    this.el.hidden = true;
  }

  render(texts: Record<string, string>): void {
    if (texts === this.#texts) return;
    this.#texts = texts;
    const ids = Object.keys(texts);
    this.el.hidden = ids.length === 0;
    for (const id of ids) {
      let block = this.#blocks.get(id);
      if (block === undefined) {
        block = h('p', { class: `stream-text ${this.kind}-block`, attrs: { 'data-text-id': id } });
        this.#blocks.set(id, block);
        this.#body.appendChild(block);
      }
      setText(block, texts[id] ?? '');
    }
  }
}

export class ErrorsSection {
  readonly el: HTMLElement;
  readonly #list: HTMLUListElement;
  #errors: BuildState['errors'] | undefined;

  constructor() {
    this.#list = h('ul', { class: 'errors' });
    this.el = h('section', { class: 'panel errors-panel', attrs: { 'aria-labelledby': 'errors-title', role: 'alert' } }, h('h2', { attrs: { id: 'errors-title' } }, 'Errors'), this.#list);
    this.el.hidden = true;
  }

  render(errors: BuildState['errors']): void {
    if (errors === this.#errors) return;
    const from = this.#errors?.length ?? 0;
    this.#errors = errors;
    this.el.hidden = errors.length === 0;
    for (const entry of errors.slice(from)) {
      this.#list.appendChild(h('li', { attrs: { 'data-seq': entry.seq } }, h('span', { class: 'muted' }, `#${entry.seq} `), entry.errorText));
    }
  }
}

export class CountsSection {
  readonly el: HTMLElement;
  readonly #body: HTMLTableSectionElement;
  readonly #malformed: HTMLElement;
  #counts: BuildState['counts'] | undefined;

  constructor() {
    this.#body = h('tbody');
    this.#malformed = h('p', { class: 'muted' });
    this.el = h(
      'section',
      { class: 'panel', attrs: { 'aria-labelledby': 'counts-title' } },
      h('h2', { attrs: { id: 'counts-title' } }, 'Events by type'),
      h('table', { class: 'counts' }, h('thead', null, h('tr', null, h('th', { attrs: { scope: 'col' } }, 'Type'), h('th', { attrs: { scope: 'col' } }, 'Count'))), this.#body),
      this.#malformed,
    );
  }

  render(counts: BuildState['counts']): void {
    if (counts === this.#counts) return;
    this.#counts = counts;
    const rows = Object.entries(counts.byType).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    replaceChildren(
      this.#body,
      ...rows.map(([type, n]) => h('tr', { attrs: { 'data-type': type } }, h('td', null, h('code', null, type)), h('td', { class: 'num' }, formatCount(n)))),
      h('tr', { class: 'total' }, h('th', { attrs: { scope: 'row' } }, 'All'), h('td', { class: 'num' }, formatCount(counts.events))),
    );
    setText(this.#malformed, counts.malformed > 0 ? `${formatCount(counts.malformed)} events had data the reducer could not read.` : '');
  }
}

export class DataSection {
  readonly el: HTMLElement;
  readonly #body: HTMLElement;
  readonly #blocks = new Map<string, { value: unknown; pre: HTMLPreElement }>();
  #data: Record<string, unknown> | undefined;

  constructor() {
    this.#body = h('div');
    this.el = h('section', { class: 'panel', attrs: { 'aria-labelledby': 'data-title' } }, h('h2', { attrs: { id: 'data-title' } }, 'Data'), this.#body);
    this.el.hidden = true;
  }

  render(data: Record<string, unknown>): void {
    if (data === this.#data) return;
    this.#data = data;
    const keys = Object.keys(data);
    this.el.hidden = keys.length === 0;
    for (const key of keys) {
      const value = data[key];
      let block = this.#blocks.get(key);
      if (block === undefined) {
        const pre = h('pre', { class: 'json' });
        block = { value: undefined, pre };
        this.#blocks.set(key, block);
        this.#body.appendChild(h('details', { class: 'io' }, h('summary', null, key), pre));
      } else if (block.value === value) {
        continue;
      }
      block.value = value;
      setText(block.pre, prettyJson(value));
    }
  }
}
