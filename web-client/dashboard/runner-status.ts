// The runner's presence on the dashboard (PROTOCOL §Runner presence): "runner live", "runner
// 340 events behind", "no word from the runner for 2 min 10 s (last seen 12:03:17)", "runner
// finished" — from `describeRunner`, re-rendered by `tick()` every second so a silence grows
// on the page without a new report. A quiet build whose runner is alive stays green; one whose
// runner is gone turns red.
import type { RunnerPresence } from '../../protocol/wire-types.js';
import { describeRunner } from '../runner-presence.js';
import { h, setAttr, setText } from './dom.js';
import { formatCount } from './format.js';

export class RunnerStatus {
  readonly el: HTMLElement;
  readonly #text: HTMLElement;
  readonly #detail: HTMLElement | undefined;
  /** Announces changes of kind to screen readers; the ticking text itself is not a live region. */
  readonly #announce: HTMLElement | undefined;
  #kind = '';
  #runner: RunnerPresence | null = null;
  #complete = false;

  /** `detail`: a second line with host, pid, version, spool bytes and connection (the build page). */
  constructor(options: { readonly detail: boolean; readonly testId?: string }) {
    this.#text = h('span', { class: 'runner-text' });
    this.#detail = options.detail ? h('span', { class: 'runner-detail muted', attrs: { 'data-testid': 'runner-detail' } }) : undefined;
    this.#announce = options.detail ? h('span', { class: 'visually-hidden', attrs: { 'aria-live': 'polite' } }) : undefined;
    this.el = h(
      'span',
      { class: 'runner', attrs: { 'data-testid': options.testId } },
      h('span', { class: 'runner-dot', attrs: { 'aria-hidden': 'true' } }),
      this.#text,
      this.#detail,
      this.#announce,
    );
    this.tick();
  }

  set(runner: RunnerPresence | null, complete: boolean): void {
    this.#runner = runner;
    this.#complete = complete;
    this.tick();
  }

  /** Re-renders at `now`; called on every change and once a second. */
  tick(now = Date.now()): void {
    const runner = this.#runner;
    const described = describeRunner({ complete: this.#complete, runner }, now);
    setAttr(this.el, 'data-runner', described.kind);
    setText(this.#text, described.text);
    // Once per change of kind, not once a second: "no word for 15 s, 16 s, 17 s" is for eyes.
    if (described.kind !== this.#kind) {
      if (this.#announce !== undefined && this.#kind !== '') setText(this.#announce, described.text);
      this.#kind = described.kind;
    }
    // A silent runner's detail is what it said last, not what is true now: say so.
    const about = runner === null ? '' : `${described.kind === 'silent' ? 'last report: ' : ''}${describeRunnerDetail(runner)}`;
    setAttr(this.el, 'title', about || undefined);
    if (this.#detail !== undefined) {
      setText(this.#detail, about);
      this.#detail.hidden = about === '';
    }
  }
}

/** `on ci-7 · pid 4242 · runner 0.2.0 · 340 events (52 KB) not yet acknowledged · connection offline`. */
function describeRunnerDetail(runner: RunnerPresence): string {
  const parts = [`on ${runner.host}`, `pid ${runner.pid}`, `runner ${runner.version}`];
  if (runner.backlog.events > 0) parts.push(`${formatCount(runner.backlog.events)} events (${formatBytes(runner.backlog.bytes)}) not yet acknowledged`);
  parts.push(`connection ${runner.state}`);
  return parts.join(' · ');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
