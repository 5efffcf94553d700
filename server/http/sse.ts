// Server-Sent Events plumbing (PROTOCOL §SSE): headers, frames, and a response whose body is
// pulled — the next chunk is produced only when the socket has taken the previous one, so a
// slow reader holds the server to one pending step, never a growing buffer.
import { ContentTypes, Headers as H } from '../../protocol/headers.js';
import { SSE_RETRY_MAX_MS, SSE_RETRY_MIN_MS } from '../../protocol/limits.js';
import { ssePingFrame } from '../../protocol/sse-frames.js';
import type { Shutdown } from './shutdown.js';

export const SSE_HEADERS: Record<string, string> = {
  [H.contentType]: `${ContentTypes.eventStream}; charset=utf-8`,
  [H.cacheControl]: 'no-cache, no-transform',
  [H.accelBuffering]: 'no',
  // No `Connection: keep-alive`: HTTP/1.1 keeps connections by default, and HTTP/2 forbids the header.
};

/** Spread reconnects so a restarted server is not hit by every browser at once. */
export function jitteredRetryMs(random: () => number = Math.random): number {
  return Math.floor(SSE_RETRY_MIN_MS + random() * (SSE_RETRY_MAX_MS - SSE_RETRY_MIN_MS + 1));
}

/**
 * The next part of the stream: text, or bytes already encoded (the tail cache's frames, shared
 * by every viewer — sent as they are, never copied unless several must be joined); null ends it.
 */
export type SseChunk = string | readonly Uint8Array[] | null;

/** Produces the next chunk of the stream. Called only when the socket wants more. */
export type SseProducer = (signal: AbortSignal) => Promise<SseChunk>;

function toBytes(chunk: string | readonly Uint8Array[]): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk);
}

/**
 * An SSE response: `retry:` and the first ping (announcing `pingIntervalMs`) first, then
 * whatever `produce` yields. The stream ends when `produce` returns null, the client goes away,
 * or the server shuts down; `onClose` runs once.
 */
export function sseResponse(produce: SseProducer, options: { shutdown: Shutdown; onClose: () => void; pingIntervalMs: number }): Response {
  const local = new AbortController();
  let closed = false;
  let removeShutdown = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    local.abort();
    removeShutdown();
    options.onClose();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // The first ping goes with `retry:`: it announces the interval readers judge liveness by.
        controller.enqueue(Buffer.from(`retry: ${jitteredRetryMs()}\n\n${ssePingFrame(options.pingIntervalMs)}`));
        removeShutdown = options.shutdown.onShutdown(() => {
          try {
            controller.close();
          } catch {
            // already closed
          }
          close();
        });
      },
      async pull(controller) {
        if (closed) return;
        try {
          const chunk = await produce(local.signal);
          if (closed) return;
          if (chunk === null) {
            controller.close();
            close();
          } else {
            controller.enqueue(toBytes(chunk));
          }
        } catch (error) {
          if (!closed) controller.error(error);
          close();
        }
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
