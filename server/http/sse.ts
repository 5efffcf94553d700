// Server-Sent Events plumbing (PROTOCOL §SSE): headers, frames, and a response whose body is
// pulled — the next frame is produced only when the socket has taken the previous one, so a
// slow reader holds the server to one pending step, never a growing buffer.
import { ContentTypes, Headers as H } from '../../protocol/headers.js';
import { SSE_RETRY_MAX_MS, SSE_RETRY_MIN_MS } from '../../protocol/limits.js';
import { ssePingFrame } from '../../protocol/sse-frames.js';

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

/** Produces the next chunk of the stream, or null to end it. Called only when the socket wants more. */
export type SseProducer = (signal: AbortSignal) => Promise<string | null>;

/**
 * An SSE response: `retry:` first, then whatever `produce` yields. The stream ends when
 * `produce` returns null, the client goes away, or `shutdown` aborts; `onClose` runs once.
 */
export function sseResponse(produce: SseProducer, options: { shutdown: AbortSignal; onClose: () => void; pingIntervalMs?: number }): Response {
  const encoder = new TextEncoder();
  const local = new AbortController();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    local.abort();
    options.shutdown.removeEventListener('abort', onShutdown);
    options.onClose();
  };
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  const onShutdown = () => {
    try {
      controllerRef?.close();
    } catch {
      // already closed
    }
    close();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
        options.shutdown.addEventListener('abort', onShutdown, { once: true });
        // The first ping goes with `retry:`: it announces the interval readers judge liveness by.
        const ping = options.pingIntervalMs === undefined ? '' : ssePingFrame(options.pingIntervalMs);
        controller.enqueue(encoder.encode(`retry: ${jitteredRetryMs()}\n\n${ping}`));
        if (options.shutdown.aborted) onShutdown();
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
            controller.enqueue(encoder.encode(chunk));
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
