// The server's one error type: a problem with a stable PROTOCOL code. `app.onError` turns it
// into problem+json; routes and the engine throw it and never build error bodies themselves.
import { ProblemCodes, type ProblemCode } from '../protocol/index.js';

export interface ProblemOptions {
  /** Extra members of the problem body (`seq`, `ack` …). */
  readonly extra?: Record<string, unknown>;
  /** Seconds for a `Retry-After` header. */
  readonly retryAfterSeconds?: number;
  /** Extra response headers (`Allow` on 405). */
  readonly headers?: Record<string, string>;
  readonly cause?: unknown;
}

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: ProblemCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, message: string, options: ProblemOptions = {}) {
    // A problem is an answer, not a bug: no stack trace to capture. Under overload thousands of
    // `503 overloaded` a second each paid for one (2 % of the server's CPU in the profile).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, { cause: options.cause });
    Error.stackTraceLimit = limit;
    this.code = code;
    this.status = ProblemCodes[code];
    this.extra = options.extra ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

/** The database did not answer: PROTOCOL §Append rule 7. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;
/** The commit queue is full: PROTOCOL §Append rule 6. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

export function unavailable(cause: unknown): ProblemError {
  return new ProblemError('unavailable', 'The database is unreachable; retry later.', {
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    cause,
  });
}

export function buildNotFound(buildId: string): ProblemError {
  return new ProblemError('build_not_found', `Build ${JSON.stringify(buildId)} does not exist.`);
}
