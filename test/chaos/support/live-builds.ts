// Builds that run until told to finish, and readers of every kind, for the deployment scenarios:
// the runner library and the `runlog-runner exec` CLI write; the `eventsource` package, the
// web-client's watchBuild and a raw resuming reader follow. Each reader keeps every event it got
// so the audit can check order, completeness and the hash chain over what it saw.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EventSource } from 'eventsource';
import { chainDigests } from '../../../protocol/hash-chain.js';
import type { LogEvent } from '../../../protocol/wire-types.js';
import { openRunner, type FetchLike } from '../../../runner-client/index.js';
import { watchBuild } from '../../../web-client/index.js';
import { RUNNER_BIN } from '../../support/runner-harness.js';
import { lineOf, type FleetBuild } from './chaos-fleet.js';
import { auditSequence, followLog, type ResumingReader } from './resuming-reader.js';

/** What one append exchange answered, as the runner saw it. */
export interface AppendAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
}

/** A fetch that records the status and Retry-After of every append answer. */
export function recordingAppendFetch(answers: AppendAnswer[]): FetchLike {
  return (async (input: string, init: RequestInit) => {
    const response = await fetch(input, init);
    if (init.method === 'POST' && /\/events$/.test(new URL(input).pathname)) {
      answers.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
    }
    return response;
  }) as FetchLike;
}

export interface LiveBuild {
  /** Events emitted so far. */
  emitted(): number;
  /** Emits the final event, waits for its ack; resolves with the event count and the runner's digest. */
  finish(): Promise<{ events: number; digest: string }>;
}

/**
 * The runner library emitting `log` events (lineOf) about `perSecond` a second until finish():
 * the last event is `finish`. Small batches: each is an exchange a fault can hit.
 */
export async function startLibraryBuild(options: {
  url: string | readonly string[];
  build: FleetBuild;
  spoolDir: string;
  fetch: FetchLike;
  perSecond: number;
}): Promise<LiveBuild> {
  const runner = await openRunner({
    url: options.url,
    buildId: options.build.buildId,
    token: options.build.runner,
    spoolDir: options.spoolDir,
    fetch: options.fetch,
    maxBatchEvents: 25,
    maxDelayMs: 1000,
    requestTimeoutMs: 5000,
    durability: 'none',
  });
  let emitted = 0;
  let stopping = false;
  const tickMs = 50;
  const loop = (async () => {
    const pending: Array<Promise<number>> = [];
    while (!stopping) {
      for (let k = 0; k < Math.max(1, Math.round((options.perSecond * tickMs) / 1000)); k++) {
        emitted++;
        pending.push(runner.emit('log', { stream: 'stdout', line: lineOf(options.build.buildId, emitted) }));
      }
      if (pending.length >= 200) await Promise.all(pending.splice(0));
      await new Promise((r) => setTimeout(r, tickMs));
    }
    await Promise.all(pending);
  })();
  return {
    emitted: () => emitted,
    async finish() {
      stopping = true;
      await loop;
      const result = await runner.finish({ status: 'succeeded' });
      await runner.close();
      return { events: emitted + 1, digest: result.digest };
    },
  };
}

/**
 * `runlog-runner exec` running a command that prints `cli line N` every 10 ms until `stop()`:
 * events are `start`, the lines as `log`, then `finish`.
 */
export function startCliBuild(options: { url: string; build: FleetBuild; spoolDir: string }): { stop(): void; done: Promise<{ code: number | null; stderr: string }> } {
  const stopFile = path.join(options.spoolDir, `stop-${options.build.buildId}`);
  const script = `const fs=require('fs');let i=0;const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(stopFile)})){clearInterval(t);return}console.log('cli line '+(++i))},10)`;
  const child = spawn(process.execPath, [RUNNER_BIN, 'exec', '--no-echo', '--', process.execPath, '-e', script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RUNLOG_URL: options.url, RUNLOG_BUILD: options.build.buildId, RUNLOG_TOKEN: options.build.runner, RUNLOG_SPOOL: options.spoolDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stderr })));
  return {
    // The command stops printing and exits once the file exists; exec then sends `finish`.
    stop: () => writeFileSync(stopFile, ''),
    done,
  };
}

export interface EventReader {
  readonly name: string;
  /** Every event received, in arrival order, duplicates included. */
  readonly events: LogEvent[];
  readonly done: Promise<void>;
  /** The seq of the /state snapshot a watcher started from (events up to it were folded, not delivered). */
  snapshotSeq(): number;
  stop(): void;
}

/** The `eventsource` package, reconnecting by itself with Last-Event-ID; done at `end`. */
export function followWithEventSource(baseUrl: string, build: FleetBuild): EventReader {
  const events: LogEvent[] = [];
  const es = new EventSource(`${baseUrl}/v1/builds/${build.buildId}/stream?token=${build.viewer}`);
  const errors: string[] = [];
  es.onerror = (error) => {
    const { code, message } = error as unknown as { code?: number; message?: string };
    errors.push(`${code ?? '-'} ${message ?? ''} (readyState ${es.readyState})`.trim());
  };
  (globalThis as Record<string, unknown>).__esErrors ??= new Map();
  ((globalThis as Record<string, unknown>).__esErrors as Map<string, string[]>).set(build.buildId, errors);
  const done = new Promise<void>((resolve) => {
    es.onmessage = (message) => events.push(JSON.parse(message.data) as LogEvent);
    es.addEventListener('end', () => {
      es.close();
      resolve();
    });
  });
  return { name: 'eventsource', events, done, snapshotSeq: () => 0, stop: () => es.close() };
}

/** The web-client's watchBuild (snapshot, stream, repair), done at `complete`. */
export function followWithWebClient(baseUrl: string, build: FleetBuild): EventReader {
  const events: LogEvent[] = [];
  let stop = () => {};
  let snapshot = () => 0;
  const done = new Promise<void>((resolve, reject) => {
    const watch = watchBuild({
      url: baseUrl,
      token: build.viewer,
      buildId: build.buildId,
      EventSource: EventSource as never,
      reconnectBaseMs: 200,
      reconnectMaxMs: 1000,
      onEvent: (event) => events.push(event),
      onStatus: (status) => {
        if (status.kind === 'complete') resolve();
        if (status.kind === 'error') reject(new Error(`web-client watch of ${build.buildId} failed: ${status.message}`));
      },
    });
    stop = () => watch.close();
    snapshot = () => watch.stats.snapshotSeq;
  });
  return { name: 'web-client', events, done, snapshotSeq: () => snapshot(), stop: () => stop() };
}

/** The raw resuming reader of the chaos suite (events as seqs only). */
export function followRaw(baseUrl: string, build: FleetBuild): ResumingReader {
  return followLog(`${baseUrl}/v1/builds/${build.buildId}/stream?token=${build.viewer}`);
}

export interface ReaderAudit {
  readonly reader: string;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  /** The hash chain over what the reader received equals the build's digest. */
  readonly digestMatches: boolean;
}

/**
 * Checks a reader's events against 1..n and the chain. The web-client starts from a /state
 * snapshot (events before it are folded, not delivered), so its audit starts after the snapshot.
 */
export function auditReader(reader: EventReader, n: number, digest: string, allEvents: readonly LogEvent[]): ReaderAudit {
  const snapshotSeq = reader.snapshotSeq();
  const seqs = reader.events.map((e) => e.seq);
  const tail = auditSequence(seqs, n);
  const lost = tail.lost - snapshotSeq;
  // The chain over the snapshot's part (from the stored log) and then what the reader received.
  const received = snapshotSeq === 0 ? reader.events : [...allEvents.slice(0, snapshotSeq), ...reader.events];
  return { reader: reader.name, lost, duplicated: tail.duplicated, reordered: tail.reordered, digestMatches: chainDigests('', received) === digest };
}
