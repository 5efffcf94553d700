// HTTP to a runlog server for the runner: the default network (undici's fetch over a keep-alive
// Pool), one request with a deadline, and the sorting of answers into ok / retry / stop.
import { fetch as undiciFetch, Pool } from 'undici';
import { BEARER_PREFIX, ContentTypes, Headers as H, ProblemSchema } from '../protocol/index.js';
import type { Problem } from '../protocol/wire-types.js';
import { parseRetryAfter } from './backoff.js';
import { RetryableError, RunnerError, UploadRejectedError } from './errors.js';
import type { FetchLike } from './options.js';

export interface HttpClientOptions {
  /** Server base URL without a trailing slash. */
  readonly url: string;
  readonly token: string;
  /** Injected network (tests); default: undici over a keep-alive Pool. */
  readonly fetch?: FetchLike;
  /** Connections of the default Pool. @default 4 */
  readonly connections?: number;
  /** Deadline of one request, answer body included. @default 30000 */
  readonly requestTimeoutMs?: number;
}

export const HttpClientDefaults = {
  connections: 4,
  requestTimeoutMs: 30_000,
  /** Idle keep-alive sockets live this long: longer than a backoff step, shorter than common server idle timeouts. */
  keepAliveTimeoutMs: 4_000,
} as const;

/** What came back: an answer with its parsed body, or a RunnerError saying why there is none to use. */
export type HttpResult =
  | { readonly kind: 'ok'; readonly status: number; readonly headers: Headers; readonly body: unknown }
  /** A problem+json answer or other non-2xx the caller may want to look at before giving up (409 gap_too_large). */
  | { readonly kind: 'error'; readonly error: RetryableError | UploadRejectedError; readonly problem: Problem | undefined }
  /** `signal` aborted: the caller is closing. */
  | { readonly kind: 'aborted' };

export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #fetch: FetchLike;
  readonly #pool: Pool | undefined;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    if (options.fetch !== undefined) {
      this.#fetch = options.fetch;
    } else {
      // One Pool per runner: K keep-alive connections to the one origin, so pipelined batches
      // never wait for a TCP handshake. Timeouts are ours (requestTimeoutMs), not undici's 300 s.
      const pool = new Pool(new URL(options.url).origin, {
        connections: options.connections ?? HttpClientDefaults.connections,
        keepAliveTimeout: HttpClientDefaults.keepAliveTimeoutMs,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.#pool = pool;
      this.#fetch = ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: pool })) as unknown as FetchLike;
    }
  }

  get fetch(): FetchLike {
    return this.#fetch;
  }

  /**
   * One request. `body` is sent as JSON. Never throws for network trouble or error statuses:
   * those come back as `kind: 'error'` with a RetryableError (network, timeout, 5xx, 429, 408,
   * an unreadable answer) or an UploadRejectedError (any other 3xx/4xx).
   */
  async request(
    method: string,
    path: string,
    body: Uint8Array | string | undefined,
    signal: AbortSignal | undefined,
    context: string,
    /** Sent with this request only (an append's `Runlog-Runner` report). */
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<HttpResult> {
    // One controller per request, aborted by the deadline or the caller; both hooks are undone
    // afterwards (AbortSignal.any on a long-lived signal keeps every dependent alive in Node 20).
    const timeoutMs = this.#options.requestTimeoutMs ?? HttpClientDefaults.requestTimeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    try {
      return await this.#exchange(method, path, body, signal, controller.signal, () => timedOut, timeoutMs, context, extraHeaders);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #exchange(
    method: string,
    path: string,
    body: Uint8Array | string | undefined,
    signal: AbortSignal | undefined,
    combined: AbortSignal,
    timedOut: () => boolean,
    timeoutMs: number,
    context: string,
    extraHeaders: Readonly<Record<string, string>> | undefined,
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...extraHeaders, [H.authorization]: BEARER_PREFIX + this.#options.token, accept: ContentTypes.json };
    if (body !== undefined) headers[H.contentType] = ContentTypes.json;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(this.#options.url + path, { method, headers, body: body as BodyInit | undefined, signal: combined, redirect: 'manual' });
      text = await response.text();
    } catch (cause) {
      if (signal?.aborted === true) return { kind: 'aborted' };
      const reason = timedOut() ? `no answer within ${timeoutMs} ms` : describeNetworkError(cause);
      return { kind: 'error', error: new RetryableError('network_error', `${context}: ${reason}`, { cause }), problem: undefined };
    }
    const parsed = parseJson(text);
    if (response.status >= 200 && response.status < 300) {
      if (parsed === undefined && text.length > 0) {
        // A cut or garbled answer: the request may or may not have committed; a retry finds out.
        return { kind: 'error', error: new RetryableError('http_error', `${context}: ${response.status} with an unreadable body`, { status: response.status }), problem: undefined };
      }
      return { kind: 'ok', status: response.status, headers: response.headers, body: parsed };
    }
    const problemParse = ProblemSchema.safeParse(parsed);
    const problem = problemParse.success ? problemParse.data : undefined;
    const status = response.status;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get(H.retryAfter));
      const code = problem?.code === 'overloaded' || problem?.code === 'unavailable' || problem?.code === 'internal_error' ? problem.code : 'http_error';
      const reason = problem?.detail ?? problem?.title ?? (text.slice(0, 200) || 'no body');
      return {
        kind: 'error',
        error: new RetryableError(code, `${context}: ${status} ${reason}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }),
        problem,
      };
    }
    return { kind: 'error', error: new UploadRejectedError(status, problem, context), problem };
  }

  async close(): Promise<void> {
    await this.#pool?.destroy().catch(() => {});
  }
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `fetch failed` says nothing; undici puts the socket error (ECONNREFUSED, UND_ERR_SOCKET …) in `cause`. */
export function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 4; e = e.cause as typeof e, depth++) {
    const text = e.code !== undefined ? `${e.code}${e.message && !e.message.includes(e.code) ? ` ${e.message}` : ''}` : e.message;
    if (text !== undefined && text !== '' && text !== 'fetch failed') parts.push(text);
  }
  return parts.length > 0 ? parts.join(': ') : 'fetch failed';
}

export function isRunnerError(error: unknown): error is RunnerError {
  return error instanceof RunnerError;
}
