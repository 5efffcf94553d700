// Reads an SSE response frame by frame from the raw bytes (no EventSource), so tests see
// exactly what the server wrote: ids, events, comments, retry lines.
import { SseFrameParser, type SseFrame } from '../../protocol/sse-frames.js';

export type { SseFrame };

export interface SseConnection {
  readonly status: number;
  readonly headers: Headers;
  /** The next frame, or undefined once the server closed the stream. Rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseFrame | undefined>;
  /** Frames until `until` returns true for one (included) or the stream ends. */
  collect(until: (frame: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame[]>;
  close(): void;
}

export async function openSse(url: string, init: { headers?: Record<string, string> } = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...init.headers }, signal: controller.signal });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let ended = !reader;

  const parser = new SseFrameParser();
  const ready: SseFrame[] = [];

  const next = async (timeoutMs = 10_000): Promise<SseFrame | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = ready.shift();
      if (frame) return frame;
      if (ended) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SSE frame within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader!.read(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no SSE frame within ${timeoutMs} ms`)), remaining))),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) ended = true;
      else ready.push(...parser.push(decoder.decode(chunk.value, { stream: true })));
    }
  };

  return {
    status: response.status,
    headers: response.headers,
    next,
    async collect(until, timeoutMs = 10_000) {
      const frames: SseFrame[] = [];
      for (;;) {
        const frame = await next(timeoutMs);
        if (!frame) return frames;
        frames.push(frame);
        if (until(frame)) return frames;
      }
    },
    close: () => controller.abort(),
  };
}

/** The seqs of the event frames among `frames`. */
export function eventIds(frames: readonly SseFrame[]): number[] {
  return frames.filter((f) => f.id !== undefined && f.event === undefined).map((f) => Number(f.id));
}
