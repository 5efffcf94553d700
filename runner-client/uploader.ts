// Sends the spool to the server (PROTOCOL §Runner obligations): up to K batches in flight,
// each answer trims the spool and verifies the hash chain, holes the server reports are
// resent, failures back off with full jitter and are retried for as long as the process lives.
//
//            durable records / answers / backoff timer
//                         │
//                         ▼
//   ┌──────────── pump: while fewer than K in flight, send the lowest seqs above the ack
//   │                   that are neither in flight nor known to be stored
//   │                     │
//   │        ┌────────────┼──────────────┬───────────────────┬──────────────────┐
//   │        ▼            ▼              ▼                   ▼                  ▼
//   │     200 ack      network/5xx/429   409 gap_too_large   409/401/403/4xx    close()
//   │   trim + verify   re-queue range   re-queue range;     stop: flush(),     abort in flight
//   │   chain, requeue  state backoff|   no sends until      finish(), emit()
//   │   `missing`       offline, sleep   in-flight answers   reject; 'error'
//   └──────◄──────────────◄──────────────◄── all came back
//
// Invariant: every seq in (ack, durableSeq] is in flight, known stored, or about to be sent;
// resending is always safe because the server treats an identical seq as a no-op (rule 1).
import PQueue from 'p-queue';
import { AppendResponseSchema } from '../protocol/schemas.js';
import type { AppendResponse } from '../protocol/wire-types.js';
import { Backoff } from './backoff.js';
import { IntegrityError, RetryableError, RunnerError, SpoolError } from './errors.js';
import type { HttpClient } from './http-client.js';
import { RangeSet } from './range-set.js';
import type { SpoolRecord } from './record-codec.js';
import type { SpoolState } from './spool.js';

/** What the uploader needs of the spool. */
export interface UploadSource {
  state(): SpoolState;
  read(fromSeq: number, toSeq: number, maxEvents: number, maxBytes: number): Promise<SpoolRecord[]>;
  advance(ack: number): Promise<{ ack: number; digest: string }>;
}

export type ConnectionState = 'online' | 'backoff' | 'offline';

export interface UploaderOptions {
  readonly buildId: string;
  readonly maxInFlight: number;
  readonly maxBatchEvents: number;
  readonly maxBatchBytes: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random: () => number;
}

export interface UploaderEvents {
  /** The connection state, the verified ack or the last error changed. */
  onChange(): void;
  /** The uploader stopped for good. */
  onFatal(error: RunnerError): void;
  /** Extra headers of an append as it goes out: the runner's presence report (PROTOCOL §Runner presence). */
  appendHeaders?(): Readonly<Record<string, string>> | undefined;
}

export interface UploaderStats {
  readonly state: ConnectionState;
  /** The highest ack the server sent and the runner verified and trimmed. */
  readonly ack: number;
  /** The server's digest at `ack`. */
  readonly digest: string;
  readonly inFlight: number;
  readonly requests: number;
  readonly failures: number;
  /** Events put on the wire, resends included. */
  readonly eventsSent: number;
  readonly lastError: Error | null;
  readonly stopped: RunnerError | null;
}

interface Flight {
  from: number;
  to: number;
  /** The backoff round it was sent in: failures of older rounds do not back off again. */
  readonly round: number;
}

const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}');

export class Uploader {
  readonly #source: UploadSource;
  readonly #http: HttpClient;
  readonly #options: UploaderOptions;
  readonly #events: UploaderEvents;
  readonly #queue: PQueue;
  readonly #backoff: Backoff;
  readonly #abort = new AbortController();
  readonly #covered = new RangeSet();
  readonly #inFlight = new Map<number, Flight>();
  #nextFlightId = 0;
  #round = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  /** After gap_too_large: send nothing until every flight has come back. */
  #draining = false;
  #state: ConnectionState = 'online';
  /** Highest ack any 200 answer carried. */
  #serverAck: number;
  /** Highest ack whose chain matched and whose records left the spool. */
  #verifiedAck: number;
  #verifiedDigest: string;
  #verifyTarget: { ack: number; digest: string } | undefined;
  #verifying = false;
  #waiters: Array<{ seq: number; resolve: () => void; reject: (error: Error) => void }> = [];
  #fatal: RunnerError | undefined;
  #closed = false;
  #lastError: Error | null = null;
  #requests = 0;
  #failures = 0;
  #eventsSent = 0;

  constructor(source: UploadSource, http: HttpClient, options: UploaderOptions, events: UploaderEvents) {
    this.#source = source;
    this.#http = http;
    this.#options = options;
    this.#events = events;
    this.#queue = new PQueue({ concurrency: options.maxInFlight });
    this.#backoff = new Backoff(options);
    const state = source.state();
    this.#serverAck = state.trimmedTo;
    this.#verifiedAck = state.trimmedTo;
    this.#verifiedDigest = state.digest;
  }

  stats(): UploaderStats {
    return {
      state: this.#state,
      ack: this.#verifiedAck,
      digest: this.#verifiedDigest,
      inFlight: this.#inFlight.size,
      requests: this.#requests,
      failures: this.#failures,
      eventsSent: this.#eventsSent,
      lastError: this.#lastError,
      stopped: this.#fatal ?? null,
    };
  }

  /** Resolves once the server acked (and the runner verified) every seq ≤ `seq`. */
  waitFor(seq: number): Promise<void> {
    if (this.#fatal !== undefined) return Promise.reject(this.#fatal);
    if (seq <= this.#verifiedAck) return Promise.resolve();
    if (this.#closed) return Promise.reject(new RunnerError('runner_closed', 'The runner is closed'));
    return new Promise((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
  }

  /** Sends what can be sent now. Called when records become durable and after every answer. */
  pump(): void {
    if (this.#fatal !== undefined || this.#closed || this.#backoffTimer !== undefined) return;
    if (this.#draining) {
      if (this.#inFlight.size > 0) return;
      this.#draining = false;
    }
    const { durableSeq } = this.#source.state();
    const low = this.#serverAck + 1;
    while (this.#inFlight.size < this.#options.maxInFlight) {
      const from = this.#covered.firstMissing(low, durableSeq);
      if (from === undefined) return;
      const to = Math.min(durableSeq, this.#covered.nextAbove(from) - 1, from + this.#options.maxBatchEvents - 1);
      const id = ++this.#nextFlightId;
      const flight: Flight = { from, to, round: this.#round };
      this.#inFlight.set(id, flight);
      this.#covered.add(from, to);
      void this.#queue.add(() => this.#send(id, flight));
    }
  }

  async #send(id: number, flight: Flight): Promise<void> {
    try {
      const epoch = this.#source.state().epoch;
      let records: SpoolRecord[] = [];
      try {
        if (flight.from > this.#serverAck) records = await this.#source.read(flight.from, flight.to, this.#options.maxBatchEvents, this.#options.maxBatchBytes);
      } catch (error) {
        // An ack that arrived meanwhile may have trimmed these records away: nothing to send then.
        if (flight.to > this.#serverAck) throw error;
      }
      if (this.#closed || this.#fatal !== undefined || flight.to <= this.#serverAck) return;
      if (records.length === 0) throw new SpoolError('spool_corrupt', `Seqs ${flight.from}–${flight.to} are durable but the spool returned none of them`);
      const sentTo = records.at(-1)!.seq;
      if (sentTo < flight.to) {
        // The byte limit cut the batch: the rest goes in another one.
        this.#covered.remove(sentTo + 1, flight.to);
        flight.to = sentTo;
        this.#queueMicrotaskPump();
      }
      const final = records.at(-1)!.final;
      const body = batchBody(flight.from, epoch, final, records);
      this.#requests++;
      this.#eventsSent += records.length;
      const path = `/v1/builds/${encodeURIComponent(this.#options.buildId)}/events`;
      const headers = this.#events.appendHeaders?.();
      const result = await this.#http.request('POST', path, body, this.#abort.signal, `append ${flight.from}–${sentTo}`, headers);
      if (result.kind === 'aborted' || this.#closed) return;
      // From here on the answer, not the flight, says what the server holds of these seqs.
      this.#inFlight.delete(id);
      if (result.kind === 'ok') {
        const parsed = AppendResponseSchema.safeParse(result.body);
        if (parsed.success) this.#onAnswer(parsed.data, flight);
        else this.#onFailure(new RetryableError('http_error', `append ${flight.from}–${sentTo}: the answer is not an append answer`), flight);
        return;
      }
      const { error, problem } = result;
      if (error instanceof RetryableError) {
        this.#onFailure(error, flight);
      } else if (problem?.code === 'gap_too_large' && flight.from > this.#serverAck + 1) {
        // PROTOCOL §Append rule 3: wait for the flights out there, then resend from ack + 1.
        this.#lastError = error;
        this.#covered.remove(flight.from, flight.to);
        this.#draining = true;
      } else if (problem?.code === 'gap_too_large') {
        // Refused right at the ack: no gap to close, a server misconfigured; back off, never spin.
        this.#onFailure(new RetryableError('gap_too_large', error.message, { status: error.status }), flight);
      } else {
        this.#stop(error);
      }
    } catch (error) {
      this.#stop(error instanceof RunnerError ? error : new SpoolError('spool_corrupt', `Reading the spool failed: ${(error as Error).message}`, { cause: error }));
    } finally {
      this.#inFlight.delete(id);
      this.pump();
    }
  }

  #queueMicrotaskPump(): void {
    queueMicrotask(() => this.pump());
  }

  #onAnswer(answer: AppendResponse, flight: Flight): void {
    // The server stores (ack, highest] minus `missing`; with no `missing` it stores nothing above
    // the ack. Whatever it lacks and is not on its way is sent again.
    const holes: Array<readonly [number, number]> = answer.missing.length > 0 ? answer.missing : [[answer.ack + 1, Number.MAX_SAFE_INTEGER]];
    // A truthful server never lists the batch it just answered as missing. If one does, believe it
    // and resend — after a backoff, so a server that keeps losing batches is not hammered.
    const kept = flight.to <= answer.ack || !holes.some(([a, b]) => a <= flight.to && b >= flight.from);
    if (kept) {
      this.#backoff.reset();
      this.#setState('online');
    }
    if (answer.ack >= this.#serverAck) {
      // (An older answer overtaken by a newer one has nothing new in it.)
      this.#serverAck = answer.ack;
      this.#covered.removeThrough(answer.ack);
      for (const [a, b] of holes) this.#covered.remove(a, b);
      // Batches still out there are not resent until their own answer says so.
      for (const other of this.#inFlight.values()) this.#covered.add(other.from, other.to);
    }
    if (answer.ack > this.#verifiedAck && (this.#verifyTarget === undefined || answer.ack > this.#verifyTarget.ack)) {
      this.#verifyTarget = { ack: answer.ack, digest: answer.digest };
      void this.#verify();
    }
    if (!kept) this.#onFailure(new RetryableError('http_error', `append ${flight.from}–${flight.to}: answered, but the server does not hold these seqs`), flight);
  }

  /** Trims the spool to the newest ack and checks the server's digest against the runner's chain, one at a time. */
  async #verify(): Promise<void> {
    if (this.#verifying) return;
    this.#verifying = true;
    try {
      while (this.#verifyTarget !== undefined && this.#fatal === undefined) {
        const target = this.#verifyTarget;
        this.#verifyTarget = undefined;
        const mine = await this.#source.advance(target.ack);
        if (mine.ack === target.ack && mine.digest !== target.digest) {
          this.#stop(new IntegrityError(target.ack, mine.digest, target.digest));
          return;
        }
        this.#verifiedAck = Math.max(this.#verifiedAck, mine.ack);
        this.#verifiedDigest = target.digest;
        this.#waiters = this.#waiters.filter((w) => (w.seq <= this.#verifiedAck ? (w.resolve(), false) : true));
        this.#events.onChange();
      }
    } catch (error) {
      this.#stop(error instanceof RunnerError ? error : new SpoolError('spool_corrupt', (error as Error).message, { cause: error }));
    } finally {
      this.#verifying = false;
    }
  }

  #onFailure(error: RetryableError, flight: Flight): void {
    this.#failures++;
    this.#lastError = error;
    this.#covered.remove(flight.from, flight.to);
    // Flights sent before the current backoff began fail together when the server goes away;
    // only the first failure of a round counts as an attempt.
    if (flight.round < this.#round) return;
    this.#round++;
    const delay = this.#backoff.next(error.retryAfterMs);
    this.#setState(error.offline ? 'offline' : 'backoff');
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.pump();
    }, delay);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.onChange();
  }

  /** Stops for good from outside (the spool failed). */
  fail(error: RunnerError): void {
    this.#stop(error);
  }

  /** Stops for good (PROTOCOL §Runner obligations: the only reasons the runner stops trying). */
  #stop(error: RunnerError): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error;
    this.#lastError = error;
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
    this.#abort.abort();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#events.onFatal(error);
    this.#events.onChange();
  }

  /** Aborts what is in flight (it may or may not have committed; the next process resends it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
    this.#abort.abort();
    this.#queue.clear();
    await this.#queue.onIdle();
    const error = new RunnerError('runner_closed', 'The runner was closed before these events were acked');
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}

function batchBody(from: number, epoch: number, final: boolean, records: readonly SpoolRecord[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`{"from":${from},"epoch":${epoch},${final ? '"final":true,' : ''}"events":[`)];
  records.forEach((record, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(record.payload);
  });
  parts.push(TAIL);
  return Buffer.concat(parts);
}
