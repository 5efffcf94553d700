// What the CLI shows of a runner while it works: on a terminal a one-line live status on stderr
// (events, ack, backlog, connection state), elsewhere one line per connection state change.
import type { Writable } from 'node:stream';
import { CLI_NAME } from './cli-args.js';
import type { Runner, RunnerStatus } from './runner.js';

export interface StatusLineOptions {
  /** Redraw a live line (a terminal) instead of printing state changes. */
  readonly live: boolean;
  /** Redraw interval of the live line. @default 200 */
  readonly intervalMs?: number;
  /** Terminal width for truncating the live line. @default 100 */
  readonly columns?: number;
}

export class StatusLine {
  readonly #out: Writable;
  readonly #runner: Runner;
  readonly #options: StatusLineOptions;
  #timer: NodeJS.Timeout | undefined;
  #shown = false;
  #lastState: RunnerStatus['state'] = 'online';
  readonly #onStatus = (status: RunnerStatus): void => this.#changed(status);

  constructor(out: Writable, runner: Runner, options: StatusLineOptions) {
    this.#out = out;
    this.#runner = runner;
    this.#options = options;
    runner.on('status', this.#onStatus);
    if (options.live) {
      this.#timer = setInterval(() => this.draw(), options.intervalMs ?? 200);
      this.#timer.unref();
    }
  }

  /** Writes `text` to `target` without tearing the live line. */
  writeAbove(target: Writable, text: string | Uint8Array): void {
    if (this.#shown) this.#clear();
    target.write(text);
  }

  draw(): void {
    if (!this.#options.live) return;
    const stats = this.#runner.stats();
    const error = stats.state !== 'online' && stats.lastError !== null ? ` (${stats.lastError.message})` : '';
    const line = `${CLI_NAME}: ${stats.emitted} events · ack ${stats.ack} · backlog ${stats.pending} · ${stats.state}${error}`;
    // A pseudo-terminal without a size reports 0 columns; draw for a common width then.
    const columns = (this.#options.columns ?? 0) >= 20 ? this.#options.columns! : 100;
    this.#out.write(`\r\x1b[K${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}`);
    this.#shown = true;
  }

  #clear(): void {
    this.#out.write('\r\x1b[K');
    this.#shown = false;
  }

  #changed(status: RunnerStatus): void {
    if (status.state === this.#lastState) return;
    this.#lastState = status.state;
    if (this.#options.live) {
      this.draw();
      return;
    }
    const error = status.state !== 'online' && status.lastError !== null ? ` (${status.lastError.message})` : '';
    this.#out.write(`${CLI_NAME}: ${status.state}${error}; ack ${status.ack}, backlog ${status.pending}\n`);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#runner.off('status', this.#onStatus);
    if (this.#shown) this.#clear();
  }
}
