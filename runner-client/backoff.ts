// Full-jitter exponential backoff (PROTOCOL §Runner obligations): the n-th consecutive failure
// sleeps random(0, min(cap, base·2^n)), never less than the server's Retry-After.

export interface BackoffOptions {
  /** First step's ceiling. @default 100 */
  readonly baseDelayMs?: number;
  /** Largest ceiling. @default 10000 */
  readonly maxDelayMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export const BackoffDefaults = {
  baseDelayMs: 100, // PROTOCOL §Runner obligations
  maxDelayMs: 10_000, // PROTOCOL §Runner obligations
  /** A Retry-After beyond this is treated as this: a misconfigured proxy must not park a runner for a day. */
  maxRetryAfterMs: 5 * 60_000,
} as const;

/** Past this many doublings every ceiling is the cap anyway; stops 2^n from overflowing. */
const MAX_EXPONENT = 52;

export class Backoff {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? BackoffDefaults.baseDelayMs;
    this.#maxDelayMs = options.maxDelayMs ?? BackoffDefaults.maxDelayMs;
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures so far (0 after a success). */
  get attempt(): number {
    return this.#attempt;
  }

  /** The ceiling of the next delay: `min(cap, base·2^attempt)`. */
  ceilingMs(): number {
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.min(this.#attempt, MAX_EXPONENT));
  }

  /**
   * The delay before the next try, counting one more failure. With `retryAfterMs` the delay is
   * never shorter than what the server asked for (clamped to `maxRetryAfterMs`).
   */
  next(retryAfterMs?: number): number {
    const jitter = Math.floor(this.#random() * this.ceilingMs());
    this.#attempt++;
    if (retryAfterMs === undefined) return jitter;
    return Math.max(jitter, Math.min(retryAfterMs, BackoffDefaults.maxRetryAfterMs));
  }

  /** A success: the next failure starts again at `base`. */
  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates (all three RFC 9110 forms) start with a day name; Date.parse alone would take "-1".
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
