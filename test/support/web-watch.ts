// Helpers for the web-client's Node tests: EventSource wrappers that drop, repeat or hide
// things the way a real network or browser would, a recording fetch, and polling.
import { EventSource } from 'eventsource';
import type { EventSourceConstructor, EventSourceLike, FetchLike } from '../../web-client/index.js';

export interface WrapOptions {
  /** Frames with these seqs never reach the watcher (a gap). */
  readonly drop?: (seq: number) => boolean;
  /** Frames with these seqs reach the watcher twice (a duplicate). */
  readonly twice?: (seq: number) => boolean;
  /** Error events without the HTTP status, as a browser's EventSource sends them. */
  readonly browserLike?: boolean;
  /** While this says so, stream requests answer 503 (as a proxy in front of a restarting server would). */
  readonly unavailable?: () => boolean;
}

/** The `eventsource` package's EventSource, altered as `options` say; `opened` lists every URL. */
export function wrappedEventSource(options: WrapOptions = {}): { EventSource: EventSourceConstructor; opened: string[] } {
  const opened: string[] = [];
  class Wrapped implements EventSourceLike {
    readonly #inner: EventSource;
    onopen: ((event: Event) => unknown) | null = null;
    onmessage: ((event: MessageEvent) => unknown) | null = null;
    onerror: ((event: Event) => unknown) | null = null;

    constructor(url: string) {
      opened.push(url);
      this.#inner = new EventSource(url, {
        fetch: (input, init) =>
          options.unavailable?.()
            ? Promise.resolve(new Response('{"code":"unavailable"}', { status: 503, headers: { 'content-type': 'application/problem+json' } }))
            : fetch(input, init),
      });
      this.#inner.onopen = (event) => this.onopen?.(event);
      this.#inner.onmessage = (message) => {
        const seq = (JSON.parse(message.data) as { seq?: number }).seq ?? -1;
        if (options.drop?.(seq)) return;
        this.onmessage?.(message);
        if (options.twice?.(seq)) this.onmessage?.(message);
      };
      this.#inner.onerror = (event) => this.onerror?.(options.browserLike ? new Event('error') : event);
    }
    get readyState(): number {
      return this.#inner.readyState;
    }
    addEventListener(type: string, listener: (event: MessageEvent) => unknown): void {
      this.#inner.addEventListener(type, listener);
    }
    close(): void {
      this.#inner.close();
    }
  }
  return { EventSource: Wrapped, opened };
}

/** globalThis.fetch that remembers each URL's path and query. */
export function recordingFetch(): { fetch: FetchLike; requests: string[] } {
  const requests: string[] = [];
  const fetchLike: FetchLike = (input, init) => {
    const url = new URL(input);
    requests.push(url.pathname + url.search);
    return fetch(input, init);
  };
  return { fetch: fetchLike, requests };
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
