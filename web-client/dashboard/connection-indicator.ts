// The connection indicator: live / connecting / reconnecting for n s / offline / complete,
// from a watcher's status and the browser's own online flag. `tick()` moves the seconds on.
import type { WatchStatus } from '../watch-status.js';
import { h, setAttr, setText } from './dom.js';
import { formatDuration } from './format.js';

export type IndicatorState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'complete' | 'error';

export class ConnectionIndicator {
  readonly el: HTMLElement;
  readonly #label: HTMLElement;
  #status: WatchStatus = { kind: 'connecting' };

  constructor() {
    this.#label = h('span', { class: 'conn-label' });
    this.el = h('span', { class: 'conn', attrs: { role: 'status', 'aria-live': 'polite' } }, h('span', { class: 'conn-dot', attrs: { 'aria-hidden': 'true' } }), this.#label);
    window.addEventListener('online', () => this.tick());
    window.addEventListener('offline', () => this.tick());
    this.tick();
  }

  set(status: WatchStatus): void {
    this.#status = status;
    this.tick();
  }

  /** Re-renders; called on every status change and once a second. */
  tick(now = Date.now()): void {
    const status = this.#status;
    let state: IndicatorState;
    let text: string;
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    switch (status.kind) {
      case 'connecting':
        [state, text] = offline ? ['offline', 'offline'] : ['connecting', 'connecting…'];
        break;
      case 'live':
        [state, text] = ['live', 'live'];
        break;
      case 'reconnecting':
        [state, text] = offline
          ? ['offline', `offline for ${formatDuration(now - status.since)}`]
          : ['reconnecting', `reconnecting for ${formatDuration(now - status.since)}`];
        break;
      case 'complete':
        [state, text] = ['complete', 'complete'];
        break;
      case 'error':
        [state, text] = ['error', `offline: ${describeError(status)}`];
        break;
    }
    setAttr(this.el, 'data-conn', state);
    setAttr(this.el, 'title', status.kind === 'reconnecting' ? `attempt ${status.attempt}` : undefined);
    setText(this.#label, text);
  }
}

export function describeError(status: Extract<WatchStatus, { kind: 'error' }>): string {
  switch (status.status) {
    case 401:
      return 'the token was refused (expired or invalid)';
    case 403:
      return 'this token may not read this';
    case 404:
      return 'no such build';
    default:
      return status.message;
  }
}
