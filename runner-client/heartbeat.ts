// The runner's presence (PROTOCOL §Runner presence): who it is, how far behind the server is,
// and how it sees its connection — sent with every append as the `Runlog-Runner` header, and
// as a heartbeat when no request has gone out for one interval. Never an event: nothing here
// touches the spool, a seq or the hash chain.
//
//   append sent ──► lastSentAt = now ──────────────┐
//   heartbeat sent ─► lastSentAt = now ────────────┤
//                                                  ▼
//   timer at lastSentAt + interval ─► quiet for an interval? ──no──► re-arm
//                                          │yes
//                                          ▼
//                      POST /heartbeat ─► 204, network, 5xx: re-arm
//                                     ─► build_closed, not_found, other 4xx: stop quietly
//                                     ─► 401, 403, stale_epoch, build_not_found: the runner stops
//                                        (an append would have been refused the same way)
import { hostname } from 'node:os';
import { Headers as H, RUNNER_HOST_MAX_CHARS } from '../protocol/index.js';
import type { HeartbeatRequest, RunnerReport } from '../protocol/wire-types.js';
import packageJson from './package.json' with { type: 'json' };
import { RetryableError, UploadRejectedError, type RunnerError } from './errors.js';
import type { HttpClient } from './http-client.js';
import type { ConnectionState } from './uploader.js';

/** What the runner holds right now, for a report. */
export interface PresenceSnapshot {
  /** Events emitted and not yet acked, and their bytes in the spool. */
  readonly unackedEvents: number;
  readonly unackedBytes: number;
  readonly state: ConnectionState;
  readonly epoch: number;
  /** The build's final event is acked: nothing is left to report. */
  readonly done: boolean;
  /** The uploader stopped for good. */
  readonly stopped: boolean;
}

export interface HeartbeatOptions {
  readonly buildId: string;
  readonly intervalMs: number;
  /** Who the runner is; default: this host, this process, this package's version. */
  readonly identity?: RunnerIdentity;
}

export interface RunnerIdentity {
  readonly host: string;
  readonly pid: number;
  readonly version: string;
}

export interface HeartbeatStats {
  /** Heartbeat requests sent (appends that carried the report are not counted). */
  readonly sent: number;
  /** Of those, the ones that got no 2xx. */
  readonly failed: number;
  /** Why heartbeats stopped, if they did. */
  readonly stopped: RunnerError | null;
}

/** This process as a runner report names it. */
export function localIdentity(): RunnerIdentity {
  return { host: hostname().slice(0, RUNNER_HOST_MAX_CHARS) || 'unknown', pid: process.pid, version: packageJson.version };
}

/** A runner that has said nothing this long after opening sends its first heartbeat. */
const FIRST_HEARTBEAT_GRACE_MS = 1000;

/** Codes with which the server refuses the heartbeat the way it would refuse the next append. */
const STOPS_THE_RUNNER = new Set<string>(['unauthorized', 'forbidden', 'stale_epoch', 'build_not_found']);

export class Heartbeat {
  readonly #http: HttpClient;
  readonly #snapshot: () => PresenceSnapshot;
  readonly #options: HeartbeatOptions;
  readonly #identity: RunnerIdentity;
  readonly #onRejected: (error: RunnerError) => void;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #lastSentAt = Date.now();
  #inFlight: Promise<void> | undefined;
  #sent = 0;
  #failed = 0;
  #stopped: RunnerError | null = null;
  #closed = false;

  constructor(http: HttpClient, snapshot: () => PresenceSnapshot, options: HeartbeatOptions, onRejected: (error: RunnerError) => void) {
    this.#http = http;
    this.#snapshot = snapshot;
    this.#options = options;
    this.#identity = options.identity ?? localIdentity();
    this.#onRejected = onRejected;
  }

  /**
   * The first heartbeat goes out after a short grace (the server soon learns of a runner that
   * starts quiet), unless an append carried the report first — as it does for a runner that
   * emits at once, or a one-shot `runlog-runner emit`. Then one per quiet interval.
   */
  start(): void {
    const grace = Math.min(this.#options.intervalMs, FIRST_HEARTBEAT_GRACE_MS);
    this.#lastSentAt = Date.now() - this.#options.intervalMs + grace;
    this.#arm(grace);
  }

  stats(): HeartbeatStats {
    return { sent: this.#sent, failed: this.#failed, stopped: this.#stopped };
  }

  /**
   * The header an append carries: the report as it stands when the append goes out (its own
   * events still count, they are not acked yet). It is word from the runner: the next
   * heartbeat waits a whole interval.
   */
  headerFor(): Record<string, string> {
    this.#lastSentAt = Date.now();
    return { [H.runner]: asciiJson(this.#report()) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#inFlight;
  }

  #report(): RunnerReport {
    const now = this.#snapshot();
    return {
      backlog: { events: now.unackedEvents, bytes: now.unackedBytes },
      state: now.state,
      host: this.#identity.host,
      pid: this.#identity.pid,
      version: this.#identity.version,
      intervalMs: this.#options.intervalMs,
    };
  }

  #arm(delayMs: number): void {
    if (this.#closed || this.#stopped !== null) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, delayMs));
    // Heartbeats alone never keep a process alive: a script that forgot close() still exits.
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closed || this.#stopped !== null) return;
    const now = this.#snapshot();
    if (now.done || now.stopped) return; // finished, or stopped for good: the runner has gone quiet on purpose
    const due = this.#lastSentAt + this.#options.intervalMs;
    if (this.#inFlight !== undefined || Date.now() < due) {
      this.#arm(this.#inFlight !== undefined ? this.#options.intervalMs : due - Date.now());
      return;
    }
    this.#inFlight = this.#send(now.epoch).finally(() => {
      this.#inFlight = undefined;
      this.#arm(this.#lastSentAt + this.#options.intervalMs - Date.now());
    });
  }

  async #send(epoch: number): Promise<void> {
    this.#lastSentAt = Date.now();
    this.#sent++;
    const body: HeartbeatRequest = { epoch, runner: this.#report() };
    const path = `/v1/builds/${encodeURIComponent(this.#options.buildId)}/heartbeat`;
    const result = await this.#http.request('POST', path, asciiJson(body), this.#abort.signal, 'heartbeat');
    if (result.kind === 'ok' || result.kind === 'aborted') return;
    this.#failed++;
    const { error, problem } = result;
    if (error instanceof RetryableError) return; // the server is away: the silence says so; try next interval
    this.#stopped = error;
    // A bare 404 (a proxy, not runlog) says nothing about the build; a 401 or 403 always speaks of the token.
    const code = problem?.code ?? (error instanceof UploadRejectedError && (error.status === 401 || error.status === 403) ? error.code : undefined);
    if (code !== undefined && STOPS_THE_RUNNER.has(code)) this.#onRejected(error);
    // Anything else (build_closed; not_found from a server without heartbeats; a 400) only
    // ends the heartbeats: the appends say what they have to say themselves.
  }
}

/** JSON with every non-ASCII character escaped: a header value must be ASCII. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
