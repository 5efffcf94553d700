// What a watcher tells its caller about the connection. A state machine:
//
//   connecting ──snapshot loaded, stream open──▶ live ──`end` (build complete)──▶ complete
//       │                                        │ ▲
//       │ network / 5xx                    error │ │ stream open again
//       ▼                                        ▼ │
//   reconnecting {attempt, since} ◀──────────────────┘      (attempt counts failures in a row,
//                                                            since = when the trouble began)
//   any ── 401 / 403 / 404 ──▶ error (final: retrying cannot help, the watcher stops)
import type { WebClientErrorCode } from './errors.js';

export type WatchStatus =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly since: number }
  | { readonly kind: 'complete' }
  | { readonly kind: 'error'; readonly code: WebClientErrorCode; readonly status: number | undefined; readonly message: string };

export type WatchStatusKind = WatchStatus['kind'];

export interface ReconnectOptions {
  /** First delay of the watcher's own reconnects (after the browser's EventSource gave up). @default 1000 */
  readonly reconnectBaseMs?: number;
  /** Longest such delay. @default 15000 */
  readonly reconnectMaxMs?: number;
}

export const ReconnectDefaults = {
  reconnectBaseMs: 1000, // the server's own `retry:` is 1–3 s (PROTOCOL §SSE); start alike
  reconnectMaxMs: 15_000, // an outage of minutes still gets a try every 15 s, not every 2 min
} as const;

/** Throws a TypeError naming the first bad reconnect option. */
export function checkReconnectOptions(options: ReconnectOptions): void {
  for (const name of ['reconnectBaseMs', 'reconnectMaxMs'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new TypeError(`Expected \`${name}\` to be a positive number of milliseconds, got ${JSON.stringify(value)}`);
    }
  }
}

/**
 * Full jitter (`random(0, min(cap, base·2^attempt))`, PROTOCOL §Runner obligations), never
 * below half the base so a tab does not spin when the draw is tiny.
 */
export function reconnectDelayMs(attempt: number, options: ReconnectOptions = {}, random: () => number = Math.random): number {
  const base = options.reconnectBaseMs ?? ReconnectDefaults.reconnectBaseMs;
  const cap = Math.min(options.reconnectMaxMs ?? ReconnectDefaults.reconnectMaxMs, base * 2 ** Math.min(attempt, 20));
  return Math.max(base / 2, Math.floor(random() * cap));
}

/**
 * The `reconnecting` part of the state machine above: failures in a row, when the trouble
 * began, and the next try, scheduled after `reconnectDelayMs` for the failures so far.
 */
export class ReconnectClock {
  readonly #options: ReconnectOptions;
  #failures = 0;
  #since: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ReconnectOptions) {
    this.#options = options;
  }

  /** Counts one more failure and returns the status to report. */
  fail(): WatchStatus {
    this.#failures += 1;
    this.#since ??= Date.now();
    return { kind: 'reconnecting', attempt: this.#failures, since: this.#since };
  }

  /** Connected again: the next trouble starts a new count. */
  reset(): void {
    this.#failures = 0;
    this.#since = undefined;
  }

  /** Runs `retry` after the backoff delay, replacing a try already scheduled. */
  schedule(retry: () => void): void {
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      retry();
    }, reconnectDelayMs(this.#failures - 1, this.#options));
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Runs a caller's callback; its exception is rethrown outside the watcher (where the page's
 * error handler sees it) so one faulty callback does not stop the watch.
 */
export function callSafely(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
