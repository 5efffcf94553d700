// The runner's typed errors. Every error carries a stable `code`: the PROTOCOL problem code
// when the server said no, else one of the local codes below. Callers switch on `code`.
import { ProblemCodes, isProblemCode, type ProblemCode } from '../protocol/problem-codes.js';
import type { Problem } from '../protocol/wire-types.js';

/** Codes raised on the runner's side, never sent by a server. */
export const LocalErrorCodes = {
  /** A final answer's digest differs from the runner's own hash chain (PROTOCOL §Integrity). */
  integrity_mismatch: 'integrity_mismatch',
  /** The spool on disk is damaged somewhere other than its last record. */
  spool_corrupt: 'spool_corrupt',
  /** Another live process holds the spool of this build. */
  spool_locked: 'spool_locked',
  /** The event was refused before it reached the spool (bad type, data too large or deep, not JSON). */
  invalid_event: 'invalid_event',
  /** An option of `openRunner` is out of range. */
  invalid_option: 'invalid_option',
  /** `close()` was called; the runner takes no more work. */
  runner_closed: 'runner_closed',
  /** `finish()` was called; the build's log is closed on this runner. */
  runner_finished: 'runner_finished',
  /** The server answered a 4xx outside the codes PROTOCOL names for appends. */
  rejected: 'rejected',
  /** No answer: connection refused or reset, DNS, timeout. Retried. */
  network_error: 'network_error',
  /** A 5xx/429 without a PROTOCOL problem code, or an answer that is not what PROTOCOL says. Retried. */
  http_error: 'http_error',
} as const;

export type LocalErrorCode = keyof typeof LocalErrorCodes;
export type RunnerErrorCode = ProblemCode | LocalErrorCode;

export interface RunnerErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error the runner-client raises on purpose. */
export class RunnerError extends Error {
  override readonly name: string = 'RunnerError';
  readonly code: RunnerErrorCode;

  constructor(code: RunnerErrorCode, message: string, options: RunnerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/**
 * The server refused a request for good (PROTOCOL §Runner obligations: `409 seq_conflict` /
 * `build_closed`, `401`, `403` and other `4xx`). Retrying would not help, so the uploader stops.
 */
export class UploadRejectedError extends RunnerError {
  override readonly name = 'UploadRejectedError';
  readonly status: number;
  /** The problem+json body, when the server sent one. */
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, context: string) {
    const code: RunnerErrorCode = problem !== undefined && isProblemCode(problem.code) ? problem.code : codeForStatus(status);
    const reason = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
    super(code, `${context}: ${status} ${code}: ${reason}`);
    this.status = status;
    this.problem = problem;
  }
}

function codeForStatus(status: number): RunnerErrorCode {
  if (status === ProblemCodes.unauthorized) return 'unauthorized';
  if (status === ProblemCodes.forbidden) return 'forbidden';
  if (status === ProblemCodes.build_not_found) return 'build_not_found';
  return 'rejected';
}

/**
 * A failure worth retrying (PROTOCOL §Runner obligations: network errors, `5xx`, `429`). It only
 * ever shows up as `lastError` in the status: the runner keeps trying while the process lives.
 */
export class RetryableError extends RunnerError {
  override readonly name = 'RetryableError';
  /** The HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** The server's `Retry-After`, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(code: RunnerErrorCode, message: string, options: RunnerErrorOptions & { status?: number; retryAfterMs?: number } = {}) {
    super(code, message, options);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True when no HTTP answer came at all: the server is unreachable from here. */
  get offline(): boolean {
    return this.status === undefined;
  }
}

/** The server's hash chain differs from the runner's at the same ack (PROTOCOL §Integrity). */
export class IntegrityError extends RunnerError {
  override readonly name = 'IntegrityError';
  readonly ack: number;
  readonly expected: string;
  readonly actual: string;

  constructor(ack: number, expected: string, actual: string) {
    super('integrity_mismatch', `The server's digest at seq ${ack} is ${actual || '(empty)'}, the runner's own chain says ${expected || '(empty)'}: the logs differ.`);
    this.ack = ack;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The spool cannot be used: damaged, locked by another process, or ahead/behind the server in a way no retry fixes. */
export class SpoolError extends RunnerError {
  override readonly name = 'SpoolError';
}

/** An event refused at `emit`, before it reached the spool: nothing was written. */
export class InvalidEventError extends RunnerError {
  override readonly name = 'InvalidEventError';

  constructor(message: string, options: RunnerErrorOptions = {}) {
    super('invalid_event', message, options);
  }
}

/** An option failed its check in `openRunner`. */
export class InvalidOptionError extends RunnerError {
  override readonly name = 'InvalidOptionError';

  constructor(message: string) {
    super('invalid_option', message);
  }
}
