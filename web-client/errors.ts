// The web-client's one error type: what went wrong talking to the server, with a stable
// machine `code` (PROTOCOL §Errors problem codes where the server gave one).
import { isProblemCode, type ProblemCode } from '../protocol/problem-codes.js';

/** Problem codes of the server, plus the two the client itself observes. */
export type WebClientErrorCode = ProblemCode | 'network' | 'invalid_response';

export class WebClientError extends Error {
  override readonly name = 'WebClientError';
  readonly code: WebClientErrorCode;
  /** The HTTP status, when an answer came back. */
  readonly status: number | undefined;

  constructor(code: WebClientErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }

  /** 401, 403 and 404 will not change by retrying: a watcher stops on them (PROTOCOL §Auth). */
  get final(): boolean {
    return this.status !== undefined && FINAL_STATUSES.has(this.status);
  }
}

const FINAL_STATUSES: ReadonlySet<number> = new Set([401, 403, 404]);

export function isFinalStatus(status: number): boolean {
  return FINAL_STATUSES.has(status);
}

/** The code for an HTTP answer: the problem body's `code` when it has one, else one from the status. */
export function codeForStatus(status: number, body: unknown): WebClientErrorCode {
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  if (isProblemCode(code)) return code;
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'build_not_found';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'invalid_request';
  }
}
