// Server-Sent Events plumbing (PROTOCOL §SSE): headers, frames, and a response whose body is
// pulled — the next chunk is produced once the socket has taken the previous one (for a reader
// catching up, while it sends it), so a slow reader holds the server to one chunk read ahead at
// most, never a growing buffer.
import { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
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
 * by every viewer — written as they are, never copied); null ends it.
 */
export type SseChunk = string | readonly Uint8Array[] | null;

/** Produces the next chunk of the stream. Called once the socket has taken the last one, or (`readAhead`) while it sends it. */
export type SseProducer = (signal: AbortSignal) => Promise<SseChunk>;

/** Node's response, HTTP/1.1 or HTTP/2 (what `c.env.outgoing` is under @hono/node-server). */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** What the frame writer uses of either kind of response. */
interface FrameSink {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  write(chunk: string | Uint8Array): boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

export interface SseOptions {
  readonly shutdown: Shutdown;
  readonly onClose: () => void;
  readonly pingIntervalMs: number;
  /** True when the next chunk is there to read now (a reader behind the ack): read it while the socket is full. */
  readonly readAhead?: () => boolean;
}

/**
 * An SSE response: `retry:` and the first ping (announcing `pingIntervalMs`) first, then
 * whatever `produce` yields. The stream ends when `produce` returns null, the client goes away,
 * or the server shuts down; `onClose` runs once.
 *
 * Hono and its middleware answer the head (status, CORS, request id) as for any response; the
 * frames go straight into Node's response, not through the web `ReadableStream` the Response
 * carries: with thousands of viewers, a stream read, its promise chain and (for several frames)
 * a copy per write per viewer were most of the fan-out's CPU. Several frames leave corked, as
 * one `writev` of the shared buffers. The Response's stream never yields: it stays open, one
 * read pending, and is closed when the stream ends, which makes @hono/node-server end the
 * response.
 */
export function sseResponse(outgoing: NodeResponse, produce: SseProducer, options: SseOptions): Response {
  const local = new AbortController();
  let closed = false;
  let removeShutdown = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    local.abort();
    removeShutdown();
    outgoing.off('close', close);
    options.onClose();
  };
  outgoing.on('close', close);
  removeShutdown = options.shutdown.onShutdown(close);
  const sink: FrameSink = outgoing;
  const pump = async (): Promise<void> => {
    // @hono/node-server may ask the body for a chunk before it writes the head (it looks for a
    // short body to give a Content-Length): no frame may go out before the head.
    while (!outgoing.headersSent && !closed) await new Promise((resolve) => setImmediate(resolve));
    // The first ping goes with `retry:`: it announces the interval readers judge liveness by.
    let chunk: SseChunk = `retry: ${jitteredRetryMs()}\n\n${ssePingFrame(options.pingIntervalMs)}`;
    while (!closed && chunk !== null) {
      // Gone before its 'close' could be heard (or before this stream listened for it).
      if (sink.destroyed || sink.writableEnded) return;
      const taken = write(sink, chunk);
      // A reader behind the ack gets its next chunk read while the socket sends this one: it
      // waits for the database or for its socket, not for each in turn, and never more than
      // one chunk ahead. A viewer at the live edge waits for its socket first, so whatever
      // commits meanwhile leaves in one write (read ahead, it went in many small ones).
      const next = !taken && options.readAhead?.() === true ? produce(local.signal) : undefined;
      // Awaited below; until then a failure must not count as an unhandled rejection.
      next?.catch(() => {});
      // A closed response refuses writes too: `closed` tells that apart from a full buffer.
      if (!taken && !closed) await drained(sink, local.signal);
      if (closed) return;
      chunk = await (next ?? produce(local.signal));
    }
  };
  let pumping = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pumping) return;
        pumping = true;
        let failure: unknown;
        try {
          await pump();
        } catch (error) {
          failure = error;
        } finally {
          close();
        }
        try {
          if (failure === undefined) controller.close();
          else controller.error(failure);
        } catch {
          // Already cancelled: the client went away first.
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

/** Writes one chunk; false when the socket's buffer is full and the next must wait for `drain`. */
function write(outgoing: FrameSink, chunk: string | readonly Uint8Array[]): boolean {
  if (typeof chunk === 'string') return outgoing.write(chunk);
  if (chunk.length === 1) return outgoing.write(chunk[0]!);
  // Corked, the shared buffers leave in one writev (HTTP/2's response has no cork; its frames
  // are gathered by the session anyway).
  const corkable = outgoing instanceof ServerResponse;
  if (corkable) outgoing.cork();
  let ok = true;
  for (const part of chunk) ok = outgoing.write(part);
  if (corkable) outgoing.uncork();
  return ok;
}

/** Until the socket takes more, or the stream ends (a shutdown must not wait for a slow reader). */
function drained(outgoing: FrameSink, ended: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done);
      outgoing.off('close', done);
      ended.removeEventListener('abort', done);
      resolve();
    };
    outgoing.on('drain', done);
    outgoing.on('close', done);
    ended.addEventListener('abort', done);
  });
}
