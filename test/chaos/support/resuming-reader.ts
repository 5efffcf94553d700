// A log follower the way a browser's EventSource behaves, with nothing hidden: on any cut it
// reconnects with Last-Event-ID after the last complete frame, and records every event frame
// it ever received — so a duplicate or a reorder by the server shows up in `received`.
import { SseFrameParser } from '../../../protocol/sse-frames.js';

export interface ResumingReader {
  /** Seqs of every event frame received, in arrival order, across all connections. */
  readonly received: number[];
  /** Connections made (the first plus every resume). */
  connections(): number;
  /** Resolves when `event: end` arrived or a 204 said the log is complete. */
  readonly done: Promise<void>;
  stop(): void;
}

export function followLog(streamUrl: string, options: { retryMs?: number; deadlineMs?: number } = {}): ResumingReader {
  const received: number[] = [];
  let lastId: string | undefined;
  let connections = 0;
  let stopped = false;
  let controller: AbortController | undefined;
  const deadline = Date.now() + (options.deadlineMs ?? 600_000);

  const once = async (): Promise<'end' | 'cut'> => {
    controller = new AbortController();
    connections++;
    const headers: Record<string, string> = lastId === undefined ? {} : { 'Last-Event-ID': lastId };
    const res = await fetch(streamUrl, { headers, signal: controller.signal });
    if (res.status === 204) return 'end';
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return 'cut';
    }
    const decoder = new TextDecoder();
    const parser = new SseFrameParser();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const frame of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (frame.event === 'end') return 'end';
        if (frame.id !== undefined) {
          received.push(Number(frame.id));
          lastId = frame.id;
        }
      }
    }
    return 'cut'; // a stream cut mid-frame leaves its partial frame in `buffer`, never counted
  };

  const done = (async () => {
    while (!stopped) {
      if (Date.now() > deadline) throw new Error(`reader of ${streamUrl} gave up after its deadline; ${received.length} events`);
      try {
        if ((await once()) === 'end') return;
      } catch {
        // refused, reset, or stopped
      }
      await new Promise((r) => setTimeout(r, options.retryMs ?? 50));
    }
  })();

  return {
    received,
    connections: () => connections,
    done,
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}

/** Where `received` departs from 1..n: counts of lost, duplicated and reordered events. */
export function auditSequence(received: readonly number[], n: number): { lost: number; duplicated: number; reordered: number } {
  const seen = new Set<number>();
  let duplicated = 0;
  let reordered = 0;
  let previous = 0;
  for (const seq of received) {
    if (seen.has(seq)) duplicated++;
    else if (seq < previous) reordered++;
    seen.add(seq);
    previous = Math.max(previous, seq);
  }
  let lost = 0;
  for (let s = 1; s <= n; s++) if (!seen.has(s)) lost++;
  return { lost, duplicated, reordered };
}
