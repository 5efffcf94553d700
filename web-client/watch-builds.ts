// Watches the build list (PROTOCOL §Build list, live): `GET /v1/builds?watch=true` sends the
// current page as `data: Build` frames, then one per change, `event: deleted` for removals.
// A reconnect starts again with the list, so after each (re)open the frames of a short window
// are collected into a fresh list that replaces the shown one whole (no flicker, and builds
// deleted while disconnected disappear). `event: runner` frames keep each build's `runner`
// current between its `data: Build` frames (PROTOCOL §Runner presence).
import { QueryParams } from '../protocol/headers.js';
import { SSE_RUNNER_EVENT } from '../protocol/sse-frames.js';
import type { Build, RunnerFrame } from '../protocol/wire-types.js';
import { WebClientError, codeForStatus, isFinalStatus } from './errors.js';
import { EVENT_SOURCE_CLOSED, Transport, checkTransportOptions, parseFrame as parseJson, type EventSourceLike, type TransportOptions } from './transport.js';
import { isNewerPresence } from './runner-presence.js';
import { StreamLiveness } from './stream-liveness.js';
import { ReconnectClock, callSafely, checkReconnectOptions, type ReconnectOptions, type WatchStatus } from './watch-status.js';

export interface WatchBuildsOptions extends TransportOptions, ReconnectOptions {
  /** The builds, newest first, after every change. */
  readonly onChange: (builds: readonly Build[]) => void;
  readonly onStatus?: (status: WatchStatus) => void;
  /** How long after each (re)open the list frames are gathered before the list is replaced. @default 150 */
  readonly resyncMs?: number;
}

export interface BuildsWatch {
  readonly builds: readonly Build[];
  readonly status: WatchStatus;
  close(): void;
}

export const WatchBuildsDefaults = {
  resyncMs: 150, // the server writes the whole first page at once; this only needs to span one write
} as const;

/** Throws a TypeError naming the first bad option, before anything connects. */
export function checkWatchBuildsOptions(options: WatchBuildsOptions): void {
  checkTransportOptions(options);
  checkReconnectOptions(options);
  if (typeof options.onChange !== 'function') throw new TypeError('Expected `onChange` to be a function');
  if (options.onStatus !== undefined && typeof options.onStatus !== 'function') throw new TypeError('Expected `onStatus` to be a function');
  const resync = options.resyncMs;
  if (resync !== undefined && (typeof resync !== 'number' || !Number.isFinite(resync) || resync < 0)) {
    throw new TypeError(`Expected \`resyncMs\` to be a non-negative number, got ${JSON.stringify(resync)}`);
  }
}

export function watchBuilds(options: WatchBuildsOptions): BuildsWatch {
  return new BuildsWatcher(options);
}

/** Newest first: by creation time, then by id so equal times keep one order. */
export function compareNewestFirst(a: Build, b: Build): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.buildId < b.buildId ? 1 : a.buildId > b.buildId ? -1 : 0;
}

class BuildsWatcher implements BuildsWatch {
  readonly #options: WatchBuildsOptions;
  readonly #transport: Transport;
  readonly #abort = new AbortController();
  #builds = new Map<string, Build>();
  /** Frames gathered since the last (re)open, until the resync window closes. */
  #incoming: Map<string, Build> | undefined;
  #sorted: readonly Build[] = [];
  #status: WatchStatus = { kind: 'connecting' };
  #source: EventSourceLike | undefined;
  #stopped = false;
  readonly #reconnectClock: ReconnectClock;
  #resyncTimer: ReturnType<typeof setTimeout> | undefined;
  #probing = false;
  /** A list stream that goes quiet for two ping intervals is closed and opened again. */
  readonly #liveness = new StreamLiveness(
    () => this.#onDeadStream(),
    (ms) => this.#transport.notePingInterval(ms),
  );

  constructor(options: WatchBuildsOptions) {
    checkWatchBuildsOptions(options);
    this.#options = options;
    this.#transport = new Transport(options);
    this.#reconnectClock = new ReconnectClock(options);
    callSafely(() => this.#options.onStatus?.(this.#status));
    const refused = this.#transport.urlTokenRefusal();
    if (refused) this.#fail(refused);
    else this.#open();
  }

  get builds(): readonly Build[] {
    return this.#sorted;
  }
  get status(): WatchStatus {
    return this.#status;
  }

  close(): void {
    this.#stopped = true;
    this.#source?.close();
    this.#source = undefined;
    this.#liveness.stop();
    this.#reconnectClock.cancel();
    clearTimeout(this.#resyncTimer);
    this.#abort.abort();
  }

  #open(): void {
    const es = this.#transport.openEventSource('/v1/builds', { [QueryParams.watch]: 'true' });
    this.#source = es;
    this.#liveness.watch(es, () => es === this.#source);
    es.onopen = () => {
      if (es !== this.#source) return;
      this.#liveness.touch();
      this.#reconnectClock.reset();
      this.#setStatus({ kind: 'live' });
      this.#incoming = new Map();
      clearTimeout(this.#resyncTimer);
      this.#resyncTimer = setTimeout(() => this.#endResync(), this.#options.resyncMs ?? WatchBuildsDefaults.resyncMs);
    };
    es.onmessage = (message) => {
      if (es !== this.#source) return;
      this.#liveness.touch();
      let build = parseJson(message.data) as Build | undefined;
      if (typeof build?.buildId !== 'string') return;
      // A Build frame never takes a build's runner back to an older report than one already shown.
      const known = this.#builds.get(build.buildId)?.runner ?? null;
      if (isNewerPresence(build.runner ?? null, known)) build = { ...build, runner: known };
      if (this.#incoming !== undefined) {
        this.#incoming.set(build.buildId, build);
      } else {
        this.#builds.set(build.buildId, build);
        this.#changed();
      }
    };
    es.addEventListener('deleted', (message) => {
      if (es !== this.#source) return;
      this.#liveness.touch();
      const id = (parseJson(message.data) as { buildId?: unknown } | undefined)?.buildId;
      if (typeof id !== 'string') return;
      this.#incoming?.delete(id);
      if (this.#builds.delete(id)) this.#changed();
    });
    es.addEventListener(SSE_RUNNER_EVENT, (message) => {
      if (es !== this.#source) return;
      this.#liveness.touch(); // any frame is a sign of life; a runner frame may stand in for a ping
      const frame = parseJson(message.data) as Partial<RunnerFrame> | undefined;
      if (typeof frame?.buildId !== 'string' || typeof frame.runner?.lastSeenAt !== 'string') return;
      const { buildId, runner } = frame;
      const gathering = this.#incoming?.get(buildId);
      if (gathering !== undefined && isNewerPresence(gathering.runner ?? null, runner)) this.#incoming!.set(buildId, { ...gathering, runner });
      const shown = this.#builds.get(buildId);
      if (shown !== undefined && isNewerPresence(shown.runner ?? null, runner)) {
        this.#builds.set(buildId, { ...shown, runner });
        if (this.#incoming === undefined) this.#changed();
      }
    });
    es.onerror = (event) => {
      if (es !== this.#source) return;
      const status = (event as { code?: unknown }).code;
      if (typeof status === 'number' && isFinalStatus(status)) {
        this.#fail(new WebClientError(codeForStatus(status, undefined), `The build list answered HTTP ${status}`, { status }));
        return;
      }
      this.#setStatus(this.#reconnectClock.fail());
      if (es.readyState === EVENT_SOURCE_CLOSED) this.#source = undefined; // it gave up: reopening is ours to do
      void this.#probe(es.readyState === EVENT_SOURCE_CLOSED);
    };
  }

  /** Nothing arrived for two ping intervals: the connection died without closing. Start again with the list. */
  #onDeadStream(): void {
    const es = this.#source;
    if (this.#stopped || es === undefined) return;
    this.#source = undefined;
    this.#liveness.stop();
    es.close();
    this.#setStatus(this.#reconnectClock.fail());
    void this.#probe(true);
  }

  #endResync(): void {
    if (this.#incoming === undefined || this.#stopped) return;
    this.#builds = this.#incoming;
    this.#incoming = undefined;
    this.#changed();
  }

  /**
   * A browser's EventSource hides the status: ask with fetch whether retrying can help. With
   * `reopen` (the EventSource gave up), open a new one after a backoff delay.
   */
  async #probe(reopen: boolean): Promise<void> {
    if (this.#probing && !reopen) return;
    this.#probing = true;
    let ok = false;
    try {
      await this.#transport.getJson('/v1/builds', { limit: 1 }, this.#abort.signal);
      ok = true;
    } catch (error) {
      if (error instanceof WebClientError && error.final) this.#fail(error);
    } finally {
      this.#probing = false;
    }
    if (!reopen || this.#stopped) return;
    if (!ok) this.#setStatus(this.#reconnectClock.fail());
    this.#reconnectClock.schedule(() => (ok ? this.#open() : void this.#probe(true)));
  }

  #fail(error: WebClientError): void {
    if (this.#stopped) return;
    this.#setStatus({ kind: 'error', code: error.code, status: error.status, message: error.message });
    this.close();
  }

  #changed(): void {
    this.#sorted = [...this.#builds.values()].sort(compareNewestFirst);
    const builds = this.#sorted;
    callSafely(() => this.#options.onChange(builds));
  }

  #setStatus(status: WatchStatus): void {
    if (this.#stopped) return;
    this.#status = status;
    callSafely(() => this.#options.onStatus?.(status));
  }
}
