// How the web-client reaches the server: the injected EventSource constructor and fetch
// (globals by default, the `eventsource` package in Node tests), URLs with `?token=` for
// EventSource (it cannot set headers, PROTOCOL §Auth), and JSON GETs with a Bearer header.
// Only a signed token goes into a URL: the admin token never does (openapi.yaml clarification (r)).
import { BEARER_PREFIX, ContentTypes, Headers as H, QueryParams } from '../protocol/headers.js';
import { SSE_PING_INTERVAL_MS } from '../protocol/limits.js';
import { deadStreamAfterMs } from '../protocol/sse-frames.js';
import { isSignedTokenShape } from '../protocol/token-shape.js';
import { WebClientError, codeForStatus } from './errors.js';

/** The part of EventSource the client uses; the browser's and the `eventsource` package's both fit. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => unknown) | null;
  onmessage: ((event: MessageEvent) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => unknown): void;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** readyState once the source has given up (a non-200 answer, a 204, a wrong content type). */
export const EVENT_SOURCE_CLOSED = 2;

export interface TransportOptions {
  /** The server's origin, e.g. `location.origin` or `http://127.0.0.1:8787`. */
  readonly url: string;
  /**
   * A `read:*` or `read:<buildId>` token; none for an open server. Not the admin token:
   * EventSource must send the token in the URL, where the server refuses the admin token.
   */
  readonly token?: string | undefined;
  /** @default globalThis.EventSource */
  readonly EventSource?: EventSourceConstructor | undefined;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike | undefined;
  /**
   * A JSON call with no complete answer within this long is abandoned as a network failure
   * (then retried like one): a connection that died silently must not hang a watcher.
   * @default two ping intervals, as announced by the server's streams (30 s until one is)
   */
  readonly requestTimeoutMs?: number | undefined;
}

/** Throws a TypeError naming the first bad option; returns the EventSource constructor to use. */
export function checkTransportOptions(options: TransportOptions): EventSourceConstructor {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected options to be an object, got ${String(options)}`);
  if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
    throw new TypeError(`Expected \`url\` to be an http(s) origin, got ${JSON.stringify(options.url)}`);
  }
  if (options.token !== undefined && typeof options.token !== 'string') throw new TypeError(`Expected \`token\` to be a string, got ${typeof options.token}`);
  const ES = options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (typeof ES !== 'function') throw new TypeError('Expected `EventSource` to be given: this runtime has no global EventSource');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('Expected `fetch` to be a function');
  if (options.fetch === undefined && typeof globalThis.fetch !== 'function') throw new TypeError('Expected `fetch` to be given: this runtime has no global fetch');
  const timeout = options.requestTimeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0)) {
    throw new TypeError(`Expected \`requestTimeoutMs\` to be a positive number of milliseconds, got ${JSON.stringify(timeout)}`);
  }
  return ES;
}

export class Transport {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #EventSource: EventSourceConstructor;
  readonly #fetch: FetchLike;
  readonly #requestTimeoutMs: number | undefined;
  /** The server's ping interval, once a stream announced it (PROTOCOL §SSE rule 3). */
  #pingIntervalMs: number = SSE_PING_INTERVAL_MS;

  constructor(options: TransportOptions) {
    const ES = checkTransportOptions(options);
    this.#base = options.url.replace(/\/+$/, '');
    this.#token = options.token || undefined;
    this.#EventSource = ES;
    // Bound: a browser's fetch throws "Illegal invocation" when called on another receiver.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#requestTimeoutMs = options.requestTimeoutMs;
  }

  /**
   * A stream announced the server's ping interval. JSON answers come in milliseconds, so one
   * that takes as long as a silent stream may be quiet is on a dead connection too.
   */
  notePingInterval(ms: number): void {
    this.#pingIntervalMs = ms;
  }

  get #timeoutMs(): number {
    return this.#requestTimeoutMs ?? deadStreamAfterMs(this.#pingIntervalMs);
  }

  /** An absolute URL for `path` with `params`; `withToken` adds `?token=` (EventSource only). */
  url(path: string, params: Record<string, string | number> = {}, withToken = false): string {
    const url = new URL(this.#base + path);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    if (withToken && this.#token !== undefined) {
      const refused = this.urlTokenRefusal();
      if (refused) throw refused;
      url.searchParams.set(QueryParams.token, this.#token);
    }
    return url.toString();
  }

  /**
   * Why the token cannot go into a URL, or undefined when it can. Only a signed token can be
   * valid in `?token=`: anything else is the admin token, which the server refuses in a URL, or
   * no valid token at all. Watchers ask before any request, so the admin token never reaches a URL.
   */
  urlTokenRefusal(): WebClientError | undefined {
    if (this.#token === undefined || isSignedTokenShape(this.#token)) return undefined;
    return new WebClientError(
      'unauthorized',
      'this is not a read token: EventSource sends its token in the URL, where the admin token is refused; use a read:* or read:<buildId> token',
    );
  }

  openEventSource(path: string, params: Record<string, string | number> = {}): EventSourceLike {
    return new this.#EventSource(this.url(path, params, true));
  }

  /**
   * GET JSON. An HTTP error becomes a WebClientError with the status (its `final` says whether
   * retrying can help); a failure to reach the server is code `network`.
   */
  async getJson<T>(path: string, params: Record<string, string | number> = {}, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: ContentTypes.json };
    if (this.#token !== undefined) headers[H.authorization] = BEARER_PREFIX + this.#token;
    // One controller for the caller's signal and the deadline, both unhooked afterwards.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    let timedOut = false;
    const timeoutMs = this.#timeoutMs;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let response: Response;
    let body: unknown;
    try {
      try {
        response = await this.#fetch(this.url(path, params), { headers, signal: controller.signal, cache: 'no-store' });
      } catch (error) {
        const reason = timedOut ? `no answer within ${timeoutMs} ms` : (error as Error).message;
        throw new WebClientError('network', `Could not reach ${this.#base}: ${reason}`, { cause: error });
      }
      try {
        body = await response.json();
      } catch (error) {
        if (timedOut) throw new WebClientError('network', `${path} did not finish answering within ${timeoutMs} ms`, { cause: error });
        if (response.ok) throw new WebClientError('invalid_response', `${path} did not answer JSON`, { status: response.status, cause: error });
        body = undefined;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (!response.ok) {
      const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
      throw new WebClientError(codeForStatus(response.status, body), typeof detail === 'string' ? detail : `HTTP ${response.status} from ${path}`, {
        status: response.status,
      });
    }
    return body as T;
  }
}

/** `/v1/builds/{id}` with the id escaped. */
export function buildPath(buildId: string, suffix = ''): string {
  return `/v1/builds/${encodeURIComponent(buildId)}${suffix}`;
}

/** An SSE frame's `data` as JSON; undefined when it is not (the caller skips the frame). */
export function parseFrame(data: unknown): unknown {
  if (typeof data !== 'string') return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}
