// The build page's summary: status in colour, phase and message, the runner's presence (a line
// of its own, given by the page), a ticking duration, steps, the number of events folded, and
// where the page's state came from (snapshot + stream).
import type { BuildState } from '../../protocol/build-state.js';
import type { Build } from '../../protocol/wire-types.js';
import type { WatchStats } from '../watch-build-options.js';
import { h, setAttr, setText } from './dom.js';
import { describeMeta, elapsedMs, formatClock, formatCount, formatDuration } from './format.js';

export class BuildSummary {
  readonly el: HTMLElement;
  readonly #status: HTMLElement;
  readonly #phase: HTMLElement;
  readonly #message: HTMLElement;
  readonly #duration: HTMLElement;
  readonly #started: HTMLElement;
  readonly #steps: HTMLElement;
  readonly #events: HTMLElement;
  readonly #source: HTMLElement;
  readonly #meta: HTMLElement;
  #state: BuildState | undefined;

  constructor(runnerLine?: HTMLElement) {
    this.#status = h('span', { class: 'badge status', attrs: { 'data-testid': 'build-status' } }, 'loading');
    this.#phase = h('span', { attrs: { 'data-testid': 'build-phase' } }, '—');
    this.#message = h('p', { class: 'message' });
    this.#duration = h('span', { attrs: { 'data-testid': 'build-duration' } }, '—');
    this.#started = h('span', null, '—');
    this.#steps = h('span', null, '0');
    this.#events = h('span', { attrs: { 'data-testid': 'event-count' } }, '0');
    this.#source = h('p', { class: 'muted source', attrs: { 'data-testid': 'stream-source' } });
    this.#meta = h('span', { class: 'build-meta' });
    const fact = (label: string, value: HTMLElement) => h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value));
    this.el = h(
      'section',
      { class: 'summary', attrs: { 'aria-label': 'Build summary' } },
      h('div', { class: 'summary-top' }, this.#status, h('span', { class: 'phase' }, 'phase ', this.#phase), this.#meta),
      runnerLine === undefined ? null : h('div', { class: 'runner-line' }, runnerLine),
      this.#message,
      h('dl', { class: 'facts' }, fact('Duration', this.#duration), fact('Started', this.#started), fact('Steps', this.#steps), fact('Events', this.#events)),
      this.#source,
    );
  }

  render(state: BuildState, seq: number): void {
    this.#state = state;
    setText(this.#status, state.status);
    setAttr(this.#status, 'data-status', state.status);
    setText(this.#phase, state.phase ?? '—');
    setText(this.#message, state.message ?? '');
    this.#message.hidden = !state.message;
    setText(this.#started, formatClock(state.startedAt));
    setText(this.#steps, formatCount(state.steps));
    setText(this.#events, formatCount(state.counts.events));
    setAttr(this.#events, 'data-count', state.counts.events);
    setAttr(this.el, 'data-seq', seq);
    this.tick();
  }

  /** The build's record: its meta names it. */
  renderBuild(build: Build): void {
    setText(this.#meta, describeMeta(build.meta));
  }

  /** Where the state came from: proof that a page opened mid-build did not replay from 0. */
  renderStats(stats: Readonly<WatchStats>): void {
    setText(
      this.#source,
      `snapshot at seq ${formatCount(stats.snapshotSeq)} · ${formatCount(stats.streamEvents)} streamed` +
        (stats.repairedEvents > 0 ? ` · ${formatCount(stats.repairedEvents)} repaired` : '') +
        (stats.duplicates > 0 ? ` · ${formatCount(stats.duplicates)} duplicates ignored` : ''),
    );
    setAttr(this.#source, 'data-snapshot-seq', stats.snapshotSeq);
    setAttr(this.#source, 'data-stream-events', stats.streamEvents);
  }

  /** Moves the duration on while the build runs. */
  tick(now = Date.now()): void {
    const state = this.#state;
    if (state === undefined) return;
    setText(this.#duration, formatDuration(elapsedMs(state.startedAt, state.finishedAt, now)));
  }
}
