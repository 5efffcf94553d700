// `runlog-runner tail`: follows a build's SSE stream (PROTOCOL §SSE), one line per event,
// reconnecting with Last-Event-ID after any disconnect, until the `end` frame or a 204.
import type { Writable } from 'node:stream';
import {
  BEARER_PREFIX,
  ContentTypes,
  EndFrameSchema,
  Headers as H,
  LogEventSchema,
  ProblemSchema,
  SSE_PING_EVENT,
  SSE_PING_INTERVAL_MS,
  SseFrameParser,
  deadStreamAfterMs,
  pingIntervalOf,
} from '../protocol/index.js';
import type { LogEvent } from '../protocol/wire-types.js';
import { Backoff } from './backoff.js';
import { UploadRejectedError } from './errors.js';
import { describeNetworkError } from './http-client.js';
import type { FetchLike } from './options.js';

export interface TailOptions {
  readonly url: string;
  /** Several base URLs of one deployment: a reconnect after trouble tries the next. @default [url] */
  readonly urls?: readonly string[];
  readonly buildId: string;
  readonly token: string;
  readonly after: number;
  readonly json: boolean;
  readonly out: Writable;
  /** Where reconnects are reported. */
  readonly err: Writable;
  readonly fetch?: FetchLike;
  /** The ping interval to assume until the server announces its own. @default SSE_PING_INTERVAL_MS */
  readonly pingIntervalMs?: number;
}

/** `42 log [stdout] hello` — or the event's JSON with `--json`. */
export function formatEvent(event: LogEvent, json: boolean): string {
  if (json) return JSON.stringify(event);
  const data = event.data as { stream?: unknown; line?: unknown } | null;
  if (event.type === 'log' && data !== null && typeof data === 'object' && typeof data.line === 'string') {
    return `${event.seq} log [${String(data.stream)}] ${data.line}`;
  }
  return `${event.seq} ${event.type}${event.data === null ? '' : ` ${JSON.stringify(event.data)}`}`;
}

/** Resolves with the final seq once the stream ended; rejects with an UploadRejectedError on 4xx. */
export async function tail(options: TailOptions): Promise<number | null> {
  const fetchFn = options.fetch ?? (globalThis.fetch as FetchLike);
  const backoff = new Backoff();
  let lastId: number | undefined = options.after > 0 ? options.after : undefined;
  let retryMs = 1000;
  // The server announces its ping interval on each stream; until then, the protocol's default.
  let pingIntervalMs = options.pingIntervalMs ?? SSE_PING_INTERVAL_MS;
  const urls = options.urls !== undefined && options.urls.length > 0 ? options.urls : [options.url];
  for (let attempt = 0; ; attempt++) {
    const base = urls[attempt % urls.length]!;
    const headers: Record<string, string> = { [H.authorization]: BEARER_PREFIX + options.token, accept: ContentTypes.eventStream };
    if (lastId !== undefined) headers[H.lastEventId] = String(lastId);
    let reason: string;
    // A connection that dies without closing (a NAT forgot it, the network changed) carries
    // nothing, not even pings: after two ping intervals of silence it is abandoned and resumed.
    const controller = new AbortController();
    let quiet: NodeJS.Timeout | undefined;
    let dead = false;
    const touch = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        dead = true;
        controller.abort();
      }, deadStreamAfterMs(pingIntervalMs));
    };
    touch();
    try {
      const response = await fetchFn(`${base}/v1/builds/${encodeURIComponent(options.buildId)}/stream?after=${options.after}`, { headers, signal: controller.signal });
      if (response.status === 204) return lastId ?? null; // at or past final on a complete build
      if (response.status !== 200) {
        const text = await response.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const problem = ProblemSchema.safeParse(body);
        const error = new UploadRejectedError(response.status, problem.success ? problem.data : undefined, `tail ${options.buildId}`);
        if (response.status < 500 && response.status !== 429 && response.status !== 408) throw error;
        reason = error.message;
      } else {
        const parser = new SseFrameParser();
        const decoder = new TextDecoder();
        const reader = response.body!.getReader();
        reason = 'the stream ended';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          touch();
          backoff.reset();
          for (const frame of parser.push(decoder.decode(value, { stream: true }))) {
            if (frame.retry !== undefined) retryMs = frame.retry;
            if (frame.event === SSE_PING_EVENT) {
              pingIntervalMs = pingIntervalOf(frame.data) ?? pingIntervalMs;
              touch();
              continue;
            }
            if (frame.event === 'end') {
              await reader.cancel().catch(() => {});
              const end = EndFrameSchema.safeParse(parseJson(frame.data));
              return end.success ? end.data.final : (lastId ?? null);
            }
            // Named frames other than `end` (`event: runner`, PROTOCOL §Runner presence) are not log events.
            if (frame.data === undefined || frame.event !== undefined) continue;
            const event = LogEventSchema.safeParse(parseJson(frame.data));
            if (!event.success) continue;
            options.out.write(`${formatEvent(event.data, options.json)}\n`);
            lastId = event.data.seq;
          }
        }
      }
    } catch (error) {
      if (error instanceof UploadRejectedError) throw error;
      reason = dead ? `nothing arrived for ${deadStreamAfterMs(pingIntervalMs)} ms, not even a ping: the connection is dead` : describeNetworkError(error);
    } finally {
      clearTimeout(quiet);
    }
    // EventSource's rule: wait the server's `retry`, then resume after the last id seen.
    const wait = Math.max(retryMs, backoff.next());
    options.err.write(`runlog-runner: tail disconnected (${reason}); resuming after ${lastId ?? options.after} in ${wait} ms\n`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
