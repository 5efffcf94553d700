// Watches one build (PROTOCOL §State, §UI messages, §SSE): loads the snapshot at seq S from
// /state (and the UIMessages at S' ≥ S from /messages), streams from `?after=S`, folds each
// event with the shared reducers, and keeps the folds exact — a seq already applied is ignored,
// a seq past the next one is repaired from the JSON endpoint first, and the watcher stops at
// `end`, or for good on 401/403/404. The runner's presence comes with the build record and then
// as `event: runner` frames (PROTOCOL §Runner presence).
import { initialBuildState, reduceEvents, type BuildState } from '../protocol/build-state.js';
import type { UIMessage } from '../protocol/ui-message.js';
import { initialMessagesState, reduceMessages, type MessagesState } from '../protocol/ui-messages.js';
import { SSE_RUNNER_EVENT } from '../protocol/sse-frames.js';
import type { Build, EventsPage, LogEvent, RunnerFrame, RunnerPresence } from '../protocol/wire-types.js';
import { WebClientError, codeForStatus, isFinalStatus } from './errors.js';
import { EVENT_SOURCE_CLOSED, Transport, buildPath, parseFrame as parseJson, type EventSourceLike } from './transport.js';
import { isNewerPresence } from './runner-presence.js';
import { StreamLiveness } from './stream-liveness.js';
import { WatchBuildDefaults, checkWatchBuildOptions, type BuildWatch, type WatchBuildOptions, type WatchStats } from './watch-build-options.js';
import { ReconnectClock, callSafely, type WatchStatus } from './watch-status.js';

export function watchBuild<M = UIMessage>(options: WatchBuildOptions<M>): BuildWatch<M> {
  return new BuildWatcher(options);
}

type Item = { readonly kind: 'event'; readonly event: LogEvent } | { readonly kind: 'end'; readonly final: number };

class BuildWatcher<M> implements BuildWatch<M> {
  readonly buildId: string;
  readonly stats: WatchStats = { snapshotSeq: 0, streamEvents: 0, duplicates: 0, repairedEvents: 0, streamsOpened: 0, deadStreams: 0 };
  readonly #options: WatchBuildOptions<M>;
  readonly #transport: Transport;
  readonly #abort = new AbortController();
  #state: BuildState = initialBuildState();
  #seq = 0;
  #messages: MessagesState = initialMessagesState();
  /** The seq the messages are folded to: at least #seq once loaded (they load after the state). */
  #messagesSeq = 0;
  #status: WatchStatus = { kind: 'connecting' };
  #runner: RunnerPresence | null = null;
  #source: EventSourceLike | undefined;
  /** Set by close(), complete or a final error: nothing happens after it. */
  #stopped = false;
  readonly #reconnectClock: ReconnectClock;
  #queue: Item[] = [];
  /** A gap repair is reading; the queue waits for it. */
  #repairing = false;
  #probing = false;
  /** A stream that goes quiet for two ping intervals is closed and resumed on a new one. */
  readonly #liveness = new StreamLiveness(
    () => this.#onDeadStream(),
    (ms) => this.#transport.notePingInterval(ms),
  );

  constructor(options: WatchBuildOptions<M>) {
    checkWatchBuildOptions(options);
    this.buildId = options.buildId;
    this.#options = options;
    this.#transport = new Transport(options);
    this.#reconnectClock = new ReconnectClock(options);
    this.#emitStatus();
    const refused = this.#transport.urlTokenRefusal();
    if (refused) this.#fail(refused);
    else void this.#load();
  }

  get seq(): number {
    return this.#seq;
  }
  get state(): BuildState {
    return this.#state;
  }
  get messages(): readonly M[] {
    return this.#messages.messages as unknown as readonly M[];
  }
  get status(): WatchStatus {
    return this.#status;
  }
  get runner(): RunnerPresence | null {
    return this.#runner;
  }

  close(): void {
    this.#stop();
  }

  // ── connecting ────────────────────────────────────────────────────────────────────────

  async #load(): Promise<void> {
    try {
      const build = await this.#readBuild();
      const snapshot = await this.#transport.getJson<{ seq: number; state: BuildState }>(buildPath(this.buildId, '/state'), {}, this.#abort.signal);
      if (this.#stopped) return;
      this.#state = snapshot.state;
      this.#seq = snapshot.seq;
      this.stats.snapshotSeq = snapshot.seq;
      if (this.#options.messages ?? true) {
        // Read after /state, so at the same or a later seq: the events in between fold into the state only.
        const messages = await this.#transport.getJson<MessagesState & { seq: number }>(buildPath(this.buildId, '/messages'), {}, this.#abort.signal);
        if (this.#stopped) return;
        this.#messages = { messages: messages.messages, stream: messages.stream, malformed: messages.malformed };
        this.#messagesSeq = messages.seq;
      }
      callSafely(() => this.#options.onState?.(this.#state, this.#seq));
      this.#emitMessages();
      if (this.#isDone(build)) this.#complete();
      else this.#openStream();
    } catch (error) {
      this.#onFailure(error, () => void this.#load());
    }
  }

  async #readBuild(): Promise<Build> {
    const build = await this.#transport.getJson<Build>(buildPath(this.buildId), {}, this.#abort.signal);
    if (!this.#stopped) {
      callSafely(() => this.#options.onBuild?.(build));
      this.#setRunner(build.runner ?? null);
    }
    return build;
  }

  #isDone(build: Build): boolean {
    return build.status === 'complete' && build.final !== null && this.#seq >= build.final && this.#queue.length === 0;
  }

  #openStream(): void {
    this.#closeSource();
    const es = this.#transport.openEventSource(buildPath(this.buildId, '/stream'), { after: this.#seq });
    this.#source = es;
    this.stats.streamsOpened += 1;
    this.#liveness.watch(es, () => es === this.#source);
    es.onopen = () => {
      if (es !== this.#source) return;
      this.#liveness.touch();
      this.#reconnectClock.reset();
      this.#setStatus({ kind: 'live' });
    };
    es.onmessage = (message) => {
      if (es !== this.#source) return;
      this.#liveness.touch();
      this.#receive(message.data);
    };
    es.addEventListener('end', (message) => {
      if (es !== this.#source) return;
      this.#closeSource(); // the server closes next; the EventSource must not reconnect
      const final = parseJson(message.data) as { final?: unknown } | undefined;
      this.#queue.push({ kind: 'end', final: typeof final?.final === 'number' ? final.final : this.#seq });
      this.#drain();
    });
    es.addEventListener(SSE_RUNNER_EVENT, (message) => {
      if (es !== this.#source) return;
      this.#liveness.touch(); // any frame is a sign of life; a runner frame may stand in for a ping
      const frame = parseJson(message.data) as Partial<RunnerFrame> | undefined;
      if (typeof frame?.runner?.lastSeenAt === 'string') this.#setRunner(frame.runner);
    });
    es.onerror = (event) => {
      if (es === this.#source) this.#onStreamError(es, event);
    };
  }

  /** A report newer than the one held: the stream's and the record's may cross. */
  #setRunner(runner: RunnerPresence | null): void {
    if (this.#stopped || !isNewerPresence(this.#runner, runner)) return;
    this.#runner = runner;
    callSafely(() => this.#options.onRunner?.(runner));
  }

  // ── applying events ───────────────────────────────────────────────────────────────────

  #receive(data: unknown): void {
    const event = parseJson(data) as LogEvent | undefined;
    // A frame that is not an event is skipped; the gap it leaves is repaired from JSON.
    if (typeof event?.seq !== 'number') return;
    this.stats.streamEvents += 1;
    this.#queue.push({ kind: 'event', event });
    this.#drain();
  }

  /** Applies queued items in seq order; stops at a gap and lets #repair continue. */
  #drain(): void {
    if (this.#repairing || this.#stopped) return;
    const batch: LogEvent[] = [];
    let last = this.#seq;
    while (this.#queue.length > 0) {
      const item = this.#queue[0]!;
      const upTo = item.kind === 'event' ? item.event.seq - 1 : item.final;
      if (upTo > last) {
        // A gap: apply what is in order, read the missing seqs, then go on from here.
        this.#apply(batch);
        void this.#repair(upTo);
        return;
      }
      this.#queue.shift();
      if (item.kind === 'end') {
        this.#apply(batch);
        this.#complete();
        return;
      }
      if (item.event.seq <= last) {
        this.stats.duplicates += 1;
        continue;
      }
      batch.push(item.event);
      last = item.event.seq;
    }
    this.#apply(batch);
  }

  async #repair(until: number): Promise<void> {
    this.#repairing = true;
    try {
      const pageSize = this.#options.repairPageEvents ?? WatchBuildDefaults.repairPageEvents;
      while (this.#seq < until) {
        const page = await this.#transport.getJson<EventsPage>(
          buildPath(this.buildId, '/events'),
          { after: this.#seq, limit: Math.min(pageSize, until - this.#seq) },
          this.#abort.signal,
        );
        if (this.#stopped) return;
        const fresh = page.events.filter((e) => e.seq > this.#seq);
        if (fresh.length === 0 || fresh[0]!.seq !== this.#seq + 1) {
          throw new WebClientError('invalid_response', `The log has no event ${this.#seq + 1} yet, though the stream sent a later one`);
        }
        this.stats.repairedEvents += fresh.length;
        this.#apply(fresh);
      }
      this.#repairing = false;
      this.#drain();
    } catch (error) {
      this.#repairing = false;
      if (this.#stopped) return;
      // Not repaired: drop what the stream sent beyond the gap and resume from the last applied seq.
      this.#queue = [];
      this.#closeSource();
      this.#onFailure(error, () => void this.#reconnect());
    }
  }

  #apply(events: LogEvent[]): void {
    if (events.length === 0) return;
    this.#state = reduceEvents(this.#state, events);
    this.#seq = events[events.length - 1]!.seq;
    let messagesChanged = false;
    if ((this.#options.messages ?? true) && this.#seq > this.#messagesSeq) {
      const before = this.#messages;
      this.#messages = reduceMessages(before, events.filter((e) => e.seq > this.#messagesSeq));
      this.#messagesSeq = this.#seq;
      messagesChanged = this.#messages.messages !== before.messages;
    }
    for (const event of events) callSafely(() => this.#options.onEvent?.(event));
    callSafely(() => this.#options.onState?.(this.#state, this.#seq));
    if (messagesChanged) this.#emitMessages();
  }

  #emitMessages(): void {
    if (!(this.#options.messages ?? true)) return;
    const messages = this.messages;
    const seq = this.#messagesSeq;
    callSafely(() => this.#options.onMessages?.(messages, seq));
  }

  // ── trouble ───────────────────────────────────────────────────────────────────────────

  /** Nothing arrived for two ping intervals: the connection died without closing. Resume on a new one. */
  #onDeadStream(): void {
    if (this.#stopped || this.#source === undefined) return;
    this.stats.deadStreams += 1;
    this.#closeSource();
    this.#trouble();
    void this.#reconnect();
  }

  #onStreamError(es: EventSourceLike, event: Event): void {
    // The `eventsource` package reports the HTTP status; a browser's EventSource does not,
    // so there the probe below tells a refused token or a deleted build from network trouble.
    const status = (event as { code?: unknown }).code;
    if (typeof status === 'number' && isFinalStatus(status)) {
      this.#fail(new WebClientError(codeForStatus(status, undefined), `The stream answered HTTP ${status}`, { status }));
      return;
    }
    this.#trouble();
    if (es.readyState === EVENT_SOURCE_CLOSED) {
      // The EventSource gave up (a non-200 answer or a 204): reconnecting is ours to do.
      this.#closeSource();
      void this.#reconnect();
    } else {
      void this.#check();
    }
  }

  /** While the EventSource retries by itself: stop it if the build is gone, the token refused or the build done. */
  async #check(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      const build = await this.#readBuild();
      if (!this.#stopped && this.#isDone(build)) this.#complete();
    } catch (error) {
      if (error instanceof WebClientError && error.final) this.#fail(error);
    } finally {
      this.#probing = false;
    }
  }

  /**
   * After the stream was lost for good: ask at once whether the build is gone, the token
   * refused or the build done; otherwise open a new stream from the last applied seq after
   * a backoff delay.
   */
  async #reconnect(): Promise<void> {
    try {
      const build = await this.#readBuild();
      if (this.#stopped) return;
      if (this.#isDone(build)) this.#complete();
      else this.#schedule(() => this.#openStream());
    } catch (error) {
      this.#onFailure(error, () => void this.#reconnect());
    }
  }

  #onFailure(error: unknown, retry: () => void): void {
    if (this.#stopped) return;
    if (error instanceof WebClientError && error.final) {
      this.#fail(error);
      return;
    }
    this.#trouble();
    this.#schedule(retry);
  }

  #trouble(): void {
    this.#setStatus(this.#reconnectClock.fail());
  }

  #schedule(fn: () => void): void {
    this.#reconnectClock.schedule(() => {
      if (!this.#stopped) fn();
    });
  }

  // ── the end ───────────────────────────────────────────────────────────────────────────

  #complete(): void {
    if (this.#stopped) return;
    this.#setStatus({ kind: 'complete' });
    this.#stop();
  }

  #fail(error: WebClientError): void {
    if (this.#stopped) return;
    this.#setStatus({ kind: 'error', code: error.code, status: error.status, message: error.message });
    this.#stop();
  }

  #stop(): void {
    this.#stopped = true;
    this.#closeSource();
    this.#reconnectClock.cancel();
    this.#abort.abort();
    this.#queue = [];
  }

  #closeSource(): void {
    const es = this.#source;
    this.#source = undefined;
    this.#liveness.stop();
    es?.close();
  }

  #setStatus(status: WatchStatus): void {
    if (this.#stopped) return;
    const prev = this.#status;
    if (prev.kind === status.kind && (prev.kind !== 'reconnecting' || prev.attempt === (status as { attempt: number }).attempt)) return;
    this.#status = status;
    this.#emitStatus();
  }

  #emitStatus(): void {
    const status = this.#status;
    callSafely(() => this.#options.onStatus?.(status));
  }
}
