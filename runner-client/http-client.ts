// HTTP to a runlog server for the runner: the default network (undici's fetch over a keep-alive
// Pool per server), one request with a deadline, the sorting of answers into ok / retry / stop,
// and failover across several base URLs of one deployment:
//
//   urls[0] ──connection failure, 502/503/504──► urls[1] ──…──► urls[n-1] ──► urls[0] …
//      ▲                                          │
//      └──── a probe of urls[0]/readyz answers 200 (every failbackMs while elsewhere)
//
// Moving never loses the runner's place: the ack is the server's, shared by every instance
// through PostgreSQL, and a resent batch is a no-op (PROTOCOL §Append rule 1).
import { fetch as undiciFetch, Pool } from 'undici';
import { BEARER_PREFIX, ContentTypes, Headers as H, ProblemSchema } from '../protocol/index.js';
import type { Problem } from '../protocol/wire-types.js';
import { parseRetryAfter } from './backoff.js';
import { RetryableError, RunnerError, UploadRejectedError } from './errors.js';
import type { FetchLike } from './options.js';

export interface HttpClientOptions {
  /** Server base URL(s) without a trailing slash: the first is preferred, the others are failovers. */
  readonly url: string | readonly string[];
  readonly token: string;
  /** Injected network (tests); default: undici over a keep-alive Pool. */
  readonly fetch?: FetchLike;
  /** Connections of the default Pool. @default 4 */
  readonly connections?: number;
  /** Deadline of one request, answer body included. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** While on a failover URL, how often the first one is probed (`GET /readyz`). @default 5000 */
  readonly failbackMs?: number;
}

export const HttpClientDefaults = {
  connections: 4,
  requestTimeoutMs: 30_000,
  /** Idle keep-alive sockets live this long: longer than a backoff step, shorter than common server idle timeouts. */
  keepAliveTimeoutMs: 4_000,
  /** Back to the preferred server within seconds of it recovering, without probing it hard. */
  failbackMs: 5_000,
} as const;

/** Answers that mean "this server (or the proxy's path to it) is not there", not "your request is wrong". */
const FAILOVER_STATUSES = new Set([502, 503, 504]);

/** What came back: an answer with its parsed body, or a RunnerError saying why there is none to use. */
export type HttpResult =
  | { readonly kind: 'ok'; readonly status: number; readonly headers: Headers; readonly body: unknown }
  /** A problem+json answer or other non-2xx the caller may want to look at before giving up (409 gap_too_large). */
  | { readonly kind: 'error'; readonly error: RetryableError | UploadRejectedError; readonly problem: Problem | undefined }
  /** `signal` aborted: the caller is closing. */
  | { readonly kind: 'aborted' };

export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #urls: readonly string[];
  readonly #fetches: readonly FetchLike[];
  readonly #pools: Pool[] = [];
  /** Index into #urls of the server requests go to now. */
  #current = 0;
  #failbackTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.#urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.#urls.length === 0) throw new TypeError('HttpClient needs at least one URL');
    if (options.fetch !== undefined) {
      this.#fetches = this.#urls.map(() => options.fetch!);
    } else {
      // One Pool per server: K keep-alive connections to its origin, so pipelined batches
      // never wait for a TCP handshake. Timeouts are ours (requestTimeoutMs), not undici's 300 s.
      this.#fetches = this.#urls.map((url) => {
        const pool = new Pool(new URL(url).origin, {
          connections: options.connections ?? HttpClientDefaults.connections,
          keepAliveTimeout: HttpClientDefaults.keepAliveTimeoutMs,
          headersTimeout: 0,
          bodyTimeout: 0,
        });
        this.#pools.push(pool);
        return ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: pool })) as unknown as FetchLike;
      });
    }
  }

  /** The base URL requests go to now. */
  get url(): string {
    return this.#urls[this.#current]!;
  }

  get fetch(): FetchLike {
    return this.#fetches[this.#current]!;
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
    const server = this.#current;
    try {
      const result = await this.#exchange(server, method, path, body, signal, controller.signal, () => timedOut, timeoutMs, context, extraHeaders);
      if (result.kind === 'error' && result.error instanceof RetryableError && (result.error.offline || FAILOVER_STATUSES.has(result.error.status ?? 0))) {
        this.#failover(server);
      }
      return result;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** `from` failed: move to the next URL (unless another request already moved us). */
  #failover(from: number): void {
    if (this.#urls.length === 1 || from !== this.#current || this.#closed) return;
    this.#current = (from + 1) % this.#urls.length;
    if (this.#current !== 0 && this.#failbackTimer === undefined) {
      const every = this.#options.failbackMs ?? HttpClientDefaults.failbackMs;
      this.#failbackTimer = setInterval(() => void this.#probeFirst(every), every);
      this.#failbackTimer.unref();
    } else if (this.#current === 0) {
      this.#stopFailback();
    }
  }

  /** Back to the first URL once its /readyz answers 200. */
  async #probeFirst(timeoutMs: number): Promise<void> {
    try {
      const response = await this.#fetches[0]!(`${this.#urls[0]}/readyz`, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer().catch(() => {});
      if (response.status === 200 && !this.#closed) {
        this.#current = 0;
        this.#stopFailback();
      }
    } catch {
      // still away
    }
  }

  #stopFailback(): void {
    clearInterval(this.#failbackTimer);
    this.#failbackTimer = undefined;
  }

  async #exchange(
    server: number,
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
      response = await this.#fetches[server]!(this.#urls[server] + path, { method, headers, body: body as BodyInit | undefined, signal: combined, redirect: 'manual' });
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
      const reason = problem?.detail ?? problem?.title ?? describeNonProblem(response, text);
      return {
        kind: 'error',
        error: new RetryableError(code, `${context}: ${status} ${reason}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }),
        problem,
      };
    }
    return { kind: 'error', error: new UploadRejectedError(status, problem, context), problem };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopFailback();
    await Promise.all(this.#pools.map((pool) => pool.destroy().catch(() => {})));
  }
}

/**
 * One short line for an error answer that is not problem+json — a proxy's HTML 502 page, say:
 * its `<title>` or status text and what kind of body it was, never the page itself.
 */
export function describeNonProblem(response: { status: number; statusText?: string; headers: Headers }, text: string): string {
  if (text.length === 0) return response.statusText || 'no body';
  const type = (response.headers.get(H.contentType) ?? 'unknown type').split(';')[0]!.trim();
  const title = /<title>\s*([^<]{1,120}?)\s*<\/title>/i.exec(text)?.[1]?.replace(new RegExp(`^${response.status}\\s+`), '');
  const firstLine = text.trim().split('\n', 1)[0]!;
  const plain = !type.includes('html') && firstLine.length <= 120 && !firstLine.includes('<') ? firstLine : undefined;
  const what = title ?? plain ?? response.statusText ?? '';
  return `${what ? `${what} ` : ''}(a ${text.length}-byte ${type} answer, not problem+json)`;
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
