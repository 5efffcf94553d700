// The moving parts the chaos scenarios share: runners that emit a known sequence per build
// through a faulty proxy, readers that follow each build through another, and the audit that
// compares what the server holds and what every reader got with what was emitted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { openRunner, type FetchLike, type Runner } from '../../../runner-client/index.js';
import { auditSequence, followLog, type ResumingReader } from './resuming-reader.js';

export interface FleetBuild {
  readonly buildId: string;
  readonly runner: string;
  readonly viewer: string;
}

/** One new connection per request, so every exchange draws its own fault at the proxy. */
export function connectionPerRequestFetch(): { fetch: FetchLike; close: () => Promise<void> } {
  const agent = new Agent({ pipelining: 0, keepAliveTimeout: 1, keepAliveMaxTimeout: 1, headersTimeout: 0, bodyTimeout: 0 });
  return {
    fetch: ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as FetchLike,
    close: () => agent.close(),
  };
}

export const lineOf = (buildId: string, i: number) => `${buildId} line ${i}`;

/**
 * Emits `events` log events (the last one as `finish`) for one build through `url`, as fast as
 * the spool takes them, and resolves when the final ack arrived with a matching digest.
 */
export async function runBuild(options: {
  url: string;
  build: FleetBuild;
  events: number;
  spoolDir: string;
  fetch: FetchLike;
  /** Pause this long after every 25 emits, to stretch a build over time. @default 0 */
  paceMs?: number;
}): Promise<{ runner: Runner; digest: string }> {
  const runner = await openRunner({
    url: options.url,
    buildId: options.build.buildId,
    token: options.build.runner,
    spoolDir: options.spoolDir,
    fetch: options.fetch,
    maxBatchEvents: 25, // many small exchanges: each one is a chance for a fault
    maxDelayMs: 1000,
    requestTimeoutMs: 5000,
    durability: 'none',
  });
  const pending: Array<Promise<number>> = [];
  for (let i = 1; i < options.events; i++) {
    pending.push(runner.emit('log', { stream: 'stdout', line: lineOf(options.build.buildId, i) }));
    if (pending.length >= 200) await Promise.all(pending.splice(0));
    if (options.paceMs && i % 25 === 0) await new Promise((r) => setTimeout(r, options.paceMs));
  }
  await Promise.all(pending);
  const result = await runner.finish({ status: 'succeeded' });
  await runner.close();
  return { runner, digest: result.digest };
}

export interface LogAudit {
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly wrongContent: number;
}

/** Reads a build's whole log (directly, not through a proxy) and compares it with the emitted sequence. */
export async function auditStoredLog(serverUrl: string, adminToken: string, buildId: string, events: number): Promise<LogAudit & { digest: string }> {
  const seqs: number[] = [];
  let wrongContent = 0;
  for (let after = 0; ; ) {
    const res = await fetch(`${serverUrl}/v1/builds/${buildId}/events?after=${after}&limit=10000`, { headers: { authorization: `Bearer ${adminToken}` } });
    const page = (await res.json()) as { events: Array<{ seq: number; type: string; data: { line?: string } }>; next: number };
    if (page.events.length === 0) break;
    for (const e of page.events) {
      seqs.push(e.seq);
      const expected = e.seq < events ? e.type === 'log' && e.data.line === lineOf(buildId, e.seq) : e.type === 'finish';
      if (!expected) wrongContent++;
    }
    after = page.next;
  }
  const build = (await (await fetch(`${serverUrl}/v1/builds/${buildId}`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { digest: string };
  return { ...auditSequence(seqs, events), wrongContent, digest: build.digest };
}

export async function followAll(readerUrl: string, builds: readonly FleetBuild[]): Promise<Map<string, ResumingReader>> {
  return new Map(builds.map((b) => [b.buildId, followLog(`${readerUrl}/v1/builds/${b.buildId}/stream?token=${b.viewer}`)]));
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Sums per-kind counts of several audits. */
export function totals(audits: readonly LogAudit[]): LogAudit {
  return audits.reduce(
    (t, a) => ({ lost: t.lost + a.lost, duplicated: t.duplicated + a.duplicated, reordered: t.reordered + a.reordered, wrongContent: t.wrongContent + a.wrongContent }),
    { lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 },
  );
}
