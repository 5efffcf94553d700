// The runner a build process embeds: `emit` writes each event to the durable spool and returns
// its seq, the uploader sends the spool to the server in the background, `flush`/`finish` wait
// for the acks (PROTOCOL §Runner obligations).
import { EventEmitter } from 'node:events';
import { BuildSchema } from '../protocol/index.js';
import { Backoff } from './backoff.js';
import { RetryableError, RunnerError, type InvalidEventError } from './errors.js';
import { encodeEvent, eventTime, type EventTime } from './event-input.js';
import { Heartbeat } from './heartbeat.js';
import { HttpClient } from './http-client.js';
import { resolveRunnerOptions, type ResolvedRunnerOptions, type RunnerOptions } from './options.js';
import { Spool } from './spool.js';
import { Uploader, type ConnectionState } from './uploader.js';
import { pipeUIMessageStream, type PipeUIMessageStreamOptions, type PipeUIMessageStreamResult, type UIMessageChunkLike } from './ui-message-pipe.js';

export interface EmitOptions {
  /** The event's `time`. @default now, unless `stampTime: false` (then none) */
  readonly time?: EventTime;
}

/** What `on('status')` reports. */
export interface RunnerStatus {
  /** `online`: the last answer came; `backoff`: the server said wait (5xx/429); `offline`: no answer at all. */
  readonly state: ConnectionState;
  /** Every event ≤ ack is committed on the server and verified against the runner's chain. */
  readonly ack: number;
  /** Events emitted but not yet acked. */
  readonly pending: number;
  readonly lastError: Error | null;
}

export interface RunnerStats extends RunnerStatus {
  readonly buildId: string;
  readonly epoch: number;
  /** The highest seq `emit` assigned. */
  readonly emitted: number;
  /** The highest seq written durably to the spool. */
  readonly durable: number;
  /** The seq of `finish`, once emitted. */
  readonly final: number | null;
  /** The server's hash chain at `ack`, equal to the runner's. */
  readonly digest: string;
  readonly inFlight: number;
  /** Unacked bytes in the spool. */
  readonly spoolBytes: number;
  /** Emits held back because the spool is full. */
  readonly waitingEmits: number;
  readonly requests: number;
  readonly failures: number;
  /** Events put on the wire, resends included. */
  readonly eventsSent: number;
  /** Why the uploader stopped, if it did. */
  readonly stopped: RunnerError | null;
  /** Heartbeats sent (PROTOCOL §Runner presence); appends carry the same report without one. */
  readonly heartbeats: number;
  /** Heartbeats that got no 2xx. */
  readonly heartbeatFailures: number;
}

export interface FinishResult {
  /** The seq of the `finish` event: the build's final seq. */
  readonly final: number;
  /** The log's digest at `final`, checked against the runner's own chain. */
  readonly digest: string;
}

interface RunnerEvents {
  status: [RunnerStatus];
  error: [RunnerError];
}

/** Opens the spool of `options.buildId` in `options.spoolDir` and starts uploading what it holds. */
export function openRunner(options: RunnerOptions): Promise<Runner> {
  return Runner.open(options);
}

/**
 * Not an EventEmitter subclass: `emit(type, data)` is the runner's own verb, so listeners are
 * registered through `on`/`once`/`off` on a private emitter.
 */
export class Runner {
  readonly #emitter = new EventEmitter<RunnerEvents>();
  readonly #options: ResolvedRunnerOptions;
  readonly #spool: Spool;
  readonly #http: HttpClient;
  readonly #uploader: Uploader;
  /** Undefined with `heartbeatIntervalMs: 0`. */
  readonly #heartbeat: Heartbeat | undefined;
  #fatal: RunnerError | undefined;
  #closing: Promise<void> | undefined;
  #lastStatus = '';

  private constructor(options: ResolvedRunnerOptions, spool: Spool, http: HttpClient) {
    this.#options = options;
    this.#spool = spool;
    this.#http = http;
    const heartbeat =
      options.heartbeatIntervalMs > 0
        ? new Heartbeat(http, () => this.#presenceSnapshot(), { buildId: options.buildId, intervalMs: options.heartbeatIntervalMs }, (error) => this.#uploader.fail(error))
        : undefined;
    this.#heartbeat = heartbeat;
    this.#uploader = new Uploader(spool, http, options, {
      onChange: () => this.#reportStatus(),
      onFatal: (error) => this.#onFatal(error),
      ...(heartbeat === undefined ? {} : { appendHeaders: () => heartbeat.headerFor() }),
    });
    spool.onDurable = () => this.#uploader.pump();
    spool.onFailure = (error) => this.#uploader.fail(error);
  }

  static async open(input: RunnerOptions): Promise<Runner> {
    const options = resolveRunnerOptions(input);
    const spool = await Spool.open(options);
    const http = new HttpClient({ url: options.urls, token: options.token, fetch: options.fetch, connections: options.maxInFlight, requestTimeoutMs: options.requestTimeoutMs, failbackMs: options.failbackMs });
    try {
      if (options.takeover) await takeOver(options, spool, http);
    } catch (error) {
      await spool.close();
      await http.close();
      throw error;
    }
    const runner = new Runner(options, spool, http);
    runner.#uploader.pump();
    runner.#heartbeat?.start();
    return runner;
  }

  /** `status`: state, ack, pending or lastError changed. `error`: the uploader stopped for good. */
  on<K extends keyof RunnerEvents>(event: K, listener: (...args: RunnerEvents[K]) => void): this {
    this.#emitter.on(event, listener as never);
    return this;
  }

  once<K extends keyof RunnerEvents>(event: K, listener: (...args: RunnerEvents[K]) => void): this {
    this.#emitter.once(event, listener as never);
    return this;
  }

  off<K extends keyof RunnerEvents>(event: K, listener: (...args: RunnerEvents[K]) => void): this {
    this.#emitter.off(event, listener as never);
    return this;
  }

  get buildId(): string {
    return this.#options.buildId;
  }

  /**
   * Assigns the next seq, writes the event durably to the spool (per `durability`), and resolves
   * with the seq. Seqs follow call order, so emits need not be awaited one by one. Waits while the
   * spool is past `maxSpoolBytes`. Rejects with an InvalidEventError (nothing written) for an
   * event the server would refuse, and with the runner's error once it stopped.
   */
  emit(type: string, data?: unknown, options: EmitOptions = {}): Promise<number> {
    return this.#append(type, data, options, false);
  }

  /**
   * Emits each chunk of an AI SDK UI message stream — the `ReadableStream` that
   * `toUIMessageStream()` returns — as the event `{type, data: rest}`, in order, and resolves
   * once the stream ended and every chunk is durable in the spool (`flush()` waits for the acks).
   * Reads no faster than the spool takes the events. Does not finish the build: a build may hold
   * several messages; call `finish()` when it is done. Rejects, cancelling the stream, with the
   * first refused emit (a chunk over the event size limit, a closed or stopped runner).
   */
  pipeUIMessageStream(stream: ReadableStream<UIMessageChunkLike>, options: PipeUIMessageStreamOptions = {}): Promise<PipeUIMessageStreamResult> {
    return pipeUIMessageStream((type, data) => this.emit(type, data), stream, options);
  }

  #append(type: string, data: unknown, options: EmitOptions, final: boolean): Promise<number> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    let payload: string;
    try {
      payload = encodeEvent(type, data, eventTime(options.time, this.#options.stampTime), this.#options);
    } catch (error) {
      return Promise.reject(error as InvalidEventError);
    }
    return this.#spool.append(this.#spool.lastSeq + 1, final, payload);
  }

  #refusal(): RunnerError | undefined {
    if (this.#closing !== undefined) return new RunnerError('runner_closed', 'The runner is closed');
    if (this.#fatal !== undefined) return this.#fatal;
    const final = this.#spool.finalSeq;
    if (final !== null) return new RunnerError('runner_finished', `The build's log ended with finish at seq ${final}`);
    return undefined;
  }

  /** Resolves once every event emitted so far is acked; rejects if the uploader stops first. */
  flush(): Promise<void> {
    if (this.#fatal !== undefined) return Promise.reject(this.#fatal);
    return this.#uploader.waitFor(this.#spool.state().lastSeq);
  }

  /**
   * Emits `finish` as the build's final event and resolves once the server acked it and its
   * digest matched the runner's chain (an IntegrityError otherwise).
   */
  async finish(data: unknown = {}, options: EmitOptions = {}): Promise<FinishResult> {
    const final = await this.#append('finish', data, options, true);
    await this.#uploader.waitFor(final);
    return { final, digest: this.#uploader.stats().digest };
  }

  status(): RunnerStatus {
    const stats = this.#uploader.stats();
    const spool = this.#spool.state();
    return { state: stats.state, ack: stats.ack, pending: spool.lastSeq - stats.ack, lastError: stats.lastError };
  }

  stats(): RunnerStats {
    const up = this.#uploader.stats();
    const spool = this.#spool.state();
    return {
      ...this.status(),
      buildId: this.#options.buildId,
      epoch: spool.epoch,
      emitted: spool.lastSeq,
      durable: spool.durableSeq,
      final: spool.finalSeq,
      digest: up.digest,
      inFlight: up.inFlight,
      spoolBytes: spool.unackedBytes,
      waitingEmits: this.#spool.waitingAppends,
      requests: up.requests,
      failures: up.failures,
      eventsSent: up.eventsSent,
      stopped: up.stopped,
      heartbeats: this.#heartbeat?.stats().sent ?? 0,
      heartbeatFailures: this.#heartbeat?.stats().failed ?? 0,
    };
  }

  /**
   * Stops uploading (requests in flight are abandoned; the spool keeps their events), makes
   * every emitted event durable, and releases the spool. Does not wait for acks: `flush()` does.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#heartbeat?.close();
      await this.#uploader.close();
      await this.#spool.close();
      await this.#http.close();
    })();
    return this.#closing;
  }

  /** What a presence report says of this runner right now (PROTOCOL §Runner presence). */
  #presenceSnapshot() {
    const up = this.#uploader.stats();
    const spool = this.#spool.state();
    return {
      unackedEvents: spool.lastSeq - up.ack,
      unackedBytes: spool.unackedBytes,
      state: up.state,
      epoch: spool.epoch,
      done: spool.finalSeq !== null && up.ack >= spool.finalSeq,
      stopped: up.stopped !== null,
    };
  }

  #reportStatus(): void {
    const status = this.status();
    const key = `${status.state}|${status.ack}|${status.pending}|${status.lastError?.message ?? ''}`;
    if (key === this.#lastStatus) return;
    this.#lastStatus = key;
    this.#emitter.emit('status', status);
  }

  #onFatal(error: RunnerError): void {
    this.#fatal = error;
    // Node throws on an 'error' nobody listens to; here the same error also rejects
    // flush()/finish()/emit(), so an unwatched runner must not crash its process.
    if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', error);
  }
}

/**
 * PROTOCOL §Append rule 5: read the build, continue at its ack with a higher epoch. Retries while
 * the server is away (full-jitter backoff); stops on 401/403/404 or a complete build.
 */
async function takeOver(options: ResolvedRunnerOptions, spool: Spool, http: HttpClient): Promise<void> {
  const backoff = new Backoff(options);
  const path = `/v1/builds/${encodeURIComponent(options.buildId)}`;
  for (;;) {
    const result = await http.request('GET', path, undefined, undefined, `read build ${options.buildId}`);
    if (result.kind === 'ok') {
      const parsed = BuildSchema.safeParse(result.body);
      if (parsed.success) {
        const build = parsed.data;
        if (build.status === 'complete') throw new RunnerError('build_closed', `Build ${options.buildId} is complete; it cannot be taken over`);
        await spool.takeOver(build.ack, build.digest, Math.max(build.epoch, spool.state().epoch) + 1);
        return;
      }
    } else if (result.kind === 'error' && !(result.error instanceof RetryableError)) {
      throw result.error;
    }
    const retryAfter = result.kind === 'error' && result.error instanceof RetryableError ? result.error.retryAfterMs : undefined;
    await new Promise((resolve) => setTimeout(resolve, backoff.next(retryAfter)));
  }
}
